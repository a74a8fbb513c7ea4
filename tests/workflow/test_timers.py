"""The timers of a request under review: a question that expires unanswered, a slow review that
reminds the assignee then escalates."""

from __future__ import annotations

from portal.billing_requests.events import Audience
from tests.workflow.harness import (
    ALICE,
    DAY,
    HOUR,
    PO_EDIT,
    TESS,
    Harness,
    Scene,
    events,
    eventually,
)
from workflows.lifecycle import RequestType, Status
from workflows.messages import ProvideInfoInput, RequestInfoInput, RequestTimers
from workflows.request_workflow import RequestWorkflow

# -- questions to the customer -----------------------------------------------------------------


def test_a_question_waits_for_the_customer_and_expires_unanswered(harness: Harness) -> None:
    timers = RequestTimers(
        review_sla_seconds=400 * DAY, escalation_sla_seconds=800 * DAY, info_timeout_seconds=3 * DAY
    )

    async def scenario(scene: Scene) -> None:
        handle = await scene.claimed(RequestType.PO_EDIT, PO_EDIT, timers=timers)
        asked = await handle.execute_update(
            RequestWorkflow.request_info, RequestInfoInput(TESS, "Which cost centre?")
        )
        assert asked.status == Status.WAITING_FOR_CUSTOMER
        answered = await handle.execute_update(
            RequestWorkflow.provide_info, ProvideInfoInput(ALICE, "CC-42")
        )
        assert (answered.status, answered.assignee_id) == (Status.IN_REVIEW, TESS.user_id)
        await handle.execute_update(
            RequestWorkflow.request_info, RequestInfoInput(TESS, "And the PO line?")
        )
        await scene.skip(handle, 3 * DAY - HOUR)
        snapshot = await handle.query(RequestWorkflow.snapshot)
        assert snapshot.status == Status.WAITING_FOR_CUSTOMER, "not before the timeout"
        await scene.skip(handle, 2 * HOUR)
        result = await handle.result()
        assert result.status == Status.EXPIRED
        assert [(e.event, e.note) for e in result.timeline] == [
            ("submitted", "new site"),
            ("claimed", ""),
            ("info_requested", "Which cost centre?"),
            ("info_provided", "CC-42"),
            ("info_requested", "And the PO line?"),
            ("expired", ""),
        ]

    fakes = harness.play(scenario)
    assert fakes.statuses() == [
        Status.IN_REVIEW,
        Status.WAITING_FOR_CUSTOMER,
        Status.IN_REVIEW,
        Status.WAITING_FOR_CUSTOMER,
        Status.EXPIRED,
    ]
    assert fakes.notices() == [
        ("info_requested", Audience.REQUESTER, "Which cost centre?"),
        ("info_provided", Audience.ASSIGNEE, "CC-42"),
        ("info_requested", Audience.REQUESTER, "And the PO line?"),
        ("expired", Audience.REQUESTER, ""),
    ]
    assert fakes.applied == []


# -- service levels ----------------------------------------------------------------------------


def test_a_slow_review_reminds_the_assignee_then_escalates(harness: Harness) -> None:
    timers = RequestTimers(
        review_sla_seconds=HOUR, escalation_sla_seconds=4 * HOUR, info_timeout_seconds=3 * DAY
    )

    async def scenario(scene: Scene) -> None:
        handle = await scene.claimed(RequestType.PO_EDIT, PO_EDIT, timers=timers)
        await scene.skip(handle, HOUR - 10 * 60)
        assert await events(handle) == ["submitted", "claimed"], "no reminder before the SLA"
        await scene.skip(handle, 20 * 60)
        await eventually(lambda: len(scene.fakes.projections) == 2, "the reminder")
        assert await events(handle) == ["submitted", "claimed", "sla_reminder"]
        await scene.skip(handle, 3 * HOUR + 30 * 60)
        await eventually(lambda: len(scene.fakes.projections) == 3, "the escalation")
        snapshot = await handle.query(RequestWorkflow.snapshot)
        assert [e.event for e in snapshot.timeline] == [
            "submitted",
            "claimed",
            "sla_reminder",
            "escalated",
        ]
        assert (snapshot.status, snapshot.escalated) == (Status.IN_REVIEW, True)

    fakes = harness.play(scenario)
    assert fakes.statuses() == [Status.IN_REVIEW, Status.IN_REVIEW, Status.IN_REVIEW]
    assert fakes.notices() == [
        ("sla_reminder", Audience.ASSIGNEE, ""),
        ("escalated", Audience.SUPERVISORS, ""),
    ]
    reminder, escalation = fakes.projections[1:]
    assert (reminder.assignee_id, reminder.escalated) == (TESS.user_id, False)
    assert (escalation.assignee_id, escalation.escalated) == (TESS.user_id, True)
    assert [(e.actor_id, e.actor_name) for e in escalation.timeline[2:]] == [
        (None, "Portal"),
        (None, "Portal"),
    ]
