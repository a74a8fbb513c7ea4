"""The authorization matrix, generated from the app's URL map: every route, every role, an
object of its own account and of another one, against what GATES (gates.py) says each route
allows; a route missing from the table fails, so a new route cannot be forgotten."""

from __future__ import annotations

from flask import Flask

from portal.db import Database
from tests.security.gates import BY_NAME, GATES, PASS, ROLES
from tests.security.support import Browser, World, api_request, cells, fingerprint, outcome, routes


def test_every_route_is_in_the_table(app: Flask) -> None:
    endpoints = {rule.endpoint for rule in routes(app)}
    missing = sorted(endpoints - set(GATES))
    assert not missing, f"routes with no declared access rule (add them to GATES): {missing}"
    stale = sorted({key.split(" ")[0] for key in GATES} - endpoints)
    assert not stale, f"GATES names routes the app no longer has: {stale}"


def test_authorization_matrix_every_route_every_role(
    app: Flask, world: World, database: Database
) -> None:
    endpoints = {rule.endpoint for rule in routes(app)}
    assert endpoints <= set(GATES), sorted(endpoints - set(GATES))
    browsers = {who.name: Browser(app, who) for who in ROLES}
    api = app.test_client()
    wrong: list[str] = []
    walked = 0
    for cell in cells(app, world):
        gate = cell.gate
        for who in ROLES:
            if cell.is_api:
                response = api_request(api, cell, world.tokens.get(who.name, {}))
            else:
                response = browsers[who.name].request(cell)
            walked += 1
            got, expected = outcome(response), gate.expect(who, cell.owner)
            if got != expected:
                wrong.append(
                    f"{cell} as {who.name}: {got} ({response.status_code}), not {expected}"
                )
            elif (
                cell.is_api
                and got != PASS
                and not (response.is_json and response.json and response.json.get("error"))
            ):
                wrong.append(f"{cell} as {who.name}: refusal without a JSON error")
    assert walked > 500
    assert not wrong, "\n".join(wrong)


def test_the_api_never_takes_a_session_cookie_for_a_token(app: Flask, world: World) -> None:
    """The API is exempt from CSRF because it reads bearer tokens only: a signed-in browser's
    cookie must get nothing from it, or any site could drive it."""
    browser = Browser(app, BY_NAME["contact"])
    wrong = []
    for cell in cells(app, world):
        if not cell.is_api or cell.gate.anonymous == PASS:
            continue
        response = api_request(browser.client, cell, {})
        if response.status_code != 401:
            wrong.append(f"{cell}: {response.status_code}")
    assert not wrong, wrong


def test_staff_cannot_take_a_customers_step_on_a_request(
    app: Flask, world: World, database: Database
) -> None:
    """The matrix lets staff through these routes (they see every request); with a body the
    step would take, the workflow refuses them, and nothing changes."""
    client = app.test_client()
    request_id = world.objects["requests"]["acme"]
    steps = {
        f"/api/v1/requests/{request_id}/cancel": {"reason": "Not needed"},
        f"/api/v1/requests/{request_id}/provide-info": {"message": "Lyon"},
        f"/api/v1/quotes/{request_id}/accept": {"po_number": "PO-STAFF-1"},
        f"/api/v1/quotes/{request_id}/decline": {"reason": "Too dear"},
    }
    before = fingerprint(database)
    for who in ("technician", "supervisor"):
        for url, body in steps.items():
            response = client.post(url, json=body, headers=world.tokens[who])
            assert response.status_code == 403, (who, url, response.json)
    assert fingerprint(database) == before
