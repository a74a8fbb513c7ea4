"""Every event of a request's timeline is labelled and decides its mail, in one table; every
request kind is complete. A new event or kind that lacks either fails here."""

from __future__ import annotations

from portal.billing_requests.events import EVENTS, LEGACY_MAIL_EVENTS, Audience, event_of
from portal.billing_requests.kinds import KINDS, with_forms
from portal.billing_requests.kinds.base import RequestKind
from workflows.lifecycle import Event, RequestType


def test_every_event_has_a_label_and_a_mail_decision() -> None:
    assert set(EVENTS) == set(Event), "add the missing events to EVENTS"
    for event, info in EVENTS.items():
        assert str(info.label).strip(), f"{event} has no label"
        # A mail goes to somebody with a text, or to nobody: never one without the other.
        assert (info.tells is None) == (info.mail is None), event
        if info.mail is not None:
            assert info.mail.subject and info.mail.customer, event


def test_who_hears_of_what() -> None:
    tells = {event: info.tells for event, info in EVENTS.items()}
    assert tells[Event.CLAIMED] is None and tells[Event.APPROVED] is None
    assert tells[Event.INFO_REQUESTED] == Audience.REQUESTER
    assert tells[Event.INFO_PROVIDED] == Audience.ASSIGNEE
    assert tells[Event.ESCALATED] == Audience.SUPERVISORS
    # A cancelled request tells whoever had claimed it, and nobody when nobody had.
    assert tells[Event.CANCELLED] == Audience.CLAIMANT
    # Written once and never sent before events decided their mail.
    assert tells[Event.QUOTE_EXTENDED] == Audience.REQUESTER
    assert tells[Event.INVITATION_EXPIRED] == Audience.REQUESTER


def test_names_sent_by_older_workflows_still_mean_their_event() -> None:
    for name, event in LEGACY_MAIL_EVENTS.items():
        assert event_of(name) is event
        assert EVENTS[event].tells is not None, name
    assert event_of("completed") is Event.COMPLETED
    assert event_of("no_such_event") is None


def test_every_request_type_is_a_complete_kind() -> None:
    assert set(KINDS) == set(RequestType), "add the kind of each request type to KINDS"
    for name, kind in KINDS.items():
        assert isinstance(kind, RequestKind) and kind.name == name
        assert str(kind.label).strip(), name
        for method in ("validate", "describe", "apply"):
            assert getattr(type(kind), method) is not getattr(RequestKind, method), (name, method)
        for event in kind.mails:
            assert EVENTS[event].tells is not None, f"{name} words a mail nobody is sent"
    for kind in with_forms():
        assert kind.new_title, f"{kind.name} has a form but no page title"
