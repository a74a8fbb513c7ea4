"""Form requests: a W-9, a vendor-registration form or a regional form, produced as a PDF
on approval and offered to the account for download."""

from __future__ import annotations

from typing import Any

from sqlalchemy import orm

from portal.billing_requests.kinds.fields import FieldErrors
from portal.config import Settings
from portal.i18n import _l
from portal.models import Account
from portal.purchase_orders.operations import FieldChange
from workflows.messages import ChangeInput

FORMS = ("w9", "vendor_form", "regional_form")
FORM_LABELS = {
    "w9": _l("W-9"),
    "vendor_form": _l("Vendor form"),
    "regional_form": _l("Regional form"),
}


def validate_form_request(
    _session: orm.Session, _account_id: int, payload: dict[str, Any]
) -> dict[str, Any]:
    errors = FieldErrors()
    form = errors.choice(payload, "form", FORMS)
    details = errors.text(payload, "details", 2000)
    region = errors.text(payload, "region", 100, required=form == "regional_form")
    errors.raise_if_any()
    return {"form": form, "details": details, "region": region}


def describe_form_request(_session: orm.Session, payload: dict[str, Any]) -> list[FieldChange]:
    rows = [FieldChange(str(_l("Form")), "", str(FORM_LABELS[payload["form"]]))]
    if payload.get("region"):
        rows.append(FieldChange(str(_l("Region")), "", payload["region"]))
    rows.append(FieldChange(str(_l("Details")), "", payload["details"]))
    return rows


def produce_form(session: orm.Session, change: ChangeInput, settings: Settings) -> dict[str, Any]:
    """Render the form and store it once (a retry finds the stored document)."""
    from portal.documents.operations import store_document
    from portal.documents.pdf import render_regional_form, render_vendor_form, render_w9

    account = session.get(Account, change.account_id)
    assert account is not None
    form, details = change.payload["form"], change.payload["details"]
    if form == "w9":
        content = render_w9(settings.vendor, account.name)
    elif form == "vendor_form":
        content = render_vendor_form(settings.vendor, account.name, details)
    else:
        content = render_regional_form(
            settings.vendor, account.name, change.payload["region"], details
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
