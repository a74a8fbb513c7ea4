"""CSRF refused on every state-changing form, with nothing changed."""

from __future__ import annotations

from flask import Flask

from portal.db import Database
from portal.demo import DEMO_PASSWORD
from tests.security.gates import ALICE, BY_NAME, PASS
from tests.security.support import Browser, World, cells, fingerprint, outcome

# What any of the forms reads: with a token, each of these posts would change something.
FORM_BODY = {
    "email": ALICE,
    "password": DEMO_PASSWORD,
    "confirm": DEMO_PASSWORD,
    "text": "Because we say so",
    "reason": "Because we say so",
    "comment": "Approved",
    "question": "Which office?",
    "message": "The Lyon office",
    "po_number": "PO-CSRF-1",
    "assignee": "1",
}


def test_every_form_refuses_a_post_without_its_csrf_token(
    app: Flask, world: World, database: Database
) -> None:
    writes = [c for c in cells(app, world) if not c.is_api and c.method == "POST"]
    assert {c.rule.endpoint for c in writes} >= {"accounts.login", "accounts.logout", "console.act"}
    preference = ["anonymous", "contact", "standard_contact", "technician", "supervisor"]
    for cell in writes:
        if cell.owner not in (None, "acme"):
            continue
        gate = cell.gate
        who = next(BY_NAME[n] for n in preference if gate.expect(BY_NAME[n], cell.owner) == PASS)
        browser = Browser(app, who)
        signed_in_before = outcome(browser.client.get("/forms/w9"))
        before = fingerprint(database)
        forged = browser.client.post(cell.url, data=FORM_BODY)
        assert forged.status_code == 400, (str(cell), who.name, forged.status_code)
        assert "The CSRF token is missing." in forged.text, str(cell)
        assert fingerprint(database) == before, f"{cell}: changed without a CSRF token"
        assert outcome(browser.client.get("/forms/w9")) == signed_in_before, str(cell)
