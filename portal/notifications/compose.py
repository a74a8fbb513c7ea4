"""Who is told what about a request, in their own language; mails wait in the outbox table until
delivery (portal/notifications/delivery.py) sends them.

The worker composes these mails and has no Flask request, so nothing here goes through
flask_babel: the messages are marked with `N_` for extraction and translated with the
recipient's catalogue (`User.language`) loaded by `translations_for`.

What a workflow may put in `QueueNotificationInput.context`:
  link            a link the mail must carry (contact_changed_new: the one-time set-password link)
  expires_at      ISO date-time until which that link works
  recipient_email tell this person instead of the audience (a contact who may not be a user yet)
  recipient_name  their name, when they are not a user yet
  language        their language ("en" or "fr"), when they are not a user yet
  effective_date  ISO date a scheduled change takes effect (default: the account's next renewal)
"""

from __future__ import annotations

import gettext
import hashlib
import io
import logging
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from babel.dates import format_date, format_datetime
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_currency
from babel.support import Translations
from sqlalchemy import orm

from portal.accounts.security import normalize_email
from portal.billing_requests.types import kind_of
from portal.config import Settings
from portal.i18n import msgid
from portal.models import BillingRequest, Document, OutboxMessage, Quote, User
from workflows.lifecycle import Role
from workflows.messages import Audience, QueueNotificationInput

log = logging.getLogger(__name__)

TRANSLATIONS_DIR = Path(__file__).resolve().parent.parent / "translations"
LANGUAGES = ("en", "fr")
# The messages' own language: it needs no catalogue.
SOURCE_LANGUAGE = "en"

Translate = Callable[[str], str]


def N_(message: str) -> str:
    """Mark a message for extraction only: it is translated once the recipient is known."""
    return message


# -- catalogues -------------------------------------------------------------------------------


def _mo_is_current(po: Path, mo: Path) -> bool:
    if not mo.exists():
        return False
    return not po.exists() or mo.stat().st_mtime >= po.stat().st_mtime


def _compile(po: Path) -> bytes:
    with po.open("rb") as source:
        catalog = read_po(source, locale=po.parent.parent.name)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)  # fuzzy entries left out, as `pybabel compile` does
    return buffer.getvalue()


def compile_catalogs(directory: Path = TRANSLATIONS_DIR) -> None:
    """Write each missing or outdated .mo beside its .po; never raises.

    Compiled catalogues are build output (not in git, `make install` builds them): a checkout
    that skipped that step still gets translated pages instead of silently English ones.
    """
    for po in sorted(directory.glob("*/LC_MESSAGES/messages.po")):
        mo = po.with_suffix(".mo")
        if _mo_is_current(po, mo):
            continue
        temporary = mo.with_name(f".{mo.name}.{os.getpid()}.tmp")
        try:
            temporary.write_bytes(_compile(po))
            # Atomic: another process may be loading this catalogue right now.
            os.replace(temporary, mo)
        except (OSError, ValueError) as error:  # unwritable folder, or an undecodable .po
            temporary.unlink(missing_ok=True)
            log.warning("cannot compile %s (%s); run `pybabel compile -d %s`", po, error, directory)


@cache
def translations_for(language: str) -> gettext.NullTranslations:
    """The catalogue of a language, without Flask; the messages themselves are the English."""
    if language not in LANGUAGES or language == SOURCE_LANGUAGE:
        return gettext.NullTranslations()
    po = TRANSLATIONS_DIR / language / "LC_MESSAGES" / "messages.po"
    mo = po.with_suffix(".mo")
    if _mo_is_current(po, mo):
        with mo.open("rb") as source:
            return Translations(source)
    try:
        # Not compiled (or outdated): compile in memory rather than mail in the wrong language.
        return Translations(io.BytesIO(_compile(po)))
    except (OSError, ValueError) as error:
        # A mail in English beats no mail: the workflow must not stall on a catalogue.
        log.error("no usable %s catalogue (%s); mails fall back to English", language, error)
        return gettext.NullTranslations()


