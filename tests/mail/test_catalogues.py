"""The catalogues: every message translated into French, compiled when the .mo files are missing."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from babel.messages.frontend import CommandLineInterface
from babel.messages.pofile import read_po
from babel.support import Translations

from portal.notifications.catalogs import TRANSLATIONS_DIR, compile_catalogs
from tests.mail.support import ROOT


def test_every_message_is_translated_into_french(tmp_path: Path) -> None:
    pot = tmp_path / "messages.pot"
    # The same extraction as `make translations`.
    CommandLineInterface().run(
        [
            "pybabel",
            "--quiet",
            "extract",
            "-F",
            str(ROOT / "babel.cfg"),
            "--no-default-keywords",
            *("-k", "_", "-k", "_l", "-k", "gettext", "-k", "lazy_gettext"),
            *("-k", "ngettext:1,2", "-k", "N_"),
            "-o",
            str(pot),
            str(ROOT),
        ]
    )
    with pot.open("rb") as source:
        template = read_po(source)
    with (TRANSLATIONS_DIR / "fr" / "LC_MESSAGES" / "messages.po").open("rb") as source:
        french = read_po(source, locale="fr")
    assert len(template) > 100
    untranslated = [
        message.id
        for message in template
        if message.id
        and (
            (found := french.get(message.id)) is None
            or not found.string
            or (isinstance(found.string, tuple) and not all(found.string))
            or found.fuzzy
        )
    ]
    assert untranslated == [], f"run `make translations` and translate: {untranslated}"
    # A translation must keep its placeholders, or formatting it fails at run time.
    problems = [(message.id, errors) for message, errors in french.check()]
    assert problems == []


# French typography: a no-break space before a colon, a narrow one before ; ! ? where the mark
# ends a clause (not in a URL's "?q=" or a time's "10:30").
WRONG_BEFORE_COLON = re.compile(r"(?:(?<=[^\s\u00a0])|[ \u202f]):(?=\s|$)")
WRONG_BEFORE_OTHERS = re.compile(r"(?:(?<=[^\s\u202f])|[ \u00a0])[;!?](?=[\s»\"”)]|$)")


def test_french_punctuation_has_its_space() -> None:
    with (TRANSLATIONS_DIR / "fr" / "LC_MESSAGES" / "messages.po").open("rb") as source:
        french = read_po(source, locale="fr")
    wrong = [
        text
        for message in french
        if message.id
        for text in (message.string if isinstance(message.string, tuple) else (message.string,))
        if WRONG_BEFORE_COLON.search(text) or WRONG_BEFORE_OTHERS.search(text)
    ]
    assert wrong == []


def test_catalogues_compile_when_the_mo_files_are_missing(tmp_path: Path) -> None:
    folder = tmp_path / "fr" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    shutil.copy(TRANSLATIONS_DIR / "fr" / "LC_MESSAGES" / "messages.po", folder)
    compile_catalogs(tmp_path)
    with (folder / "messages.mo").open("rb") as source:
        assert Translations(source).gettext("Sign in") == "Se connecter"
    compile_catalogs(tmp_path / "nowhere")  # nothing to compile: no error either
