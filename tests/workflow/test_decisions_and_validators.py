"""Decisions and the update validators: an approved request applied once and completed, refused
updates that change nothing, a request a technician started decided by a supervisor."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from portal.billing_requests.events import Audience
from tests.workflow.harness import (
    ACME,
    ALICE,
    BOB,
    CHLOE,
    CONTACT,
    FREQUENCY,
    PO_EDIT,
    SAM,
    TESS,
    THEO,
    Harness,
    Scene,
    events,
    refusal,
)
from workflows.lifecycle import CONFLICT, FORBIDDEN, RequestType, Status
from workflows.messages import (
    ApprovalPlan,
    ApproveInput,
    CancelInput,
    ClaimInput,
    ProvideInfoInput,
    ReassignInput,
    RejectInput,
    RequestInfoInput,
)
from workflows.request_workflow import RequestWorkflow

# -- approve, apply, complete ------------------------------------------------------------------


def test_approved_request_is_applied_once_and_completed(harness: Harness) -> None:
    async def scenario(scene: Scene) -> None:
        handle = await scene.start(RequestType.PO_EDIT, PO_EDIT)
        claimed = await handle.execute_update(RequestWorkflow.claim, ClaimInput(TESS))
        assert (claimed.status, claimed.assignee_id) == (Status.IN_REVIEW, TESS.user_id)
        approved = await handle.execute_update(
            RequestWorkflow.approve, ApproveInput(TESS, "Looks right")
        )
        assert approved.status == Status.APPROVED
        result = await handle.result()
        assert result.status == Status.COMPLETED
        assert [(e.event, e.actor_name, e.note) for e in result.timeline] == [
            ("submitted", "Alice", "new site"),
            ("claimed", "Tess", ""),
            ("approved", "Tess", "Looks right"),
            ("completed", "Portal", "Looks right"),
        ]
        assert result.timeline[-1].actor_id is None
        assert result.result == {"revision": 2}

    fakes = harness.play(scenario)
    assert fakes.statuses() == [Status.IN_REVIEW, Status.APPROVED, Status.COMPLETED]
    row = fakes.row()
    assert (row.status, row.assignee_id, row.result) == (
        Status.COMPLETED,
        TESS.user_id,
        {"revision": 2},
    )
    assert [e.event for e in row.timeline] == ["submitted", "claimed", "approved", "completed"]
    assert fakes.notices() == [("completed", Audience.REQUESTER, "Looks right")]
    assert fakes.queued == [], "the mail travels with the projection, not on its own"
    assert fakes.prepared == [], "a PO edit applies on approval, nothing to prepare"
    [change] = fakes.applied
    assert change.approved_by == TESS
    assert change.comment == "Looks right"
    assert (change.request_type, change.account_id, change.payload) == (
        RequestType.PO_EDIT,
        ACME,
        PO_EDIT,
    )


# -- refusals -----------------------------------------------------------------------------------


def test_refused_updates_change_nothing(harness: Harness) -> None:
    async def scenario(scene: Scene) -> None:
        in_30_days = datetime.now(UTC) + timedelta(days=30)
        scene.fakes.plan = ApprovalPlan(
            Status.SCHEDULED, {"frequency": "monthly"}, due_at=f"{in_30_days.date()}T00:00:00+00:00"
        )
        handle = await scene.start(RequestType.FREQUENCY_CHANGE, FREQUENCY, prepares_approval=True)
        before = await handle.query(RequestWorkflow.snapshot)
        refused = [
            await refusal(handle.execute_update(RequestWorkflow.approve, ApproveInput(TESS))),
            await refusal(
                handle.execute_update(RequestWorkflow.request_info, RequestInfoInput(TESS, "?"))
            ),
            await refusal(handle.execute_update(RequestWorkflow.claim, ClaimInput(ALICE))),
            await refusal(handle.execute_update(RequestWorkflow.cancel, CancelInput(CHLOE))),
            await refusal(handle.execute_update(RequestWorkflow.cancel, CancelInput(BOB))),
        ]
        assert refused == [
            (CONFLICT, "not_claimed"),
            (CONFLICT, "not_claimed"),
            (FORBIDDEN, "staff_only"),
            (FORBIDDEN, "not_your_request"),
            (FORBIDDEN, "not_your_request"),
        ]
        assert await handle.query(RequestWorkflow.snapshot) == before
        assert scene.fakes.projections == []

        await handle.execute_update(RequestWorkflow.claim, ClaimInput(TESS))
        claimed = await handle.query(RequestWorkflow.snapshot)
        refused = [
            await refusal(handle.execute_update(RequestWorkflow.claim, ClaimInput(THEO))),
            await refusal(handle.execute_update(RequestWorkflow.approve, ApproveInput(THEO))),
            await refusal(handle.execute_update(RequestWorkflow.reject, RejectInput(TESS, " "))),
            await refusal(
                handle.execute_update(RequestWorkflow.provide_info, ProvideInfoInput(ALICE, "hi"))
            ),
        ]
        assert refused == [
            (CONFLICT, "already_claimed"),
            (FORBIDDEN, "claimed_by_other"),
            ("Invalid", "A reason is required"),
            (CONFLICT, "no_question_pending"),
        ]
        assert await handle.query(RequestWorkflow.snapshot) == claimed

        await handle.execute_update(RequestWorkflow.approve, ApproveInput(TESS, "yes"))
        scheduled = await handle.query(RequestWorkflow.snapshot)
        assert scheduled.status == Status.SCHEDULED
        # A second decision, either way, is refused.
        refused = [
            await refusal(handle.execute_update(RequestWorkflow.approve, ApproveInput(TESS))),
            await refusal(
                handle.execute_update(RequestWorkflow.reject, RejectInput(TESS, "changed"))
            ),
        ]
        assert refused == [(CONFLICT, "already_decided"), (CONFLICT, "already_decided")]
        after = await handle.query(RequestWorkflow.snapshot)
        assert (after.status, after.version, after.timeline) == (
            Status.SCHEDULED,
            scheduled.version,
            scheduled.timeline,
        )
        assert len(scene.fakes.prepared) == 1
        await handle.execute_update(RequestWorkflow.cancel, CancelInput(ALICE))
        await handle.result()

    fakes = harness.play(scenario)
    assert fakes.statuses() == [Status.IN_REVIEW, Status.SCHEDULED, Status.CANCELLED]
    assert fakes.applied == []


def test_a_request_a_technician_started_is_decided_by_a_supervisor(harness: Harness) -> None:
    async def scenario(scene: Scene) -> None:
        handle = await scene.start(RequestType.CONTACT_CHANGE, CONTACT, requester=TESS)
        refused = [
            await refusal(handle.execute_update(RequestWorkflow.claim, ClaimInput(TESS))),
            await refusal(handle.execute_update(RequestWorkflow.approve, ApproveInput(TESS))),
            await refusal(handle.execute_update(RequestWorkflow.claim, ClaimInput(THEO))),
            await refusal(
                handle.execute_update(RequestWorkflow.reassign, ReassignInput(SAM, THEO))
            ),
        ]
        assert refused == [
            (FORBIDDEN, "own_request"),
            (FORBIDDEN, "own_request"),
            (FORBIDDEN, "supervisor_decides"),
            (CONFLICT, "assignee_not_supervisor"),
        ]
        assert await events(handle) == ["submitted"]
        await handle.execute_update(RequestWorkflow.reassign, ReassignInput(SAM, SAM))
        assert await refusal(
            handle.execute_update(RequestWorkflow.approve, ApproveInput(THEO))
        ) == (FORBIDDEN, "supervisor_decides")
        await handle.execute_update(RequestWorkflow.approve, ApproveInput(SAM, "Checked"))
        assert (await handle.result()).status == Status.COMPLETED

    fakes = harness.play(scenario)
    assert fakes.statuses() == [Status.IN_REVIEW, Status.APPROVED, Status.COMPLETED]
    assert fakes.notices() == [
        ("reassigned", Audience.ASSIGNEE, ""),
        ("completed", Audience.REQUESTER, "Checked"),
    ]
    assert [change.approved_by for change in fakes.applied] == [SAM]