def language_of(value: str | None) -> str:
    """A supported language from a stored code ("fr", "fr-FR", "fr_CA"…), else English."""
    code = (value or "").replace("_", "-").split("-")[0].strip().lower()
    return code if code in LANGUAGES else SOURCE_LANGUAGE


# -- what each event says ---------------------------------------------------------------------


@dataclass(frozen=True)
class MailText:
    subject: str
    # What happened, as the customer reads it; `staff` as a technician reads it (if different).
    customer: str
    staff: str = ""
    # What the workflow's note is, for this event: a question, a reason, an answer…
    note_label: str = N_("Note")


# Placeholders: %(id)d request, %(type)s its type, %(account)s its account, %(contact)s the new
# billing contact, %(date)s a date, %(frequency)s a billing frequency.
MAILS: dict[str, MailText] = {
    "info_requested": MailText(
        N_("Request #%(id)d: a technician has a question"),
        N_(
            "A technician needs more information before deciding your request. "
            "Please answer on the request page; the request waits for your answer."
        ),
        note_label=N_("Question"),
    ),
    "info_provided": MailText(
        N_("Request #%(id)d: the customer answered"),
        N_("The customer answered your question; the request is back in review."),
        note_label=N_("Answer"),
    ),
    "rejected": MailText(
        N_("Request #%(id)d was rejected"),
        N_("A technician rejected your request. Nothing was changed."),
        note_label=N_("Reason"),
    ),
    "completed": MailText(
        N_("Request #%(id)d is complete"),
        N_("Your request was approved and the change is now applied."),
        N_("The request was approved and the change is now applied."),
        note_label=N_("Technician's comment"),
    ),
    "failed": MailText(
        N_("Request #%(id)d could not be applied"),
        N_("The approved change could not be applied. A technician is looking into it."),
        N_(
            "The approved change could not be applied, even after several attempts. "
            "The request needs a technician's attention."
        ),
        note_label=N_("Cause"),
    ),
    "expired": MailText(
        N_("Request #%(id)d was closed without an answer"),
        N_(
            "Your request was closed because the technician's question was not answered in "
            "time. Nothing was changed; submit a new request if you still need the change."
        ),
        N_("The request was closed because the customer did not answer in time."),
    ),
    "cancelled": MailText(
        N_("Request #%(id)d was cancelled"),
        N_("Your request was cancelled. Nothing was changed."),
        N_("The customer cancelled the request. Nothing more needs to be done."),
        note_label=N_("Reason"),
    ),
    "assigned": MailText(
        N_("Request #%(id)d is assigned to you"),
        N_("The request is now assigned to you."),
    ),
    "sla_reminder": MailText(
        N_("Reminder: request #%(id)d is waiting for review"),
        N_("The request has waited longer than the review time. Please claim and decide it."),
    ),
    "escalated": MailText(
        N_("Escalation: request #%(id)d is overdue"),
        N_(
            "The request is still undecided after the escalation time. "
            "Please make sure someone decides it, or reassign it."
        ),
    ),
    "quote_ready": MailText(
        N_("Your quote is ready (request #%(id)d)"),
        N_(
            "A technician priced your quote. Open it to see its lines and download it as a "
            "PDF, then accept it with your PO number or decline it before it expires."
        ),
        N_("The quote is priced and sent to the customer."),
        note_label=N_("Technician's comment"),
    ),
    "quote_expiring": MailText(
        N_("Your quote expires soon (request #%(id)d)"),
        N_(
            "Your quote has not been accepted yet and expires soon. Accept or decline it "
            "on the request page before then."
        ),
        note_label=N_("Valid until"),
    ),
    "quote_extended": MailText(
        N_("Your quote is valid longer (request #%(id)d)"),
        N_("A technician extended the validity of your quote."),
        note_label=N_("Technician's comment"),
    ),
    "quote_accepted": MailText(
        N_("Quote accepted (request #%(id)d)"),
        N_("You accepted the quote; the purchase order is created from its lines."),
        N_("The customer accepted the quote; the purchase order is created from its lines."),
        note_label=N_("PO number"),
    ),
    "quote_declined": MailText(
        N_("Quote declined (request #%(id)d)"),
        N_("You declined the quote. Nothing was ordered."),
        N_("The customer declined the quote. Nothing was ordered."),
        note_label=N_("Reason"),
    ),
    "scheduled": MailText(
        N_("Request #%(id)d is approved and scheduled"),
        N_(
            "Your billing-frequency change is approved. It takes effect at the account's "
            "next renewal; you can still cancel it until then."
        ),
        N_("The billing-frequency change is approved and takes effect at the next renewal."),
        note_label=N_("Technician's comment"),
    ),
    "contact_changed_old": MailText(
        N_("%(account)s has a new billing contact"),
        N_(
            "%(contact)s is now the billing contact of %(account)s. You remain a member of the "
            "account: you can still sign in, but billing is now managed by the new contact."
        ),
        note_label=N_("Technician's comment"),
    ),
    "contact_changed_new": MailText(
        N_("You are now the billing contact of %(account)s"),
        N_(
            "You are now the billing contact of %(account)s: you manage its billing, purchase "
            "orders, quotes and forms in the Corporate Billing Portal."
        ),
        note_label=N_("Technician's comment"),
    ),
    "invitation_expired": MailText(
        N_("Request #%(id)d: the set-password link expired"),
        N_(
            "The new billing contact did not choose a password in time, so their link expired. "
            "Contact LogMeIn Corporate account services for a new one."
        ),
        N_("The new billing contact's set-password link expired unused."),
    ),
    "document_ready": MailText(
        N_("Your document is ready (request #%(id)d)"),
        N_("The document you asked for is ready. Download it from the request page."),
        N_("The document is produced and offered to the customer."),
        note_label=N_("Technician's comment"),
    ),
    "answered": MailText(
        N_("Your question has an answer (request #%(id)d)"),
        N_("A technician answered your request. Any document is on the request page."),
        N_("The customer's question is answered."),
        note_label=N_("Answer"),
    ),
}
# Names the workflow also uses for the same news.
MAILS["quoted"] = MAILS["quote_ready"]

