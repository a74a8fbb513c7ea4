"""What the page views share: turning operation errors into flashes and field errors."""

from __future__ import annotations

from typing import Any

from flask import abort, flash
from flask_wtf import FlaskForm
from wtforms import Field, FieldList, FormField

from portal.errors import NotFound, PortalError, ValidationFailed


def report(
    error: PortalError, form: FlaskForm | None = None, field_map: dict[str, str] | None = None
) -> None:
    """Flash the error, and put each field's message beside its field; NotFound is a 404 page.

    A field is named as the operations name it, or through `field_map`; a dotted name
    ("items.2.seats") reaches a field of a list of sub-forms."""
    if isinstance(error, NotFound):
        abort(404)
    if isinstance(error, ValidationFailed) and form is not None:
        for name, message in error.fields.items():
            target = field_at(form, (field_map or {}).get(name, name))
            if target is not None:
                target.errors = (
                    [*target.errors, message] if isinstance(target.errors, list) else [message]
                )
    flash(error.message, "error")


def field_at(form: Any, path: str) -> Field | None:
    target: Any = form
    for part in path.split("."):
        if isinstance(target, FieldList):
            index = int(part) if part.isdigit() else -1
            target = target.entries[index] if 0 <= index < len(target.entries) else None
        elif isinstance(target, FormField):
            target = target.form._fields.get(part)
        else:
            fields = getattr(target, "_fields", {})
            target = fields.get(part)
        if target is None:
            return None
    return target if isinstance(target, Field) and not isinstance(target, FormField) else None
