"""The ceiling: the same lifecycle shape with nothing of the portal in it (start → approve update
→ one no-op activity → complete). Only temporalio here, so the workflow sandbox stays clean."""

from __future__ import annotations

from datetime import timedelta

from temporalio import activity, workflow


@activity.defn
def noop() -> None:
    return None


@workflow.defn
class BareLifecycle:
    def __init__(self) -> None:
        self.approved = False

    @workflow.run
    async def run(self) -> None:
        await workflow.wait_condition(lambda: self.approved)
        await workflow.execute_activity(noop, start_to_close_timeout=timedelta(seconds=30))

    @workflow.update
    def approve(self) -> None:
        self.approved = True
