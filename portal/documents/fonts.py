"""The fonts every portal PDF is set in, and the one place that names their files.

fpdf2's core fonts (Helvetica) only encode latin-1: "€", "Ł", "œ" or the narrow no-break space
of French amounts could not be printed. The PDFs use TrueType fonts of Debian's packages
instead (`make install` installs them; never a downloaded font):

- DejaVu Sans (`fonts-dejavu-core`), regular and bold, for every text: Latin, Greek, Cyrillic…
- Droid Sans Fallback (`fonts-droid-fallback`) for the characters DejaVu lacks (Chinese,
  Japanese, Korean), so a customer named "東京" keeps their name. It is ~4 MB, ~0.4 s to load,
  so a document loads it only once one of its texts needs it.
"""

from __future__ import annotations

import logging
import unicodedata
from pathlib import Path
from typing import Any

from fpdf import FPDF

log = logging.getLogger(__name__)

FONT_DIR = Path("/usr/share/fonts/truetype")
FAMILY = "DejaVuSans"
# fpdf2's style letters ("" regular, "B" bold) -> the file of that style.
FONT_FILES = {
    "": FONT_DIR / "dejavu" / "DejaVuSans.ttf",
    "B": FONT_DIR / "dejavu" / "DejaVuSans-Bold.ttf",
}
FALLBACK_FAMILY = "DroidSansFallback"
FALLBACK_FILE = FONT_DIR / "droid" / "DroidSansFallbackFull.ttf"
PACKAGES = "fonts-dejavu-core fonts-droid-fallback"
# What a character that no font has (an emoji) is shown as: something was there.
MISSING = "?"


class FontMissing(RuntimeError):
    """A font file is not installed: `make install` (or apt-get) installs it."""


def add_fonts(pdf: FPDF) -> None:
    """Register the main family's styles; a missing file says which package brings it."""
    for style, path in FONT_FILES.items():
        if not path.is_file():
            raise FontMissing(f"{path} is missing: run `make install` (apt-get install {PACKAGES})")
        pdf.add_font(FAMILY, style, str(path))


def _characters(pdf: FPDF, family: str) -> dict[int, Any]:
    # fpdf2 keeps each font's character map under its lower-cased family name (regular style).
    font = pdf.fonts.get(family.lower())
    return getattr(font, "cmap", None) or {}


def _fallback_characters(pdf: FPDF) -> dict[int, Any]:
    """The fallback font's characters, loading it into `pdf` the first time it is needed."""
    if FALLBACK_FAMILY.lower() not in pdf.fonts:
        if not FALLBACK_FILE.is_file():
            log.warning("%s is missing (apt-get install %s)", FALLBACK_FILE, PACKAGES)
            return {}
        pdf.add_font(FALLBACK_FAMILY, "", str(FALLBACK_FILE))
        # Not exact: the fallback has no bold, and a bold CJK name beats a missing one.
        pdf.set_fallback_fonts([FALLBACK_FAMILY], exact_match=False)
    return _characters(pdf, FALLBACK_FAMILY)


def printable(pdf: FPDF, text: Any) -> str:
    """`text` as `pdf`'s fonts print it: control characters dropped (they would garble the
    page), tabs as spaces, invisible format characters no font has dropped, and a visible
    character that no font has as "?" rather than silently nothing (fpdf2 would leave it out)."""
    cleaned = str(text).replace("\r\n", "\n").replace("\r", "\n").replace("\t", "    ")
    main = _characters(pdf, FAMILY)
    out: list[str] = []
    for char in cleaned:
        if char == "\n":
            out.append(char)
        elif unicodedata.category(char) == "Cc":
            continue
        elif ord(char) in main:
            out.append(char)
        elif unicodedata.category(char) in ("Cf", "Cs"):
            continue
        elif ord(char) in _fallback_characters(pdf):
            out.append(char)
        else:
            out.append(MISSING)
    return "".join(out)
