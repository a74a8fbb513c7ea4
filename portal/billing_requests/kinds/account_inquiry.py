"""Account inquiries: an invoice question or a contract-copy request, answered by a
technician (the approval's comment), with an optional PDF attachment."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy import orm
from wtforms import FileField, SelectField, SubmitField, TextAreaField
from wtforms.validators import Length, Optional

from portal.billing_requests.events import MailText
from portal.billing_requests.kinds.base import (
    ActionForm,
    FieldChange,
    Recorded,
    RequestForm,
    RequestKind,
    shortened,
)
from portal.billing_requests.kinds.fields import (
    CHOOSE,
    MAX_TEXT,
    FieldErrors,
    Step,
    Upload,
    money_text,
)
from portal.config import Settings
from portal.errors import ValidationFailed
from portal.i18n import N_, _l
from portal.models import Document, Invoice, User
from workflows.lifecycle import Action, Event, RequestType
from workflows.messages import ChangeInput

if TYPE_CHECKING:
    from portal.models import BillingRequest

TOPICS = ("invoice_question", "contract_copy")
TOPIC_LABELS = {"invoice_question": _l("Invoice question"), "contract_copy": _l("Contract copy")}


class AccountInquiryForm(RequestForm):
    topic = SelectField(
        _l("Topic"), choices=[("", CHOOSE), *TOPIC_LABELS.items()], validators=[Optional()]
    )
    invoice_id = SelectField(
        _l("Invoice (for an invoice question)"), choices=[], validators=[Optional()]
    )
    message = TextAreaField(_l("Your question"))

    @classmethod
    def build(cls, session: orm.Session, user: User) -> AccountInquiryForm:
        form = cls()
        form.invoice_id.choices = [
            ("", CHOOSE),
            *(
                (
                    str(invoice.id),
                    f"{invoice.number} · {invoice.issued_on.isoformat()} · "
                    f"{money_text(invoice.total, invoice.currency)}",
                )
                for invoice in account_invoices(session, user.account_id or 0)
            ),
        ]
        return form

    def payload(self) -> dict[str, Any]:
        chosen = self.invoice_id.data
        return {
            "topic": self.topic.data or "",
            "invoice_id": int(chosen) if isinstance(chosen, str) and chosen.isdigit() else None,
            "message": self.message.data or "",
        }


class AnswerForm(ActionForm):
    """Approving an inquiry answers it, with an optional PDF."""

    text = TextAreaField(_l("Answer"), validators=[Optional(), Length(max=MAX_TEXT)])
    attachment = FileField(_l("Attachment (PDF, optional)"))
    submit = SubmitField(_l("Send the answer"))

    def step(self) -> Step:
        return Step(text=self.text.data or "")

    def upload(self) -> Upload | None:
        file = self.attachment.data
        if file is None or not getattr(file, "filename", ""):
            return None
        return Upload(file.filename or "", file.content_type or "", file.read())

    def field_map(self) -> dict[str, str]:
        return {"comment": "text"}


class AccountInquiry(RequestKind):
    name = RequestType.ACCOUNT_INQUIRY
    label = _l("Account inquiry")
    new_title = _l("Ask about an invoice or a contract")
    form = AccountInquiryForm
    action_forms = {Action.APPROVE: AnswerForm}
    mails = {
        Event.COMPLETED: MailText(
            N_("Your question has an answer (request #%(id)d)"),
            N_("A technician answered your request. Any document is on the request page."),
            N_("The customer's question is answered."),
            note_label=N_("Answer"),
        ),
    }

    def validate(
        self, session: orm.Session, account_id: int, payload: dict[str, Any]
    ) -> dict[str, Any]:
        errors = FieldErrors()
        topic = errors.choice(payload, "topic", TOPICS)
        message = errors.text(payload, "message", MAX_TEXT)
        invoice_id = payload.get("invoice_id")
        if invoice_id is not None or topic == "invoice_question":
            invoice = session.get(Invoice, invoice_id) if isinstance(invoice_id, int) else None
            if invoice is None or invoice.account_id != account_id:
                errors.add("invoice_id", _l("Choose one of your invoices."))
        errors.raise_if_any()
        return {"topic": topic, "invoice_id": invoice_id, "message": message}

    def headline(self, payload: Mapping[str, Any]) -> str:
        topic = str(TOPIC_LABELS.get(str(payload.get("topic")), ""))
        return shortened(f"{topic}: {payload.get('message', '')}")

    def describe(self, session: orm.Session, recorded: Recorded) -> list[FieldChange]:
        rows = [FieldChange(str(_l("Topic")), "", str(TOPIC_LABELS[recorded.payload["topic"]]))]
        if recorded.payload.get("invoice_id"):
            invoice = session.get(Invoice, recorded.payload["invoice_id"])
            rows.append(FieldChange(str(_l("Invoice")), "", invoice.number if invoice else "?"))
        rows.append(FieldChange(str(_l("Message")), "", recorded.payload["message"]))
        return rows

    def check_approval(
        self,
        session: orm.Session,
        request: BillingRequest,
        comment: str,
        pricing: dict[str, Any] | None,
    ) -> None:
        if not comment.strip():
            raise ValidationFailed(
                str(_l("Write the answer for the customer.")),
                {"comment": str(_l("The answer is required."))},
            )

    def apply(
        self, session: orm.Session, change: ChangeInput, settings: Settings
    ) -> dict[str, Any]:
        result: dict[str, Any] = {"answer": change.comment}
        if change.attachment_id is not None:
            document = session.get(Document, change.attachment_id)
            if document is not None and document.account_id == change.account_id:
                document.request_id = change.request_id
                result["document_id"] = document.id
        return result


def account_invoices(session: orm.Session, account_id: int) -> list[Invoice]:
    """The account's invoices, newest first: what an invoice question may be about."""
    query = (
        sa.select(Invoice)
        .where(Invoice.account_id == account_id)
        .order_by(Invoice.issued_on.desc(), Invoice.id.desc())
    )
    return list(session.scalars(query))
