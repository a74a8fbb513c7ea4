"""Labels and formats the templates use, all translated."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from flask import Flask, has_request_context
from flask_babel import format_datetime, format_timedelta
from flask_login import current_user

from portal.billing_centre.subscriptions import subscription_status_label
from portal.billing_requests.events import EVENTS, event_of, status_labels
from portal.billing_requests.kinds import kind_of, with_forms
from portal.billing_requests.kinds.frequency_change import FREQUENCY_LABELS
from portal.i18n import _l, format_day, format_iso_day, format_money
from portal.models import BillingRequest
from portal.web.extensions import settings_of
from portal.web.forms import one_time_token
from portal.web.language import request_locale
from workflows.lifecycle import OPEN_STATUSES, Status

FIELD_LABELS = {
    "po_number": _l("PO number"),
    "bill_to": _l("Bill-to address"),
    "notes": _l("Notes"),
}


def status_label(status: str) -> str:
    for_staff = has_request_context() and bool(
        current_user.is_authenticated and current_user.is_staff
    )
    return str(status_labels(for_staff).get(status, status))


def event_label(name: str) -> str:
    event = event_of(name)
    return str(EVENTS[event].label) if event else name


def headline(item: BillingRequest) -> str:
    kind = kind_of(item.type)
    return kind.headline(item.payload or {}) if kind else ""


def type_label(request_type: str) -> str:
    kind = kind_of(request_type)
    return str(kind.label) if kind else request_type


def field_label(field: str) -> str:
    return str(FIELD_LABELS.get(field, field))


def frequency_label(frequency: str) -> str:
    return str(FREQUENCY_LABELS.get(frequency, frequency))


def actor_name(event: Any) -> str:
    """Who did a step of the timeline; the portal itself (a timer, an apply) in the reader's
    language: workflows record it as "Portal", whatever the language."""
    name = event.get("actor_name") if isinstance(event, dict) else getattr(event, "actor_name", "")
    actor_id = (
        event.get("actor_id") if isinstance(event, dict) else getattr(event, "actor_id", None)
    )
    return str(_l("Portal")) if name == "Portal" and not actor_id else str(name or "")


CARD_BRANDS = {"visa": "Visa", "mastercard": "Mastercard", "amex": "American Express"}


def card_brand(brand: str) -> str:
    """A card's brand as its owner writes it ("Visa", not the processor's "visa")."""
    return CARD_BRANDS.get(brand, str(_l("Card")) if brand == "card" else brand)


def duration(seconds: int) -> str:
    """'3 hours', '2 days': how long until (or since) a deadline, in the reader's language."""
    return str(format_timedelta(timedelta(seconds=seconds), threshold=1.5))


def when(moment: datetime | str) -> str:
    """A date and time in the reader's language and the portal's time zone."""
    value = datetime.fromisoformat(moment) if isinstance(moment, str) else moment
    return str(format_datetime(value, "medium"))


def init_app(app: Flask) -> None:
    app.jinja_env.globals.update(
        status_label=status_label,
        headline=headline,
        subscription_status_label=subscription_status_label,
        event_label=event_label,
        type_label=type_label,
        field_label=field_label,
        frequency_label=frequency_label,
        money=format_money,
        format_day=format_day,
        day=format_iso_day,
        card_brand=card_brand,
        actor_name=actor_name,
        duration=duration,
        when=when,
        get_locale=request_locale,
        open_statuses=sorted({*OPEN_STATUSES, Status.APPROVED}),
        kinds_with_forms=with_forms,
        one_time_token=one_time_token,
        development=settings_of(app).development,
    )
    app.context_processor(_the_user_itself)


def _the_user_itself() -> dict[str, Any]:
    """Templates ask `current_user` a dozen times a page; each through Flask-Login's proxy is a
    lookup of its own. The user itself, once (it replaces Flask-Login's proxy, registered
    before)."""
    return {"current_user": current_user._get_current_object()}
