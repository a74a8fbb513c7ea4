"""The translation catalogues, without Flask: compiled from the .po files when the build did
not (a checkout that skipped `make install`), so nothing silently falls back to English."""

from __future__ import annotations

import contextlib
import gettext
import io
import logging
import os
from functools import cache
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

log = logging.getLogger(__name__)

TRANSLATIONS_DIR = Path(__file__).resolve().parent.parent / "translations"
LANGUAGES = ("en", "fr")
# The messages' own language: it needs no catalogue.
SOURCE_LANGUAGE = "en"


def _mo_is_current(po: Path, mo: Path) -> bool:
    if not mo.exists():
        return False
    return not po.exists() or mo.stat().st_mtime >= po.stat().st_mtime


def _compile(po: Path) -> bytes:
    with po.open("rb") as source:
        catalog = read_po(source, locale=po.parent.parent.name)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)  # fuzzy entries left out, as `pybabel compile` does
    return buffer.getvalue()


def compile_catalogs(directory: Path = TRANSLATIONS_DIR) -> None:
    """Write each missing or outdated .mo beside its .po; never raises.

    Compiled catalogues are build output (not in git, `make install` builds them): a checkout
    that skipped that step still gets translated pages instead of silently English ones. Where
    the folder cannot be written (a wheel on a read-only file system), pages keep what is
    compiled there; mails compile in memory (`translations_for`).
    """
    for po in sorted(directory.glob("*/LC_MESSAGES/messages.po")):
        mo = po.with_suffix(".mo")
        if _mo_is_current(po, mo):
            continue
        temporary = mo.with_name(f".{mo.name}.{os.getpid()}.tmp")
        try:
            temporary.write_bytes(_compile(po))
            # Atomic: another process may be loading this catalogue right now.
            os.replace(temporary, mo)
        except (OSError, ValueError) as error:  # unwritable folder, or an undecodable .po
            with contextlib.suppress(OSError):  # a read-only file system refuses this too
                temporary.unlink(missing_ok=True)
            log.warning("cannot compile %s (%s); run `pybabel compile -d %s`", po, error, directory)


@cache
def translations_for(language: str) -> gettext.NullTranslations:
    """The catalogue of a language, without Flask; the messages themselves are the English."""
    if language not in LANGUAGES or language == SOURCE_LANGUAGE:
        return gettext.NullTranslations()
    po = TRANSLATIONS_DIR / language / "LC_MESSAGES" / "messages.po"
    mo = po.with_suffix(".mo")
    if _mo_is_current(po, mo):
        with mo.open("rb") as source:
            return Translations(source)
    try:
        # Not compiled (or outdated): compile in memory rather than mail in the wrong language.
        return Translations(io.BytesIO(_compile(po)))
    except (OSError, ValueError) as error:
        # A mail in English beats no mail: the workflow must not stall on a catalogue.
        log.error("no usable %s catalogue (%s); mails fall back to English", language, error)
        return gettext.NullTranslations()


def language_of(value: str | None) -> str:
    """A supported language from a stored code ("fr", "fr-FR", "fr_CA"…), else English."""
    code = (value or "").replace("_", "-").split("-")[0].strip().lower()
    return code if code in LANGUAGES else SOURCE_LANGUAGE
