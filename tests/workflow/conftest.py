"""The time-skipping dev server every test of tests/workflow shares (harness.py)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
from temporalio.testing import TimeSkippingConfig, WorkflowEnvironment

from portal.devserver import temporal_binary
from tests.workflow.harness import Harness
from workflows import search


@pytest.fixture(scope="package")
def harness() -> Iterator[Harness]:
    """One time-skipping dev server for the package, on one event loop that every test reuses."""
    with asyncio.Runner() as runner:
        env = runner.run(
            WorkflowEnvironment.start_time_skipping_v2(
                # Virtual time moves only when a test fast-forwards it, never on its own.
                ts_config=TimeSkippingConfig(enabled=False),
                dev_server_existing_path=temporal_binary(),
                dev_server_extra_args=[
                    "--headless",
                    "--dynamic-config-value",
                    "frontend.WorkflowTimeSkippingEnabled=true",
                    *search.dev_server_flags(),
                ],
            )
        )
        try:
            yield Harness(runner, env)
        finally:
            runner.run(env.shutdown())
