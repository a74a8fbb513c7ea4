"""The one boundary text crosses: unreadable text (workflows.readable) reaches no operation,
workflow or database. Pages, query strings and JSON bodies answer 400 naming the field."""

from __future__ import annotations

from typing import Any

from flask import Flask, request

from portal.errors import ValidationFailed
from portal.i18n import _
from workflows.readable import UNREADABLE, unreadable_field


def refuse_unreadable(value: Any) -> None:
    field = unreadable_field(value)
    if field is not None:
        refuse(field)


def refuse(field: str) -> None:
    message = _("Remove the control characters (or the broken character) from this field.")
    refused = _("%(field)s: text with characters that cannot be stored was refused.", field=field)
    raise ValidationFailed(refused, {field: message})


def init_app(app: Flask) -> None:
    @app.before_request
    def refuse_unreadable_forms() -> None:
        # JSON bodies are checked where they are validated (portal.web.openapi).
        for values in (request.args, request.form):
            for key in values:
                if any(UNREADABLE.search(value) for value in values.getlist(key)):
                    refuse(key)
