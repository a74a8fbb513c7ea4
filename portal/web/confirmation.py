"""A second, deliberate click before what cannot be taken back (cancelling, revoking): the
first POST answers a page that asks, and its button sends the same fields again with
`confirmed=yes`. No script, so the CSP stays strict; the one-time token of the form is sent
on unchanged, so the write still runs once however often the button is pressed."""

from __future__ import annotations

from flask import render_template, request
from flask.typing import ResponseReturnValue

CONFIRMED = "confirmed"


def confirmed() -> bool:
    return request.form.get(CONFIRMED) == "yes"


def confirmation_page(
    question: str, consequence: str, confirm_label: str, back_url: str
) -> ResponseReturnValue:
    fields = [(name, value) for name, value in request.form.items(multi=True) if name != CONFIRMED]
    return render_template(
        "confirm.html",
        question=question,
        consequence=consequence,
        confirm_label=confirm_label,
        action=request.path,
        fields=fields,
        back_url=back_url,
        confirmed_name=CONFIRMED,
        # The page answered a POST: a language chosen here reloads the page it came from.
        language_next=back_url,
    )
