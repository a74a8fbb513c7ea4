"""What each event of a request's timeline is called and whom it tells, with what: the one
table the timeline, the pages and the mails read (a test fails when an event lacks an entry).

Mail texts are marked with `N_` for extraction and translated in each recipient's language
(portal/notifications/compose.py). Placeholders: %(id)d the request, %(type)s its type,
%(account)s its account, %(contact)s the new billing contact, %(date)s a date, %(frequency)s a
billing frequency. A request kind may word an event's mail its own way (`RequestKind.mails`).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from portal.i18n import N_, LazyText, _l
from workflows.lifecycle import Event, Status


class Audience(StrEnum):
    """Who an event's mail goes to."""

    REQUESTER = "requester"
    # The assignee; every technician while nobody has claimed the request.
    ASSIGNEE = "assignee"
    # The assignee only: nobody while unclaimed.
    CLAIMANT = "claimant"
    SUPERVISORS = "supervisors"
    # The person the mail's context names (a new billing contact may not be a user yet).
    NAMED = "named"


@dataclass(frozen=True)
class MailText:
    subject: str
    # What happened, as the customer reads it; `staff` as a technician reads it (if different).
    customer: str
    staff: str = ""
    # What the workflow's note is, for this event: a question, a reason, an answer…
    note_label: str = N_("Note")


@dataclass(frozen=True)
class EventInfo:
    label: LazyText
    # None: nobody is told by mail.
    tells: Audience | None = None
    mail: MailText | None = None


EVENTS: dict[Event, EventInfo] = {
    Event.SUBMITTED: EventInfo(_l("Submitted")),
    # The timeline names who claimed it: a technician or a supervisor.
    Event.CLAIMED: EventInfo(_l("Claimed")),
    Event.REASSIGNED: EventInfo(
        _l("Reassigned"),
        Audience.ASSIGNEE,
        MailText(
            N_("Request #%(id)d is assigned to you"),
            N_("The request is now assigned to you."),
        ),
    ),
    Event.APPROVED: EventInfo(_l("Approved")),
    Event.REJECTED: EventInfo(
        _l("Rejected"),
        Audience.REQUESTER,
        MailText(
            N_("Request #%(id)d was rejected"),
            N_("A technician rejected your request. Nothing was changed."),
            note_label=N_("Reason"),
        ),
    ),
    Event.INFO_REQUESTED: EventInfo(
        _l("Question for the customer"),
        Audience.REQUESTER,
        MailText(
            N_("Request #%(id)d: a technician has a question"),
            N_(
                "A technician needs more information before deciding your request. "
                "Please answer on the request page; the request waits for your answer."
            ),
            note_label=N_("Question"),
        ),
    ),
    Event.INFO_PROVIDED: EventInfo(
        _l("Customer answered"),
        Audience.ASSIGNEE,
        MailText(
            N_("Request #%(id)d: the customer answered"),
            N_("The customer answered your question; the request is back in review."),
            note_label=N_("Answer"),
        ),
    ),
    Event.CANCELLED: EventInfo(
        _l("Cancelled"),
        Audience.CLAIMANT,
        MailText(
            N_("Request #%(id)d was cancelled"),
            N_("Your request was cancelled. Nothing was changed."),
            N_("The customer cancelled the request. Nothing more needs to be done."),
            note_label=N_("Reason"),
        ),
    ),
    Event.COMPLETED: EventInfo(
        _l("Change applied"),
        Audience.REQUESTER,
        MailText(
            N_("Request #%(id)d is complete"),
            N_("Your request was approved and the change is now applied."),
            N_("The request was approved and the change is now applied."),
            note_label=N_("Technician's comment"),
        ),
    ),
    Event.FAILED: EventInfo(
        _l("Could not be applied"),
        Audience.ASSIGNEE,
        MailText(
            N_("Request #%(id)d could not be applied"),
            N_("The approved change could not be applied. A technician is looking into it."),
            N_(
                "The approved change could not be applied, even after several attempts. "
                "The request needs a technician's attention."
            ),
            note_label=N_("Cause"),
        ),
    ),
    Event.RETRIED: EventInfo(_l("Retried by a technician")),
    Event.EXPIRED: EventInfo(
        _l("Closed without an answer"),
        Audience.REQUESTER,
        MailText(
            N_("Request #%(id)d was closed without an answer"),
            N_(
                "Your request was closed because the technician's question was not answered in "
                "time. Nothing was changed; submit a new request if you still need the change."
            ),
            N_("The request was closed because the customer did not answer in time."),
        ),
    ),
    Event.SLA_REMINDER: EventInfo(
        _l("Review reminder sent"),
        Audience.ASSIGNEE,
        MailText(
            N_("Reminder: request #%(id)d is waiting for review"),
            N_("The request has waited longer than the review time. Please claim and decide it."),
        ),
    ),
    Event.ESCALATED: EventInfo(
        _l("Escalated to supervisors"),
        Audience.SUPERVISORS,
        MailText(
            N_("Escalation: request #%(id)d is overdue"),
            N_(
                "The request is still undecided after the escalation time. "
                "Please make sure someone decides it, or reassign it."
            ),
        ),
    ),
    Event.QUOTED: EventInfo(
        _l("Quote priced"),
        Audience.REQUESTER,
        MailText(
            N_("Your quote is ready (request #%(id)d)"),
            N_(
                "A technician priced your quote. Open it to see its lines and download it as a "
                "PDF, then accept it with your PO number or decline it before it expires."
            ),
            N_("The quote is priced and sent to the customer."),
            note_label=N_("Technician's comment"),
        ),
    ),
    Event.QUOTE_EXPIRING: EventInfo(
        _l("Quote expires soon"),
        Audience.REQUESTER,
        MailText(
            N_("Your quote expires soon (request #%(id)d)"),
            N_(
                "Your quote has not been accepted yet and expires soon. Accept or decline it "
                "on the request page before then."
            ),
            note_label=N_("Valid until"),
        ),
    ),
    Event.QUOTE_EXTENDED: EventInfo(
        _l("Quote validity extended"),
        Audience.REQUESTER,
        MailText(
            N_("Your quote is valid longer (request #%(id)d)"),
            N_("A technician extended the validity of your quote."),
            note_label=N_("Technician's comment"),
        ),
    ),
    Event.QUOTE_ACCEPTED: EventInfo(
        _l("Quote accepted"),
        Audience.ASSIGNEE,
        MailText(
            N_("Quote accepted (request #%(id)d)"),
            N_("You accepted the quote; the purchase order is created from its lines."),
            N_("The customer accepted the quote; the purchase order is created from its lines."),
            note_label=N_("PO number"),
        ),
    ),
    Event.QUOTE_DECLINED: EventInfo(
        _l("Quote declined"),
        Audience.ASSIGNEE,
        MailText(
            N_("Quote declined (request #%(id)d)"),
            N_("You declined the quote. Nothing was ordered."),
            N_("The customer declined the quote. Nothing was ordered."),
            note_label=N_("Reason"),
        ),
    ),
    Event.SCHEDULED: EventInfo(
        _l("Scheduled for the next renewal"),
        Audience.REQUESTER,
        MailText(
            N_("Request #%(id)d is approved and scheduled"),
            N_(
                "Your billing-frequency change is approved. It takes effect at the account's "
                "next renewal; you can still cancel it until then."
            ),
            N_("The billing-frequency change is approved and takes effect at the next renewal."),
            note_label=N_("Technician's comment"),
        ),
    ),
    Event.INVITATION_EXPIRED: EventInfo(
        _l("Set-password link expired"),
        Audience.REQUESTER,
        MailText(
            N_("Request #%(id)d: the set-password link expired"),
            N_(
                "The new billing contact did not choose a password in time, so their link expired. "
                "Contact LogMeIn Corporate account services for a new one."
            ),
            N_("The new billing contact's set-password link expired unused."),
        ),
    ),
    Event.CONTACT_CHANGED_NEW: EventInfo(
        _l("New billing contact told"),
        Audience.NAMED,
        MailText(
            N_("You are now the billing contact of %(account)s"),
            N_(
                "You are now the billing contact of %(account)s: you manage its billing, purchase "
                "orders, quotes and forms in the Corporate Billing Portal."
            ),
            note_label=N_("Technician's comment"),
        ),
    ),
    Event.CONTACT_CHANGED_OLD: EventInfo(
        _l("Former billing contact told"),
        Audience.NAMED,
        MailText(
            N_("%(account)s has a new billing contact"),
            N_(
                "%(contact)s is now the billing contact of %(account)s. You remain a member of the "
                "account: you can still sign in, but billing is now managed by the new contact."
            ),
            note_label=N_("Technician's comment"),
        ),
    ),
}

