"""What a change handed out lapses after its time: a new contact's invitation."""

from __future__ import annotations

from portal.billing_requests.events import Audience
from tests.workflow.fakes import Fakes
from tests.workflow.harness import CONTACT, DAY, HOUR, TESS, Harness, Scene, eventually
from workflows.lifecycle import Event, RequestType, Status
from workflows.messages import LAPSE, ApproveInput, ExpireInvitationInput
from workflows.request_workflow import RequestWorkflow


def test_what_a_change_handed_out_lapses_after_the_time_its_result_names(
    harness: Harness,
) -> None:
    result = {"invitation_id": 42, LAPSE: {"after_seconds": 3 * DAY}}
    fakes = Fakes(apply_result=result)

    async def scenario(scene: Scene) -> None:
        handle = await scene.claimed(RequestType.CONTACT_CHANGE, CONTACT)
        await handle.execute_update(RequestWorkflow.approve, ApproveInput(TESS, "Welcome"))
        await eventually(lambda: scene.fakes.row().status == Status.COMPLETED, "completion")
        await scene.skip(handle, 3 * DAY - HOUR)
        assert scene.fakes.lapsed == [], "not before its time"
        await scene.skip(handle, 2 * HOUR)
        finished = await handle.result()
        assert finished.timeline[-1].event == Event.INVITATION_EXPIRED

    harness.play(scenario, fakes)
    assert [(lapse.request_type, lapse.result) for lapse in fakes.lapsed] == [
        (RequestType.CONTACT_CHANGE, result)
    ]
    assert fakes.expired_invitations == [], "the name of the legacy activity is not asked"
    # The contact who named the successor hears that the link went unused.
    assert fakes.notices()[-1] == ("invitation_expired", Audience.REQUESTER, "")


def test_a_new_contacts_invitation_expires_after_its_time(harness: Harness) -> None:
    """Results written before LAPSE existed name only the invitation: the legacy branch."""
    fakes = Fakes(apply_result={"invitation_id": 42, "new_contact_email": "dana@acme.example"})

    async def scenario(scene: Scene) -> None:
        handle = await scene.claimed(RequestType.CONTACT_CHANGE, CONTACT)
        await handle.execute_update(RequestWorkflow.approve, ApproveInput(TESS, "Welcome"))
        await eventually(lambda: scene.fakes.row().status == Status.COMPLETED, "completion")
        await scene.skip(handle, 3 * DAY - HOUR)
        assert scene.fakes.expired_invitations == [], "not before its time"
        await scene.skip(handle, 2 * HOUR)
        result = await handle.result()
        assert (result.status, result.timeline[-1].event) == (
            Status.COMPLETED,
            "invitation_expired",
        )

    harness.play(scenario, fakes)
    assert fakes.expired_invitations == [ExpireInvitationInput(42)]
    assert fakes.statuses() == [
        Status.IN_REVIEW,
        Status.APPROVED,
        Status.COMPLETED,
        Status.COMPLETED,
    ]
    assert [e.event for e in fakes.row().timeline][-2:] == ["completed", "invitation_expired"]
    assert fakes.notices() == [
        ("completed", Audience.REQUESTER, "Welcome"),
        ("invitation_expired", Audience.REQUESTER, ""),
    ]