# The same event means something else for some request types.
TYPE_MAILS: dict[tuple[str, str], MailText] = {
    ("expired", "quote"): MailText(
        N_("Your quote expired (request #%(id)d)"),
        N_(
            "Your quote was not accepted before its validity ended. Nothing was ordered; ask "
            "for a new quote if you still need one."
        ),
        N_("The quote expired without an answer from the customer."),
    ),
}

UNKNOWN_EVENT = MailText(
    N_("News about request #%(id)d"),
    N_("There is news about this request."),
)

FREQUENCIES = {
    "annual": N_("Annual"),
    "semiannual": N_("Semiannual"),
    "quarterly": N_("Quarterly"),
    "monthly": N_("Monthly"),
}

# Events whose mail states the quote's total, and those that also say until when it is valid.
QUOTE_VALIDITY_EVENTS = frozenset({"quote_ready", "quoted", "quote_expiring", "quote_extended"})
QUOTE_EVENTS = QUOTE_VALIDITY_EVENTS | {"quote_accepted", "quote_declined"}


# -- who is told ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Addressee:
    key: str  # for the outbox's dedup key: the user's id, or a digest of a non-user's address
    email: str
    name: str
    language: str
    staff: bool

    @classmethod
    def of(cls, user: User) -> Addressee:
        return cls(str(user.id), user.email, user.name, language_of(user.language), user.is_staff)


def recipients(session: orm.Session, request: BillingRequest, audience: str) -> list[User]:
    if audience == Audience.REQUESTER:
        return [request.requester]
    if audience == Audience.ASSIGNEE:
        if request.assignee is not None:
            return [request.assignee]
        # Nobody has claimed it yet: every technician should hear of it.
        audience_roles = [Role.TECHNICIAN]
    else:
        audience_roles = [Role.SUPERVISOR]
    query = sa.select(User).where(User.role.in_(audience_roles), User.active).order_by(User.id)
    return list(session.scalars(query))


