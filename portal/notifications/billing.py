"""The billing centre's own mails: an invoice issued (to the billing contact and to the account's
extra invoice recipients), a renewal whose payment failed, its reminders, the expiry. Queued in
the writer's transaction, once (a dedup key), in the billing contact's language."""

from __future__ import annotations

import re
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy import orm

from portal.i18n import N_, _, format_day, format_money, translated
from portal.models import Account, Invoice, OutboxMessage
from portal.notifications.catalogs import language_of, translations_for
from portal.notifications.outbox import configured_base_url


class BillingMail(StrEnum):
    INVOICE = "invoice"
    PAYMENT_FAILED = "payment_failed"
    REMINDER = "payment_reminder"
    EXPIRED = "expired"


# (subject, what happened); placeholders: %(number)s, %(total)s, %(date)s, %(day)d.
TEXTS = {
    BillingMail.INVOICE: (
        N_("Invoice %(number)s: %(total)s"),
        N_("Your invoice %(number)s of %(date)s is ready: %(total)s."),
    ),
    BillingMail.PAYMENT_FAILED: (
        N_("Payment failed for invoice %(number)s"),
        N_(
            "We could not charge your card %(total)s for invoice %(number)s. Your subscription "
            "stays usable for now: update your card on the payment-method page and it is "
            "charged at once."
        ),
    ),
    BillingMail.REMINDER: (
        N_("Reminder: invoice %(number)s is unpaid"),
        N_(
            "Invoice %(number)s (%(total)s) is still unpaid, %(day)d day(s) after its renewal. "
            "Update your card on the payment-method page, or the subscription expires."
        ),
    ),
    BillingMail.EXPIRED: (
        N_("Your subscription expired"),
        N_(
            "Invoice %(number)s was not paid in time, so the subscription expired. You can "
            "reactivate it on the subscriptions page, paying a new period."
        ),
    ),
}


def queue_billing_mail(
    session: orm.Session,
    account: Account,
    kind: BillingMail,
    invoice: Invoice | None,
    day: int = 0,
) -> int:
    contact = account.billing_contact
    if contact is None:
        return 0
    readers = [contact.email]
    if kind is BillingMail.INVOICE:
        readers += [email for email in account.invoice_recipients or [] if email != contact.email]
    language = language_of(contact.language)
    queued = 0
    for email in readers:
        key = f"billing:{kind}:{invoice.id if invoice else 0}:{day}:{email}"[:200]
        if session.scalar(sa.select(OutboxMessage.id).where(OutboxMessage.dedup_key == key)):
            continue
        with translated(translations_for(language), language):
            subject, body = _compose(kind, invoice, day, contact.name)
        session.add(OutboxMessage(recipient_email=email, subject=subject, body=body, dedup_key=key))
        queued += 1
    return queued


def _compose(kind: BillingMail, invoice: Invoice | None, day: int, name: str) -> tuple[str, str]:
    subject, lead = TEXTS[kind]
    values: dict[str, object] = {"number": "", "total": "", "date": "", "day": day}
    if invoice is not None:
        values |= {
            "number": invoice.number,
            "total": format_money(invoice.total, invoice.currency),
            "date": format_day(invoice.issued_on),
        }
    lines = [_("Hello %(name)s,", name=name), "", _(lead) % values, ""]
    if invoice is not None:
        url = f"{configured_base_url()}/billing/invoices/{invoice.id}"
        lines.append(_("Open the invoice: %(url)s", url=url))
    lines += [
        "",
        "-- ",
        _("Corporate Billing Portal, LogMeIn"),
        _("This message was sent automatically; replies are not read."),
    ]
    shown = re.sub(r"\s*[\r\n]+\s*", " ", _(subject) % values).strip()
    return shown[:300], "\n".join(lines) + "\n"
