"""Small checks every request kind's payload rules use, with per-field messages, and what
their forms share."""

from __future__ import annotations

from typing import Any

from portal.billing_requests.steps import MAX_TEXT, Step, Upload
from portal.errors import ValidationFailed
from portal.i18n import _l, format_money

INVALID = _l("Please correct the highlighted fields.")
CHOOSE = _l("— choose —")

__all__ = ["CHOOSE", "INVALID", "MAX_TEXT", "FieldErrors", "Step", "Upload", "money_text"]


def money_text(amount: Any, currency: str) -> str:
    return format_money(amount, currency)


class FieldErrors:
    """Collects per-field messages; `raise_if_any` turns them into one ValidationFailed."""

    def __init__(self) -> None:
        self.fields: dict[str, str] = {}

    def add(self, name: str, message: Any) -> None:
        self.fields.setdefault(name, str(message))

    def raise_if_any(self) -> None:
        if self.fields:
            raise ValidationFailed(str(INVALID), self.fields)

    def text(
        self, payload: dict[str, Any], name: str, max_length: int, required: bool = True
    ) -> str:
        value = payload.get(name)
        if value is None or (isinstance(value, str) and not value.strip()):
            if required:
                self.add(name, _l("This field is required."))
            return ""
        if not isinstance(value, str):
            self.add(name, _l("Must be text."))
            return ""
        value = value.replace("\r\n", "\n").strip()
        if len(value) > max_length:
            self.add(name, _l("At most %(max)d characters.", max=max_length))
        return value

    @staticmethod
    def is_whole(value: Any, low: int, high: int) -> bool:
        """A whole number (not a boolean) from `low` to `high`."""
        return isinstance(value, int) and not isinstance(value, bool) and low <= value <= high

    def integer(self, payload: dict[str, Any], name: str, low: int, high: int) -> int:
        value = payload.get(name)
        if not isinstance(value, int) or isinstance(value, bool):
            self.add(name, _l("A whole number is required."))
            return 0
        if not low <= value <= high:
            self.add(name, _l("Between %(low)d and %(high)d.", low=low, high=high))
        return value

    def choice(self, payload: dict[str, Any], name: str, choices: tuple[str, ...]) -> str:
        value = payload.get(name)
        if value in (None, ""):
            self.add(name, _l("Choose one from the list."))
            return ""
        if value not in choices:
            self.add(name, _l("One of: %(choices)s.", choices=", ".join(choices)))
            return ""
        return str(value)
