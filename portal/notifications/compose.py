"""Writing one request's mail for one reader, in the reader's language: the event's text
(the request kind's own wording where it has one), the facts the kind settled, the note, the
links. Worker-side code: no Flask; the catalogue is the reader's (portal.i18n.translated).
"""

from __future__ import annotations

import re
from datetime import datetime

from sqlalchemy import orm

from portal.billing_requests.events import EVENTS, MailText
from portal.billing_requests.kinds import kind_of
from portal.i18n import N_, _, format_moment, translated
from portal.models import BillingRequest
from portal.notifications.catalogs import translations_for
from portal.notifications.recipients import Addressee
from workflows.lifecycle import Event
from workflows.messages import QueueNotificationInput

UNKNOWN_EVENT = MailText(N_("News about request #%(id)d"), N_("There is news about this request."))


def mail_text(request_type: str, event: Event) -> MailText:
    kind = kind_of(request_type)
    own = kind.mails.get(event) if kind else None
    return own or EVENTS[event].mail or UNKNOWN_EVENT


class Composer:
    """Writes one request's mail of one event; everything shown is in each reader's language."""

    def __init__(
        self,
        session: orm.Session,
        request: BillingRequest,
        notification: QueueNotificationInput,
        event: Event,
        base_url: str,
    ) -> None:
        self.session = session
        self.request = request
        self.notification = notification
        self.event = event
        self.base_url = base_url.rstrip("/")
        self.kind = kind_of(request.type)
        self.text = mail_text(request.type, event)

    def compose(self, to: Addressee) -> tuple[str, str]:
        """The subject and plain-text body for one addressee, in their language."""
        with translated(translations_for(to.language), to.language):
            return self._compose(to)

    def _compose(self, to: Addressee) -> tuple[str, str]:
        values = self._values()
        lead = (self.text.staff or self.text.customer) if to.staff else self.text.customer
        lines = [_("Hello %(name)s,", name=to.name), "", _(lead) % values, ""]
        lines.append(_("Request: #%(id)d, %(type)s") % values)
        lines.append(_("Account: %(account)s") % values)
        if self.kind is not None:
            lines += self.kind.mail_facts(self.session, self.request, self.event)
        note = self.notification.note.strip()
        # The workflow passes a quote's expiry date as the note: the quote's facts say it already.
        if note and self.event is not Event.QUOTE_EXPIRING:
            # TRANSLATORS: introduces a note on the next lines, e.g. "Reason:".
            lines += ["", _("%(label)s:", label=_(self.text.note_label)), note]
        lines += self._links(to)
        lines += [
            "",
            "-- ",  # the conventional signature separator, which mail readers recognise
            _("Corporate Billing Portal, LogMeIn"),
            _("This message was sent automatically; replies are not read."),
        ]
        # One line (an account name could hold a line break); French non-breaking spaces stay.
        subject = re.sub(r"[ \t]*[\r\n]+[ \t]*", " ", _(self.text.subject) % values).strip()
        return subject[:300], "\n".join(lines) + "\n"

    def _values(self) -> dict[str, object]:
        request = self.request
        values: dict[str, object] = {
            "id": request.id,
            "type": str(self.kind.label) if self.kind else request.type,
            "account": request.account.name,
        }
        if self.kind is not None:
            values.update(self.kind.mail_values(self.session, request))
        return values

    def _links(self, to: Addressee) -> list[str]:
        lines: list[str] = []
        context = self.notification.context
        link = str(context.get("link") or "")
        if link and self.event is Event.CONTACT_CHANGED_NEW:
            lines += ["", _("First choose your password with this one-time link:"), link]
            try:
                expiry = datetime.fromisoformat(str(context.get("expires_at")))
            except ValueError:
                expiry = None
            if expiry is not None:
                lines.append(_("The link works once, until %(when)s.", when=format_moment(expiry)))
        elif link:
            lines += ["", _("Link: %(link)s", link=link)]
        if self.event is Event.CONTACT_CHANGED_OLD and not to.staff:
            # A former contact is a member now: the request page is no longer theirs to see.
            lines += ["", _("Your account: %(url)s", url=f"{self.base_url}/")]
        elif to.staff:
            url = f"{self.base_url}/console/tasks/{self.request.id}"
            lines += ["", _("Open the task: %(url)s", url=url)]
        else:
            url = f"{self.base_url}/requests/{self.request.id}"
            lines += ["", _("Open the request: %(url)s", url=url)]
        return lines
