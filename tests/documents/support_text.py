"""Reading a PDF's text as a reader compares it: the no-break spaces of French amounts and dates
("1 234,50 €") are spaces to the eye, whichever one a PDF viewer hands back."""

from __future__ import annotations

from tests.pdfs import pdf_text

_SPACES = str.maketrans({"\u00a0": " ", "\u202f": " ", "\u2009": " "})


def reads(data: bytes) -> str:
    """The PDF's text, each kind of space as a plain one, each run of spaces and line breaks as
    one space (a table cell may wrap a long description)."""
    return " ".join(pdf_text(data).translate(_SPACES).split())
