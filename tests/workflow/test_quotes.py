"""Quotes: reminded before their expiry, expired unanswered, extended and accepted."""

from __future__ import annotations

from datetime import datetime, timedelta

from portal.billing_requests.events import Audience
from tests.workflow.harness import (
    ALICE,
    DAY,
    QUOTE,
    TESS,
    Harness,
    Scene,
    end_of_day,
    events,
    eventually,
)
from workflows.lifecycle import RequestType, Status
from workflows.messages import (
    AcceptQuoteInput,
    ApprovalPlan,
    ApproveInput,
    ExtendQuoteActivityInput,
    ExtendQuoteInput,
)
from workflows.request_workflow import RequestWorkflow


def quoted_plan(valid_through: datetime) -> ApprovalPlan:
    result = {"quote_id": 9, "total": "1080.00", "valid_until": valid_through.date().isoformat()}
    return ApprovalPlan(Status.QUOTED, result, due_at=end_of_day(valid_through))


def test_an_unanswered_quote_reminds_the_contact_then_expires(harness: Harness) -> None:
    async def scenario(scene: Scene) -> None:
        handle = await scene.claimed(RequestType.QUOTE, QUOTE, prepares_approval=True)
        valid_through = await scene.now(handle) + timedelta(days=30)
        scene.fakes.plan = quoted_plan(valid_through)
        pricing = {"lines": [], "discount_pct": "10", "valid_days": 30}
        quoted = await handle.execute_update(
            RequestWorkflow.approve, ApproveInput(TESS, "Priced", pricing=pricing)
        )
        assert (quoted.status, quoted.result) == (Status.QUOTED, scene.fakes.plan.result)
        # Valid through day 30: reminded 7 days before its end, in the course of day 23.
        await scene.skip(handle, 22 * DAY)
        assert (await events(handle))[-1] == "quoted"
        await scene.skip(handle, 2 * DAY)
        await eventually(lambda: len(scene.fakes.projections) == 3, "the quote reminder")
        assert (await handle.query(RequestWorkflow.snapshot)).status == Status.QUOTED
        await scene.skip(handle, 7 * DAY)
        result = await handle.result()
        assert result.status == Status.EXPIRED
        assert [e.event for e in result.timeline] == [
            "submitted",
            "claimed",
            "approved",
            "quoted",
            "quote_expiring",
            "expired",
        ]

    fakes = harness.play(scenario)
    [prepared] = fakes.prepared
    assert (prepared.approved_by, prepared.comment) == (TESS, "Priced")
    assert prepared.pricing == {"lines": [], "discount_pct": "10", "valid_days": 30}
    assert fakes.statuses() == [Status.IN_REVIEW, Status.QUOTED, Status.QUOTED, Status.EXPIRED]
    assert fakes.notices() == [
        ("quoted", Audience.REQUESTER, "Priced"),
        ("quote_expiring", Audience.REQUESTER, fakes.plan.result["valid_until"]),
        ("expired", Audience.REQUESTER, ""),
    ]
    assert fakes.applied == []


def test_an_extended_quote_outlives_its_first_date_and_is_accepted(harness: Harness) -> None:
    async def scenario(scene: Scene) -> None:
        handle = await scene.claimed(RequestType.QUOTE, QUOTE, prepares_approval=True)
        now = await scene.now(handle)
        first_date = (now + timedelta(days=10)).date().isoformat()
        scene.fakes.plan = quoted_plan(now + timedelta(days=10))
        await handle.execute_update(RequestWorkflow.approve, ApproveInput(TESS, "Priced"))
        # Valid through day 10: reminded in the course of day 3.
        await scene.skip(handle, 4 * DAY)
        await eventually(lambda: len(scene.fakes.projections) == 3, "the first reminder")
        new_date = (now + timedelta(days=40)).date().isoformat()
        extended = await handle.execute_update(
            RequestWorkflow.extend_quote, ExtendQuoteInput(TESS, new_date)
        )
        assert (extended.status, extended.result) == (
            Status.QUOTED,
            {**scene.fakes.plan.result, "valid_until": new_date},
        )
        assert scene.fakes.extended == [ExtendQuoteActivityInput(extended.request_id, new_date)]
        # Past the first date: still open, and not reminded again yet.
        await scene.skip(handle, 8 * DAY)
        assert (await events(handle))[-1] == "quote_extended"
        assert (await handle.query(RequestWorkflow.snapshot)).status == Status.QUOTED
        # Reminded afresh 7 days before the new date (in the course of day 33).
        await scene.skip(handle, 22 * DAY)
        await eventually(lambda: len(scene.fakes.projections) == 5, "the new reminder")
        accepted = await handle.execute_update(
            RequestWorkflow.accept_quote, AcceptQuoteInput(ALICE, "PO-7788")
        )
        assert accepted.status == Status.ACCEPTED
        result = await handle.result()
        assert result.status == Status.COMPLETED
        assert [(e.event, e.note) for e in result.timeline] == [
            ("submitted", ""),
            ("claimed", ""),
            ("approved", "Priced"),
            ("quoted", ""),
            ("quote_expiring", first_date),
            ("quote_extended", new_date),
            ("quote_expiring", new_date),
            ("quote_accepted", "PO-7788"),
            ("completed", "Priced"),
        ]

    fakes = harness.play(scenario)
    [extension] = fakes.extended
    assert fakes.statuses() == [
        Status.IN_REVIEW,
        Status.QUOTED,
        Status.QUOTED,
        Status.QUOTED,
        Status.QUOTED,
        Status.ACCEPTED,
        Status.COMPLETED,
    ]
    assert fakes.notices() == [
        ("quoted", Audience.REQUESTER, "Priced"),
        ("quote_expiring", Audience.REQUESTER, fakes.plan.result["valid_until"]),
        # The contact hears of the new date, and is reminded again before it.
        ("quote_extended", Audience.REQUESTER, extension.valid_until),
        ("quote_expiring", Audience.REQUESTER, extension.valid_until),
        ("quote_accepted", Audience.ASSIGNEE, "PO-7788"),
        ("completed", Audience.REQUESTER, "Priced"),
    ]
    [change] = fakes.applied
    assert (change.po_number, change.approved_by, change.comment) == ("PO-7788", TESS, "Priced")
    assert fakes.row().result == {"revision": 2}
