"""Every page form fuzzed with hypothesis: surrogates, NUL, huge numbers, 1e30, impossible
dates and long words in every field a form of the portal has; never a server error, and a
refusal is a page that says what to fix."""

from __future__ import annotations

import os
import secrets
import urllib.parse

from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.security.gates import BY_NAME, PASS
from tests.security.hostile import hostile_text
from tests.security.support import Browser, Cell, World, cells, routes

# The fields of the portal's page forms (sign-in apart: its failures lock the address).
FORM_FIELDS = sorted(
    {
        *("text", "reason", "comment", "question", "message", "assignee", "replaces"),
        *("po_number", "bill_to", "notes", "lines-0-line_id", "lines-0-quantity"),
        *("items-0-product", "items-0-seats", "term_months", "form", "details", "region"),
        *("topic", "invoice_id", "frequency", "new_contact_email", "new_contact_name"),
        *("account_id", "discount_pct", "valid_days", "valid_until", "unit_price"),
        *("plan", "seats", "period", "tier", "number", "exp_month", "exp_year", "cvc"),
        *("date", "password", "confirm", "recipients", "language", "request_id", "next"),
    }
)
SKIPPED = {"accounts.login", "accounts.logout"}
FUZZ_EXAMPLES = int(os.environ.get("PORTAL_FUZZ_EXAMPLES", "15"))
forms = st.dictionaries(st.sampled_from(FORM_FIELDS), hostile_text, min_size=1, max_size=8)


def test_every_page_form_is_answered_without_a_server_error(app: Flask, world: World) -> None:
    preference = ["contact", "standard_contact", "technician", "supervisor", "anonymous"]
    browsers: dict[str, Browser] = {}
    fuzzed: set[str] = set()
    for cell in cells(app, world):
        endpoint = cell.rule.endpoint
        if cell.is_api or cell.method != "POST" or endpoint in SKIPPED or endpoint in fuzzed:
            continue
        who = next(
            (
                BY_NAME[name]
                for name in preference
                if cell.gate.expect(BY_NAME[name], cell.owner) == PASS
                and (cell.owner is None or cell.owner == (BY_NAME[name].account or "acme"))
            ),
            None,
        )
        if who is None:
            continue
        fuzzed.add(endpoint)
        browser = browsers.setdefault(who.name, Browser(app, who))
        fuzz_form(browser, cell)
    posts = {
        rule.endpoint
        for rule in routes(app)
        if not rule.rule.startswith("/api/") and "POST" in (rule.methods or ())
    }
    assert fuzzed == posts - SKIPPED, sorted(posts - SKIPPED - fuzzed)


def fuzz_form(browser: Browser, cell: Cell) -> None:
    @settings(
        max_examples=FUZZ_EXAMPLES,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(form=forms)
    def answer(form: dict[str, str]) -> None:
        body = {**form, "form_token": secrets.token_urlsafe(18), "csrf_token": browser.csrf}
        # As a hostile client sends it: a lone surrogate as the bytes UTF-8 would give it.
        encoded = urllib.parse.urlencode(body, errors="surrogatepass")
        response = browser.client.post(
            cell.url, data=encoded, content_type="application/x-www-form-urlencoded"
        )
        assert response.status_code < 500, (str(cell), form, response.text[-2000:])
        if response.status_code == 400:
            # The portal's own page, saying what to fix; never a bare error.
            assert "<main" in response.text and 'class="' in response.text, (str(cell), form)

    answer()
