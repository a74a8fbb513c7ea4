"""Every scenario `python -m tests.replay.record` knows, with the files it writes and what each
one covers."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from tests.replay.recording import Run
from tests.replay.scenarios.other_request_types import (
    account_inquiry,
    contact_change_four_eyes,
    form_request,
    frequency_cancelled,
    quote_accepted,
    quote_declined,
    subscription_change,
)
from tests.replay.scenarios.po_edits import (
    po_edit_cancelled,
    po_edit_completed,
    po_edit_completed_local_projection,
    po_edit_failed_retried,
    po_edit_info,
    po_edit_info_local_projection,
    po_edit_open,
    po_edit_reassigned,
    po_edit_rejected,
)
from tests.replay.scenarios.subscriptions import (
    frequency_applied_by_the_sandbox_clock,
    subscription_paths,
)
from tests.replay.scenarios.timers import (
    contact_change_invitation,
    frequency_applied,
    po_edit_info_expired,
    po_edit_sla,
    quote_expired,
    quote_extended,
)


@dataclass(frozen=True)
class Scenario:
    name: str
    time_skipping: bool
    run: Callable[[Run], Awaitable[None]]
    # The files it writes (without .json) and what each one covers.
    files: dict[str, str]


# In this order: Alice hands her role to Dana last of all.
SCENARIOS = (
    Scenario(
        "po_edit_completed",
        False,
        po_edit_completed,
        {"po_edit_approved_completed": "po_edit claimed, approved, applied: completed"},
    ),
    Scenario(
        "po_edit_rejected",
        False,
        po_edit_rejected,
        {"po_edit_rejected": "po_edit claimed then rejected with a reason"},
    ),
    Scenario(
        "po_edit_info",
        False,
        po_edit_info,
        {
            "po_edit_info_requested_provided_approved": (
                "po_edit: request_info, the contact's provide_info, approved: completed"
            )
        },
    ),
    Scenario(
        "po_edit_completed_local_projection",
        False,
        po_edit_completed_local_projection,
        {
            "po_edit_approved_completed_local_projection": (
                "po_edit approved and applied, each step projected by a local activity"
            )
        },
    ),
    Scenario(
        "po_edit_info_local_projection",
        False,
        po_edit_info_local_projection,
        {
            "po_edit_info_answered_local_projection": (
                "po_edit question and answer, then approved, projected by local activities"
            )
        },
    ),
    Scenario(
        "po_edit_cancelled",
        False,
        po_edit_cancelled,
        {"po_edit_cancelled_by_customer": "po_edit claimed, then cancelled by the contact"},
    ),
    Scenario(
        "po_edit_reassigned",
        False,
        po_edit_reassigned,
        {
            "po_edit_reassigned_approved": (
                "po_edit claimed by Tess, reassigned by a supervisor to Théo, who approves"
            )
        },
    ),
    Scenario(
        "po_edit_open",
        False,
        po_edit_open,
        {"po_edit_open_claimed": "OPEN: po_edit claimed, never decided (SLA timer pending)"},
    ),
    Scenario(
        "quote_accepted",
        False,
        quote_accepted,
        {
            "quote_priced_waiting_for_answer": (
                "OPEN: quote priced with an override, waiting for the contact (reminder timer)"
            ),
            "quote_priced_accepted_completed": (
                "the same quote accepted with a PO number: purchase order created, completed"
            ),
        },
    ),
    Scenario(
        "quote_declined",
        False,
        quote_declined,
        {"quote_declined": "quote at list price, declined by the contact"},
    ),
    Scenario(
        "contact_change_four_eyes",
        False,
        contact_change_four_eyes,
        {
            "contact_change_by_technician_supervisor_approved": (
                "OPEN: contact_change a technician started for Globex, claimed and approved by "
                "a supervisor (four eyes): completed, waiting for the invitation's expiry"
            )
        },
    ),
    Scenario(
        "frequency_cancelled",
        False,
        frequency_cancelled,
        {
            "frequency_change_cancelled_while_scheduled": (
                "frequency_change approved (scheduled for the renewal), cancelled by the contact"
            )
        },
    ),
    Scenario(
        "form_request",
        False,
        form_request,
        {"form_request_w9_produced": "form_request (W-9) approved: the PDF produced, completed"},
    ),
    Scenario(
        "account_inquiry",
        False,
        account_inquiry,
        {"account_inquiry_answered": "account_inquiry answered (approved with the answer)"},
    ),
    Scenario(
        "subscription_change",
        False,
        subscription_change,
        {
            "subscription_change_approved_applied": (
                "subscription_change: Acme's billing-centre seat change, approved and applied"
            )
        },
    ),
    Scenario(
        "po_edit_failed_retried",
        False,
        po_edit_failed_retried,
        {
            "po_edit_failed_waiting_for_retry": (
                "OPEN: po_edit whose apply failed twice (the database refused it): failed, "
                "waiting up to 30 days for a technician's retry"
            ),
            "po_edit_failed_retried_completed": (
                "the same request retried by the technician once the database works: completed"
            ),
        },
    ),
    Scenario(
        "po_edit_sla",
        True,
        po_edit_sla,
        {
            "po_edit_sla_reminded_escalated_open": (
                "OPEN: po_edit nobody claims: SLA reminder after 8 h, escalation after 24 h"
            )
        },
    ),
    Scenario(
        "po_edit_info_expired",
        True,
        po_edit_info_expired,
        {
            "po_edit_info_unanswered_expired": (
                "po_edit waiting_for_customer, unanswered for 14 days: expired"
            )
        },
    ),
    Scenario(
        "quote_expired",
        True,
        quote_expired,
        {
            "quote_reminded_then_expired": (
                "quote priced, reminder 7 days before its expiry, then expired unanswered"
            )
        },
    ),
    Scenario(
        "quote_extended",
        True,
        quote_extended,
        {
            "quote_extended_then_accepted": (
                "quote reminded, extended by the technician (extend_quote), then accepted"
            )
        },
    ),
    Scenario(
        "frequency_applied",
        True,
        frequency_applied,
        {
            "frequency_change_scheduled_waiting": (
                "OPEN: frequency_change approved, scheduled, waiting for the renewal"
            ),
            "frequency_change_applied_at_renewal": (
                "the same request applied by its timer at the renewal date: completed"
            ),
        },
    ),
    Scenario(
        "contact_change_invitation",
        True,
        contact_change_invitation,
        {
            "contact_change_by_contact_invitation_expired": (
                "contact_change by the contact, approved: completed, the invitation expired "
                "after 72 h"
            )
        },
    ),
    Scenario(
        "subscription_paths",
        True,
        subscription_paths,
        {
            "subscription_renewed_continued_as_new": (
                "SubscriptionWorkflow: Initech's monthly renewal charged, then continued as new"
            ),
            "subscription_waiting_for_the_next_period": (
                "OPEN: the run after it, waiting for the next period's end"
            ),
            "subscription_declined_reminded_expired": (
                "a renewal declined: past due, reminded on days 1, 3 and 7, expired on day 14"
            ),
            "subscription_pending_cancellation_ended": (
                "a pending cancellation ended at the period's end"
            ),
            "subscription_corporate_renewed_by_the_sandbox_clock": (
                "Globex's renewal invoiced to its PO, reached by moving the sandbox clock (Update)"
            ),
        },
    ),
    Scenario(
        "frequency_applied_by_the_sandbox_clock",
        False,
        frequency_applied_by_the_sandbox_clock,
        {
            "frequency_change_applied_by_the_sandbox_clock": (
                "frequency_change scheduled, applied when Globex's sandbox clock reached its "
                "date (RequestWorkflow.advance_clock)"
            )
        },
    ),
)
