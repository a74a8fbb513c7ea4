"""An invoice line's description in the reader's language, from the text stored with it.

The billing centre stores a line's description as one text, built from a product's name and a
few fixed words: "GoToMeeting Business (monthly)" (a period, subscriptions.period_line), the
product times its seats "(prorated change)" (operations._change_line), "Discount (10 %)" (a
quote's discount, quotes.purchase_order_lines). Those fixed words were written in English, or
in the language of the page that made the change. Rather than change stored rows (years of
invoices), the words are recognised here and put in the reader's language when shown; any other
description (a product's name, a PO line) is shown as stored.
"""

from __future__ import annotations

import functools
import re
from decimal import Decimal

from portal.documents.pdf import percent
from portal.i18n import N_, _, _l
from portal.notifications.catalogs import LANGUAGES, translations_for

PRORATED = N_("prorated change")
DISCOUNT = N_("Discount")
# A subscription period's line, by the period's stored code.
PERIOD_LINES = {
    "monthly": _l("%(product)s (monthly)"),
    "quarterly": _l("%(product)s (quarterly)"),
    "semiannual": _l("%(product)s (semiannual)"),
    "annual": _l("%(product)s (annual)"),
}
_PERIOD = re.compile(r"(?P<product>.+) \((?P<period>monthly|quarterly|semiannual|annual)\)")
# The multiplication sign as stored, or an "x" (as the latin-1 PDFs of old printed it).
_CHANGE = re.compile(r"(?P<product>.+) [×x] (?P<seats>\d+) \((?P<words>[^()]+)\)")  # noqa: RUF001
_DISCOUNT = re.compile(r"(?P<words>[^()]+) \((?P<percent>\d+(?:[.,]\d+)?)\s?%\)")


@functools.cache
def _written(message: str) -> frozenset[str]:
    """Every way `message` may have been stored: its English and each catalogue's translation."""
    return frozenset(
        translations_for(language).gettext(message).casefold() for language in LANGUAGES
    ) | {message.casefold()}


def line_description(stored: str) -> str:
    """The stored description of an invoice line as the reader reads it (see the module)."""
    text = stored.strip()
    if found := _PERIOD.fullmatch(text):
        return str(PERIOD_LINES[found["period"]] % {"product": found["product"]})
    found = _CHANGE.fullmatch(text)
    if found and found["words"].casefold() in _written(PRORATED):
        seats = found["seats"]
        return f"{found['product']} × {seats} ({_(PRORATED)})"  # noqa: RUF001
    found = _DISCOUNT.fullmatch(text)
    if found and found["words"].strip().casefold() in _written(DISCOUNT):
        share = Decimal(found["percent"].replace(",", "."))
        return f"{_(DISCOUNT)} ({percent(share)})"
    return stored
