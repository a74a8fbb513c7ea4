"""What the page views share: turning operation errors into flashes and field errors."""

from __future__ import annotations

from flask import abort, flash
from flask_wtf import FlaskForm

from portal.errors import NotFound, PortalError, ValidationFailed


def report(
    error: PortalError, form: FlaskForm | None = None, field_map: dict[str, str] | None = None
) -> None:
    """Flash the error, and put each field's message beside its field; NotFound is a 404 page."""
    if isinstance(error, NotFound):
        abort(404)
    if isinstance(error, ValidationFailed) and form is not None:
        for name, message in error.fields.items():
            target = getattr(form, (field_map or {}).get(name, name), None)
            if target is not None:
                target.errors = (
                    [*target.errors, message] if isinstance(target.errors, list) else [message]
                )
    flash(error.message, "error")
