"""Form requests: a W-9, a vendor-registration form or a regional form, produced as a PDF
on approval and offered to the account for download."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import orm
from wtforms import SelectField, StringField, TextAreaField
from wtforms.validators import Optional

from portal.billing_requests.events import Audience, MailText
from portal.billing_requests.kinds.base import (
    FieldChange,
    Recorded,
    RequestForm,
    RequestKind,
    shortened,
)
from portal.billing_requests.kinds.fields import CHOOSE, MAX_TEXT, FieldErrors
from portal.config import Settings
from portal.i18n import N_, _, _l
from portal.models import Account, BillingRequest, Document
from workflows.lifecycle import Event, RequestType
from workflows.messages import ChangeInput

FORMS = ("w9", "vendor_form", "regional_form")
FORM_LABELS = {
    "w9": _l("W-9"),
    "vendor_form": _l("Vendor form"),
    "regional_form": _l("Regional form"),
}


class FormRequestForm(RequestForm):
    form_name = SelectField(
        _l("Form"), choices=[("", CHOOSE), *FORM_LABELS.items()], validators=[Optional()]
    )
    region = StringField(_l("Region (for a regional form)"))
    details = TextAreaField(_l("Details"))

    def payload(self) -> dict[str, Any]:
        return {
            "form": self.form_name.data or "",
            "region": self.region.data or "",
            "details": self.details.data or "",
        }

    def field_map(self) -> dict[str, str]:
        return {"form": "form_name"}


class FormRequest(RequestKind):
    name = RequestType.FORM_REQUEST
    label = _l("Form request")
    new_title = _l("Request a form (W-9, vendor or regional form)")
    form = FormRequestForm
    approved_in_bulk = True
    mails = {
        Event.COMPLETED: MailText(
            N_("Your document is ready (request #%(id)d)"),
            N_("The document you asked for is ready. Download it from the request page."),
            N_("The document is produced and offered to the customer."),
            note_label=N_("Technician's comment"),
        ),
    }

    def mail_facts(self, session: orm.Session, request: BillingRequest, event: Event) -> list[str]:
        document_id = (request.result or {}).get("document_id")
        document = session.get(Document, document_id) if isinstance(document_id, int) else None
        if event is not Event.COMPLETED or document is None:
            return []
        return [_("Document: %(name)s", name=document.filename)]

    def validate(
        self, session: orm.Session, account_id: int, payload: dict[str, Any]
    ) -> dict[str, Any]:
        errors = FieldErrors()
        form = errors.choice(payload, "form", FORMS)
        details = errors.text(payload, "details", MAX_TEXT)
        region = errors.text(payload, "region", 100, required=form == "regional_form")
        errors.raise_if_any()
        return {"form": form, "details": details, "region": region}

    def headline(self, payload: Mapping[str, Any]) -> str:
        form = str(FORM_LABELS.get(str(payload.get("form")), ""))
        return shortened(f"{form} ({payload['region']})" if payload.get("region") else form)

    def describe(self, session: orm.Session, recorded: Recorded) -> list[FieldChange]:
        rows = [FieldChange(str(_l("Form")), "", str(FORM_LABELS[recorded.payload["form"]]))]
        if recorded.payload.get("region"):
            rows.append(FieldChange(str(_l("Region")), "", recorded.payload["region"]))
        rows.append(FieldChange(str(_l("Details")), "", recorded.payload["details"]))
        return rows

    def apply(
        self, session: orm.Session, change: ChangeInput, settings: Settings
    ) -> dict[str, Any]:
        return produce_form(session, change, settings)


def produce_form(session: orm.Session, change: ChangeInput, settings: Settings) -> dict[str, Any]:
    """Render the form and store it once (a retry finds the stored document)."""
    from portal.documents.operations import store_document
    from portal.documents.pdf import render_regional_form, render_vendor_form, render_w9

    account = session.get(Account, change.account_id)
    assert account is not None
    form, details = change.payload["form"], change.payload["details"]
    language = reader_language(session, change.request_id)
    if form == "w9":
        content = render_w9(settings.vendor, account.name, language=language)
    elif form == "vendor_form":
        content = render_vendor_form(settings.vendor, account.name, details, language=language)
    else:
        content = render_regional_form(
            settings.vendor, account.name, change.payload["region"], details, language=language
        )
    document = store_document(
        session,
        account.id,
        form,
        f"{form}-request-{change.request_id}.pdf",
        content,
        request_id=change.request_id,
        dedup_key=f"request-{change.request_id}",
    )
    return {"document_id": document.id, "form": form}


def reader_language(session: orm.Session, request_id: int) -> str | None:
    """The language of whom the form is for: the one the request's mails go to (its requester,
    or the account's billing contact of this moment), so the form reads like the mail that
    offers it. None (the language of the moment) when the request is not found."""
    from portal.notifications.recipients import audience_members

    request = session.get(BillingRequest, request_id)
    if request is None:
        return None
    readers = audience_members(session, request, Audience.REQUESTER)
    return readers[0].language if readers else None
