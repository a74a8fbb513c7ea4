"""The registry of request kinds: each module of this package defines one (base.py says what a
kind owns). Adding a request type is one module here, its templates under
templates/kinds/<type>/, and a line below."""

from __future__ import annotations

from portal.billing_requests.kinds.account_inquiry import AccountInquiry
from portal.billing_requests.kinds.base import RequestKind
from portal.billing_requests.kinds.contact_change import ContactChange
from portal.billing_requests.kinds.form_request import FormRequest
from portal.billing_requests.kinds.frequency_change import FrequencyChange
from portal.billing_requests.kinds.po_edit import PoEdit
from portal.billing_requests.kinds.quote import QuoteKind
from portal.billing_requests.kinds.subscription_change import SubscriptionChange

KINDS: dict[str, RequestKind] = {
    kind.name: kind
    for kind in (
        PoEdit(),
        QuoteKind(),
        ContactChange(),
        FrequencyChange(),
        FormRequest(),
        AccountInquiry(),
        SubscriptionChange(),
    )
}


def kind_of(request_type: object) -> RequestKind | None:
    return KINDS.get(request_type) if isinstance(request_type, str) else None


def with_forms() -> list[RequestKind]:
    """The kinds a billing contact starts from a page of their own, in menu order."""
    return [kind for kind in KINDS.values() if kind.form is not None]
