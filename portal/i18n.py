"""Translatable text without Flask, so the worker and the domain code can hold it too.

`_l("…")` (lazy) and `_("…")` (now) look like Flask-Babel's and are extracted by the same
`pybabel` keywords. Which catalogue translates them is decided when the text is shown: the one
`translated(language)` set (a mail in its recipient's language), else the one the web app
provides for the current request (Flask-Babel's), else none (the English of the source).
"""

from __future__ import annotations

import gettext as gettext_module
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from markupsafe import Markup, escape

Catalogue = gettext_module.NullTranslations

_NO_CATALOGUE = gettext_module.NullTranslations()
_chosen: ContextVar[Catalogue | None] = ContextVar("portal_catalogue", default=None)


def _no_provider() -> Catalogue | None:
    return None


_provider: Callable[[], Catalogue | None] = _no_provider


def provide_catalogues(provider: Callable[[], Catalogue | None]) -> None:
    """The web app's hook: the catalogue of the current request's language."""
    global _provider
    _provider = provider


@contextmanager
def translated(catalogue: Catalogue) -> Iterator[None]:
    """Everything shown inside the block is in this catalogue's language."""
    token = _chosen.set(catalogue)
    try:
        yield
    finally:
        _chosen.reset(token)


def active_catalogue() -> Catalogue:
    return _chosen.get() or _provider() or _NO_CATALOGUE


def gettext(message: str, **variables: Any) -> str:
    translated_text = active_catalogue().gettext(message)
    return translated_text % variables if variables else translated_text


def ngettext(singular: str, plural: str, count: int, **variables: Any) -> str:
    translated_text = active_catalogue().ngettext(singular, plural, count)
    return translated_text % {"num": count, **variables}


class LazyText:
    """A message translated each time it is shown, in the language of that moment."""

    __slots__ = ("message", "variables")

    def __init__(self, message: str, variables: dict[str, Any]) -> None:
        self.message = message
        self.variables = variables

    def __str__(self) -> str:
        return gettext(self.message, **self.variables)

    def __html__(self) -> Markup:
        return escape(str(self))

    def __repr__(self) -> str:
        return f"LazyText({self.message!r})"

    def __mod__(self, values: Any) -> str:
        shown: str = str(self) % values
        return shown

    def __add__(self, other: object) -> str:
        return str(self) + str(other)

    def __radd__(self, other: object) -> str:
        return str(other) + str(self)

    def __eq__(self, other: object) -> bool:
        return str(self) == str(other)

    def __hash__(self) -> int:
        return hash(self.message)

    def __len__(self) -> int:
        return len(str(self))

    def __bool__(self) -> bool:
        return bool(self.message)

    def format(self, *args: Any, **kwargs: Any) -> str:
        return str(self).format(*args, **kwargs)


def lazy_gettext(message: str, **variables: Any) -> LazyText:
    return LazyText(message, variables)


def msgid(text: Any) -> str:
    """The English source of a message, lazy or plain, to translate it for someone else."""
    return text.message if isinstance(text, LazyText) else str(text)


_ = gettext
_l = lazy_gettext
