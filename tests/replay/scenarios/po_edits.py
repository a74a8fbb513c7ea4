"""Purchase-order edits on the dev server: approved, rejected, a question answered, cancelled,
reassigned, left open, and failed then retried."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa

from portal.db import Database
from tests.replay.recording import ALICE, SAM, TESS, THEO, Api, Run, closed, status_is


async def first_purchase_order(run: Run) -> int:
    orders = (await run.api.get(ALICE, "/api/v1/purchase-orders"))["items"]
    return int(orders[0]["id"])


async def po_edit(run: Run, notes: str, api: Api | None = None) -> int:
    payload = {
        "purchase_order_id": await first_purchase_order(run),
        "changes": {"notes": notes},
        "reason": "The Lyon office receives the invoices now",
    }
    created = await (api or run.api).post(
        ALICE, "/api/v1/requests", {"type": "po_edit", "payload": payload}, 202
    )
    return int(created["id"])


async def po_edit_completed(run: Run) -> None:
    await _approved(run, "Deliver to the Lyon office", "po_edit_approved_completed")


async def _approved(run: Run, notes: str, file: str) -> None:
    request_id = await po_edit(run, notes)
    await run.claimed_and_approved(TESS, request_id, comment="Matches the contract")
    await closed(run.request(request_id), "completed")
    await run.save(file, run.request(request_id))


async def po_edit_rejected(run: Run) -> None:
    request_id = await po_edit(run, "Deliver to the moon")
    await run.task(TESS, request_id, "claim")
    await run.task(TESS, request_id, "reject", reason="We do not deliver there")
    await closed(run.request(request_id), "rejected")
    await run.save("po_edit_rejected", run.request(request_id))


async def po_edit_info(run: Run) -> None:
    await _answered(run, "Lyon, 5 place Bellecour", "po_edit_info_requested_provided_approved")


async def _answered(run: Run, answer: str, file: str) -> None:
    request_id = await po_edit(run, "Deliver to the new office")
    await run.task(TESS, request_id, "claim")
    await run.task(TESS, request_id, "request-info", question="Which office?")
    await run.customer(ALICE, request_id, "provide-info", message=answer)
    await run.task(TESS, request_id, "approve", comment="Thanks")
    await closed(run.request(request_id), "completed")
    await run.save(file, run.request(request_id))


async def po_edit_cancelled(run: Run) -> None:
    request_id = await po_edit(run, "Sent by mistake")
    await run.task(TESS, request_id, "claim")
    await run.customer(ALICE, request_id, "cancel", reason="Sent by mistake")
    await closed(run.request(request_id), "cancelled")
    await run.save("po_edit_cancelled_by_customer", run.request(request_id))


async def po_edit_reassigned(run: Run) -> None:
    request_id = await po_edit(run, "Reassigned to Théo")
    await run.task(TESS, request_id, "claim")
    await run.task(SAM, request_id, "reassign", assignee=await run.user_id(THEO))
    await run.task(THEO, request_id, "approve", comment="Done while Tess is away")
    await closed(run.request(request_id), "completed")
    await run.save("po_edit_reassigned_approved", run.request(request_id))


async def po_edit_open(run: Run) -> None:
    request_id = await po_edit(run, "Claimed, never decided")
    await run.task(TESS, request_id, "claim")
    await status_is(run.request(request_id), "in_review")
    await run.save("po_edit_open_claimed", run.request(request_id))


@contextmanager
def revisions_refused(database: Database) -> Iterator[None]:
    """The database refuses every new purchase-order revision: the apply activity fails."""
    with database.engine.begin() as connection:
        connection.execute(
            sa.text(
                "CREATE TRIGGER refuse_revisions BEFORE INSERT ON purchase_order_revisions "
                "BEGIN SELECT RAISE(ABORT, 'database is unavailable'); END"
            )
        )
    try:
        yield
    finally:
        with database.engine.begin() as connection:
            connection.execute(sa.text("DROP TRIGGER IF EXISTS refuse_revisions"))


@contextmanager
def failures_expected() -> Iterator[None]:
    """The worker logs each failed attempt with its traceback: meant here, so not shown."""
    activity_log = logging.getLogger("temporalio.activity")
    level = activity_log.level
    activity_log.setLevel(logging.ERROR)
    try:
        yield
    finally:
        activity_log.setLevel(level)


async def po_edit_failed_retried(run: Run) -> None:
    with revisions_refused(run.database), failures_expected():
        request_id = await po_edit(run, "Applied at the second try", run.impatient_api)
        await run.claimed_and_approved(TESS, request_id)
        await status_is(run.request(request_id), "failed")
        await run.save("po_edit_failed_waiting_for_retry", run.request(request_id))
    await run.task(TESS, request_id, "retry")
    await closed(run.request(request_id), "completed")
    await run.save("po_edit_failed_retried_completed", run.request(request_id))


async def po_edit_completed_local_projection(run: Run) -> None:
    """The projection as a local activity (patch `projection-as-local-activity`)."""
    await _approved(
        run, "Deliver to the Nantes office", "po_edit_approved_completed_local_projection"
    )


async def po_edit_info_local_projection(run: Run) -> None:
    """A question and its answer, each projected by a local activity."""
    await _answered(run, "Lille, 1 rue Nationale", "po_edit_info_answered_local_projection")