def addressees(
    session: orm.Session, request: BillingRequest, notification: QueueNotificationInput
) -> list[Addressee]:
    """The audience's users, or the one person the context names (maybe not a user yet)."""
    email = str(notification.context.get("recipient_email") or "")
    if not email:
        return [Addressee.of(user) for user in recipients(session, request, notification.audience)]
    email = normalize_email(email)
    user = session.scalar(sa.select(User).where(sa.func.lower(User.email) == email))
    if user is not None:
        return [Addressee.of(user)]
    digest = hashlib.sha256(email.encode()).hexdigest()[:16]
    language = notification.context.get("language") or request.requester.language
    name = str(notification.context.get("recipient_name") or email)
    return [Addressee(f"to-{digest}", email, name, language_of(language), staff=False)]


# -- composing --------------------------------------------------------------------------------


def _iso_date(value: Any) -> date | None:
    try:
        return date.fromisoformat(str(value)[:10]) if value else None
    except ValueError:
        return None


class Composer:
    """Writes one request's mails; everything shown is translated for each addressee."""

    def __init__(
        self,
        session: orm.Session,
        request: BillingRequest,
        notification: QueueNotificationInput,
        base_url: str,
    ) -> None:
        self.session = session
        self.request = request
        self.notification = notification
        self.base_url = base_url.rstrip("/")
        event, request_type = notification.event, request.type
        self.text = TYPE_MAILS.get((event, request_type)) or MAILS.get(event, UNKNOWN_EVENT)
        self.quote = (
            session.scalar(sa.select(Quote).where(Quote.request_id == request.id))
            if event in QUOTE_EVENTS or request_type == "quote"
            else None
        )

    def compose(self, to: Addressee) -> tuple[str, str]:
        """The subject and plain-text body for one addressee, in their language."""
        # Named `_` so that pybabel extracts the messages written here.
        _: Translate = translations_for(to.language).gettext
        values = self._values(_, to.language)
        lead = (self.text.staff or self.text.customer) if to.staff else self.text.customer
        lines = [_("Hello %(name)s,") % {"name": to.name}, "", _(lead) % values, ""]
        lines.append(_("Request: #%(id)d, %(type)s") % values)
        lines.append(_("Account: %(account)s") % values)
        lines += self._facts(_, to.language, values)
        note = self.notification.note.strip()
        # The workflow passes a quote's expiry date as the note: the quote's facts say it already.
        if note and not (self.quote is not None and self.notification.event == "quote_expiring"):
            # TRANSLATORS: introduces a note on the next lines, e.g. "Reason:".
            lines += ["", _("%(label)s:") % {"label": _(self.text.note_label)}, note]
        lines += self._links(_, to)
        lines += [
            "",
            "-- ",  # the conventional signature separator, which mail readers recognise
            _("Corporate Billing Portal, LogMeIn"),
            _("This message was sent automatically; replies are not read."),
        ]
        # One line (an account name could hold a line break); French non-breaking spaces stay.
        subject = re.sub(r"[ \t]*[\r\n]+[ \t]*", " ", _(self.text.subject) % values).strip()
        return subject[:300], "\n".join(lines) + "\n"

    def _values(self, _: Translate, language: str) -> dict[str, Any]:
        request = self.request
        kind = kind_of(request.type)
        payload = request.payload or {}
        named = payload.get("new_contact_name") or payload.get("new_contact_email")
        current = request.account.billing_contact
        contact = str(named or (current.name if current else "") or _(N_("Another person")))
        when = _iso_date(self.notification.context.get("effective_date"))
        when = when or request.account.next_renewal
        return {
            "id": request.id,
            "type": _(msgid(kind.label)) if kind else request.type,
            "account": request.account.name,
            "contact": contact,
            "date": format_date(when, format="long", locale=language) if when else "",
            "frequency": self._frequency(_),
        }

    def _frequency(self, _: Translate) -> str:
        frequency = str((self.request.payload or {}).get("frequency") or "")
        return _(FREQUENCIES[frequency]) if frequency in FREQUENCIES else frequency

    def _facts(self, _: Translate, language: str, values: dict[str, Any]) -> list[str]:
        """What the request settled, read from the database: totals, dates, names."""
        event, payload = self.notification.event, self.request.payload or {}
        facts: list[str] = []
        if self.quote is not None:
            total = format_currency(self.quote.total, self.quote.currency, locale=language)
            facts.append(_("Quote total: %(total)s") % {"total": total})
            if event in QUOTE_VALIDITY_EVENTS:
                until = format_date(self.quote.valid_until, format="long", locale=language)
                facts.append(_("Valid until: %(date)s") % {"date": until})
        if event == "scheduled":
            if values["frequency"]:
                facts.append(_("New billing frequency: %(frequency)s") % values)
            if values["date"]:
                facts.append(_("Takes effect on: %(date)s") % values)
        if event.startswith("contact_changed") and payload.get("new_contact_email"):
            contact = {
                "name": payload.get("new_contact_name") or payload["new_contact_email"],
                "email": payload["new_contact_email"],
            }
            facts.append(_("New billing contact: %(name)s <%(email)s>") % contact)
        document_id = (self.request.result or {}).get("document_id")
        if event == "document_ready" and isinstance(document_id, int):
            document = self.session.get(Document, document_id)
            if document is not None:
                facts.append(_("Document: %(name)s") % {"name": document.filename})
        return facts

    def _links(self, _: Translate, to: Addressee) -> list[str]:
        lines: list[str] = []
        context = self.notification.context
        link = str(context.get("link") or "")
        if link and self.notification.event == "contact_changed_new":
            lines += ["", _("First choose your password with this one-time link:"), link]
            expires = context.get("expires_at")
            try:
                expiry = datetime.fromisoformat(str(expires)) if expires else None
            except ValueError:
                expiry = None
            if expiry is not None:
                when = format_datetime(expiry, format="long", locale=to.language)
                lines.append(_("The link works once, until %(when)s.") % {"when": when})
        elif link:
            lines += ["", _("Link: %(link)s") % {"link": link}]
        if self.notification.event == "contact_changed_old" and not to.staff:
            # A former contact is a member now: the request page is no longer theirs to see.
            lines += ["", _("Your account: %(url)s") % {"url": f"{self.base_url}/"}]
        elif to.staff:
            url = f"{self.base_url}/console/tasks/{self.request.id}"
            lines += ["", _("Open the task: %(url)s") % {"url": url}]
        else:
            url = f"{self.base_url}/requests/{self.request.id}"
            lines += ["", _("Open the request: %(url)s") % {"url": url}]
        return lines


def _configured_base_url() -> str:
    # The worker's activities may not hand their settings down; read the same variable.
    return os.environ.get("PORTAL_BASE_URL", "").strip().rstrip("/") or Settings.base_url


def queue_notification(
    session: orm.Session, notification: QueueNotificationInput, base_url: str | None = None
) -> int:
    """Queue one message per recipient, in their language; a retry of the same notification
    queues nothing new. `base_url` (Settings.base_url) starts the links in the mails."""
    request = session.get(BillingRequest, notification.request_id)
    if request is None:
        return 0
    composer = Composer(session, request, notification, base_url or _configured_base_url())
    queued = 0
    for to in addressees(session, request, notification):
        key = f"{request.id}:{request.version}:{notification.event}:{to.key}"
        exists = session.scalar(sa.select(OutboxMessage.id).where(OutboxMessage.dedup_key == key))
        if exists is not None:
            continue
        subject, body = composer.compose(to)
        session.add(
            OutboxMessage(
                request_id=request.id,
                recipient_email=to.email,
                subject=subject,
                body=body,
                dedup_key=key,
            )
        )
        queued += 1
    return queued
