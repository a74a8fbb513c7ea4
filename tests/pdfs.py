"""PDFs read the way a viewer reads them: parsed by pypdf, never matched with regexes."""

from __future__ import annotations

from io import BytesIO

from pypdf import PdfReader


def pdf_text(data: bytes) -> str:
    """The text every page shows, in reading order; a file that is not a valid PDF fails."""
    assert data.startswith(b"%PDF-"), data[:20]
    reader = PdfReader(BytesIO(data), strict=True)
    assert reader.pages, "the PDF has no page"
    return "\n".join(page.extract_text() for page in reader.pages)
