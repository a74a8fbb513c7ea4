"""Text a page, a database and a mail can all hold: no lone UTF-16 surrogate (it cannot be
encoded), no NUL (PostgreSQL refuses it), no control character but newline, carriage return
and tab. Pure, so the portal's input boundary and the workflows' update validators share it."""

from __future__ import annotations

import dataclasses
import re
from typing import Any

UNREADABLE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
SURROGATE = re.compile(r"[\ud800-\udfff]")


def unreadable_field(value: Any) -> str | None:
    """The dotted path of the first string (or key) of a parsed JSON value, or of a message
    dataclass, that holds an unreadable character; iterative, as a value may be nested as deep
    as the parser allows."""
    pending: list[tuple[str, Any]] = [("", value)]
    while pending:
        path, item = pending.pop()
        if dataclasses.is_dataclass(item) and not isinstance(item, type):
            item = {field.name: getattr(item, field.name) for field in dataclasses.fields(item)}
        if isinstance(item, str):
            if UNREADABLE.search(item):
                return path or "body"
        elif isinstance(item, dict):
            for key, child in item.items():
                name = f"{path}.{key}" if path else str(key)
                if isinstance(key, str) and UNREADABLE.search(key):
                    return path or "body"
                pending.append((name, child))
        elif isinstance(item, list | tuple):
            pending.extend(
                (f"{path}.{index}" if path else str(index), child)
                for index, child in enumerate(item)
            )
    return None


def readable(text: str) -> str:
    """`text` with each surrogate shown as U+FFFD and the other unreadable characters dropped."""
    return UNREADABLE.sub("", SURROGATE.sub("\ufffd", text))


def scrubbed(value: Any) -> Any:
    """A copy of a message (dataclasses, dicts, lists of them) whose every string is
    `readable`: for what recorded histories may hold from before the boundary refused it."""
    if isinstance(value, str):
        return readable(value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        changes = {f.name: scrubbed(getattr(value, f.name)) for f in dataclasses.fields(value)}
        return dataclasses.replace(value, **changes)
    if isinstance(value, dict):
        return {scrubbed(key): scrubbed(child) for key, child in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(scrubbed(child) for child in value)
    return value
