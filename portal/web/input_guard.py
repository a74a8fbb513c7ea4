"""The one boundary text crosses: a lone UTF-16 surrogate, a NUL or a control character other
than newline, carriage return and tab can reach no operation, workflow or database (PostgreSQL
refuses NUL; a surrogate cannot be encoded, so a page or a projection showing it would fail
for ever). Pages, query strings and JSON bodies answer 400 naming the field."""

from __future__ import annotations

import re
from typing import Any

from flask import Flask, request

from portal.errors import ValidationFailed
from portal.i18n import _

UNREADABLE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")


def unreadable_field(value: Any) -> str | None:
    """The dotted path of the first string (or key) of a parsed JSON value that holds an
    unreadable character; iterative, as a value may be nested as deep as the parser allows."""
    pending: list[tuple[str, Any]] = [("", value)]
    while pending:
        path, item = pending.pop()
        if isinstance(item, str):
            if UNREADABLE.search(item):
                return path or "body"
        elif isinstance(item, dict):
            for key, child in item.items():
                name = f"{path}.{key}" if path else str(key)
                if isinstance(key, str) and UNREADABLE.search(key):
                    return path or "body"
                pending.append((name, child))
        elif isinstance(item, list):
            pending.extend(
                (f"{path}.{index}" if path else str(index), child)
                for index, child in enumerate(item)
            )
    return None


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
        # JSON bodies are checked where they are read (portal.web.api_support.json_body).
        for values in (request.args, request.form):
            for key in values:
                if any(UNREADABLE.search(value) for value in values.getlist(key)):
                    refuse(key)
