"""The rules of who may act on a request and when (workflows/lifecycle.py), as plain unit tests."""

from __future__ import annotations

import pytest

from workflows.lifecycle import (
    CONFLICT,
    FORBIDDEN,
    Action,
    Actor,
    Refusal,
    RequestFacts,
    allowed_actions,
    check,
)

ALICE = Actor(1, "billing_contact", 10, "Alice")
CHLOE = Actor(2, "billing_contact", 20, "Chloé")
BOB = Actor(3, "member", 10, "Bob")
TESS = Actor(4, "technician", None, "Tess")
THEO = Actor(5, "technician", None, "Théo")
SAM = Actor(6, "supervisor", None, "Sam")


def facts(
    status: str = "submitted", assignee: int | None = None, requester: int = 1
) -> RequestFacts:
    return RequestFacts(status=status, account_id=10, requester_id=requester, assignee_id=assignee)


def refusal(
    action: Action, state: RequestFacts, actor: Actor, target: Actor | None = None
) -> tuple[str, str]:
    with pytest.raises(Refusal) as caught:
        check(action, state, actor, target)
    return caught.value.kind, caught.value.code


def test_a_technician_claims_a_submitted_request_once() -> None:
    check(Action.CLAIM, facts(), TESS)
    assert refusal(Action.CLAIM, facts("in_review", assignee=4), THEO) == (
        CONFLICT,
        "already_claimed",
    )
    assert refusal(Action.CLAIM, facts("completed", assignee=4), THEO) == (
        CONFLICT,
        "already_decided",
    )


def test_customers_cannot_act_as_technicians() -> None:
    for actor in (ALICE, BOB, CHLOE):
        assert refusal(Action.CLAIM, facts(), actor) == (FORBIDDEN, "staff_only")
        assert refusal(Action.APPROVE, facts("in_review", assignee=4), actor) == (
            FORBIDDEN,
            "staff_only",
        )


def test_only_the_assignee_decides_and_only_once() -> None:
    check(Action.APPROVE, facts("in_review", assignee=4), TESS)
    check(Action.REJECT, facts("waiting_for_customer", assignee=4), TESS)
    assert refusal(Action.APPROVE, facts("in_review", assignee=4), THEO) == (
        FORBIDDEN,
        "claimed_by_other",
    )
    assert refusal(Action.APPROVE, facts("submitted"), TESS) == (CONFLICT, "not_claimed")
    for decided in ("approved", "completed", "rejected", "failed"):
        assert refusal(Action.APPROVE, facts(decided, assignee=4), TESS) == (
            CONFLICT,
            "already_decided",
        )
    # A request nobody decided says how it ended instead.
    for ended in ("cancelled", "expired"):
        assert refusal(Action.APPROVE, facts(ended, assignee=4), TESS) == (CONFLICT, ended)
        assert refusal(Action.CLAIM, facts(ended), TESS) == (CONFLICT, ended)


def test_nobody_decides_their_own_request() -> None:
    own = facts("in_review", assignee=4, requester=4)
    assert refusal(Action.APPROVE, own, TESS) == (FORBIDDEN, "own_request")
    assert refusal(Action.CLAIM, facts(requester=4), TESS) == (FORBIDDEN, "own_request")


def test_questions_go_to_the_account_and_only_its_contact_answers() -> None:
    check(Action.REQUEST_INFO, facts("in_review", assignee=4), TESS)
    assert refusal(Action.REQUEST_INFO, facts("waiting_for_customer", assignee=4), TESS) == (
        CONFLICT,
        "already_waiting",
    )
    check(Action.PROVIDE_INFO, facts("waiting_for_customer", assignee=4), ALICE)
    assert refusal(Action.PROVIDE_INFO, facts("in_review", assignee=4), ALICE) == (
        CONFLICT,
        "no_question_pending",
    )
    assert refusal(Action.PROVIDE_INFO, facts("waiting_for_customer"), CHLOE) == (
        FORBIDDEN,
        "not_your_request",
    )
    assert refusal(Action.PROVIDE_INFO, facts("waiting_for_customer"), BOB) == (
        FORBIDDEN,
        "not_your_request",
    )


def test_the_contact_cancels_before_a_decision_only() -> None:
    for open_status in ("submitted", "in_review", "waiting_for_customer"):
        check(Action.CANCEL, facts(open_status), ALICE)
    assert refusal(Action.CANCEL, facts("approved", assignee=4), ALICE) == (
        CONFLICT,
        "already_decided",
    )
    assert refusal(Action.CANCEL, facts(), CHLOE) == (FORBIDDEN, "not_your_request")


def test_only_supervisors_reassign_and_only_to_staff() -> None:
    check(Action.REASSIGN, facts("in_review", assignee=4), SAM, THEO)
    assert refusal(Action.REASSIGN, facts("in_review", assignee=4), TESS, THEO) == (
        FORBIDDEN,
        "supervisor_only",
    )
    assert refusal(Action.REASSIGN, facts("in_review", assignee=4), SAM, BOB) == (
        CONFLICT,
        "assignee_not_staff",
    )


def test_pages_offer_exactly_the_allowed_actions() -> None:
    assert allowed_actions(facts(), TESS) == {Action.CLAIM}
    assert allowed_actions(facts("in_review", assignee=4), TESS) == {
        Action.APPROVE,
        Action.REJECT,
        Action.REQUEST_INFO,
    }
    assert allowed_actions(facts("in_review", assignee=4), SAM) == {Action.REASSIGN}
    assert allowed_actions(facts("waiting_for_customer", assignee=4), ALICE) == {
        Action.PROVIDE_INFO,
        Action.CANCEL,
    }
    assert allowed_actions(facts("completed", assignee=4), ALICE) == frozenset()
