"""Translatable text without Flask, so the worker and the domain code can hold it too.

`_l("…")` (lazy) and `_("…")` (now) look like Flask-Babel's and are extracted by the same
`pybabel` keywords. Which catalogue translates them is decided when the text is shown: the one
`translated(language)` set (a mail in its recipient's language), else the one the web app
provides for the current request (Flask-Babel's), else none (the English of the source).
"""

from __future__ import annotations

import functools
import gettext as gettext_module
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from babel.dates import format_date, format_datetime
from babel.numbers import format_currency
from markupsafe import Markup, escape

Catalogue = gettext_module.NullTranslations
# The messages' own language.
SOURCE_LOCALE = "en"

_NO_CATALOGUE = gettext_module.NullTranslations()
_chosen: ContextVar[Catalogue | None] = ContextVar("portal_catalogue", default=None)


_chosen_locale: ContextVar[str | None] = ContextVar("portal_locale", default=None)


def _no_catalogue() -> Catalogue | None:
    return None


def _no_locale() -> str | None:
    return None


_provider: Callable[[], Catalogue | None] = _no_catalogue
_locale_provider: Callable[[], str | None] = _no_locale


def provide(catalogue: Callable[[], Catalogue | None], locale: Callable[[], str | None]) -> None:
    """The web app's hooks: the catalogue and locale of the current request."""
    global _provider, _locale_provider
    _provider, _locale_provider = catalogue, locale


@contextmanager
def translated(catalogue: Catalogue, locale: str) -> Iterator[None]:
    """Everything shown inside the block is in this catalogue's language and locale."""
    token, locale_token = _chosen.set(catalogue), _chosen_locale.set(locale)
    try:
        yield
    finally:
        _chosen.reset(token)
        _chosen_locale.reset(locale_token)


def active_catalogue() -> Catalogue:
    return _chosen.get() or _provider() or _NO_CATALOGUE


def active_locale() -> str:
    return _chosen_locale.get() or _locale_provider() or SOURCE_LOCALE


def format_money(amount: Decimal | int | str, currency: str) -> str:
    """An amount as the reader writes it: "$1,920.00", "1 920,00 €"."""
    return _money_text(Decimal(amount), currency, active_locale())


@functools.lru_cache(maxsize=4096)
def _money_text(amount: Decimal, currency: str, locale: str) -> str:
    # Babel takes ~40 µs an amount, a statement shows dozens, and the same amounts recur (prices,
    # totals): formatted once each. Equal amounts print alike (the currency sets the digits).
    return str(format_currency(amount, currency, locale=locale))


def format_day(day: date, style: str = "long") -> str:
    """A date as the reader writes it: "March 10, 2027", "10 mars 2027"."""
    return str(format_date(day, format=style, locale=active_locale()))


def format_iso_day(value: Any, style: str = "long") -> str:
    """A stored ISO date ("2027-03-10", or a moment's first ten characters) as the reader
    writes it; "" for none."""
    if not value:
        return ""
    return format_day(date.fromisoformat(str(value)[:10]), style)


def format_moment(moment: datetime, style: str = "long") -> str:
    return str(format_datetime(moment, format=style, locale=active_locale()))


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


def N_(message: str) -> str:
    """Mark a message for extraction only: it is translated once its reader is known."""
    return message
