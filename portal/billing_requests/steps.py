"""What a person sends with an action on a request: its text, a file, the action's own fields."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

# The longest text a person may write in one step (a comment, a question, an answer).
MAX_TEXT = 2000


@dataclass(frozen=True)
class Upload:
    """A file sent with an action (an answer's attachment)."""

    filename: str
    content_type: str
    data: bytes


@dataclass(frozen=True)
class Step:
    """What a person sends with an action: its text and the action's own fields."""

    text: Any = ""
    assignee_id: Any = None
    pricing: Any = None
    attachment_id: int | None = None
    po_number: Any = ""
    valid_until: Any = ""