# Mail names that workflows started before events were unified still send.
# Remove once no request submitted before 2026-12-05 can still be running (about a year).
LEGACY_MAIL_EVENTS = {
    "quote_ready": Event.QUOTED,
    "assigned": Event.REASSIGNED,
    "document_ready": Event.COMPLETED,
    "answered": Event.COMPLETED,
}

STATUS_LABELS: dict[str, LazyText] = {
    Status.SUBMITTED: _l("Submitted"),
    Status.IN_REVIEW: _l("In review"),
    Status.WAITING_FOR_CUSTOMER: _l("Waiting for you"),
    Status.APPROVED: _l("Approved"),
    Status.COMPLETED: _l("Completed"),
    Status.REJECTED: _l("Rejected"),
    Status.CANCELLED: _l("Cancelled"),
    Status.EXPIRED: _l("Expired"),
    Status.FAILED: _l("Failed"),
    Status.QUOTED: _l("Quoted"),
    Status.ACCEPTED: _l("Accepted"),
    Status.DECLINED: _l("Declined"),
    Status.SCHEDULED: _l("Scheduled"),
}
# The console's readers wait for nobody: there the customer is who is waited for.
STAFF_STATUS_LABELS: dict[str, LazyText] = {
    **STATUS_LABELS,
    Status.WAITING_FOR_CUSTOMER: _l("Waiting for the customer"),
}


def status_labels(for_staff: bool) -> dict[str, LazyText]:
    return STAFF_STATUS_LABELS if for_staff else STATUS_LABELS


def event_of(name: str) -> Event | None:
    """The event a stored or sent name stands for (legacy mail names included)."""
    if name in LEGACY_MAIL_EVENTS:
        return LEGACY_MAIL_EVENTS[name]
    try:
        return Event(name)
    except ValueError:
        return None
