"""Two-step sign-in: technicians and supervisors cannot do without it (pages and API), a
contact may turn it on with any authenticator app, a recovery code works once, and codes are
throttled like passwords."""

from __future__ import annotations

import re

import pyotp
import sqlalchemy as sa
from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from portal.accounts import throttle
from portal.cli import main
from portal.db import Database
from portal.demo import DEMO_PASSWORD
from portal.models import User
from tests.pages.support import field_errors, flashes, follow
from tests.support import csrf_token, demo_code, login

TESS, ALICE = "tess@logmein.example", "alice@acme.example"
CODE_FIELD = "code"


def password_step(client: FlaskClient, email: str) -> None:
    page = client.get("/login")
    answer = client.post(
        "/login",
        data={"email": email, "password": DEMO_PASSWORD, "csrf_token": csrf_token(page.text)},
    )
    assert answer.status_code == 302 and answer.location == "/login/code", answer.location


def code_step(client: FlaskClient, code: str) -> TestResponse:
    page = client.get("/login/code")
    return client.post("/login/code", data={"code": code, "csrf_token": csrf_token(page.text)})


def enrol(client: FlaskClient) -> tuple[str, list[str]]:
    """Turn two-step sign-in on as a user does: read the key under the QR code, type a code."""
    page = client.get("/account/two-step")
    assert page.status_code == 200
    assert '<svg width="' in page.text, "no QR code"
    key = re.search(r"<code>([A-Z2-7]{32})</code>", page.text)
    assert key, page.text
    wrong = client.post(
        "/account/two-step", data={CODE_FIELD: "000000", "csrf_token": csrf_token(page.text)}
    )
    assert wrong.status_code == 400 and CODE_FIELD in field_errors(wrong.text)
    done = client.post(
        "/account/two-step",
        data={CODE_FIELD: pyotp.TOTP(key[1]).now(), "csrf_token": csrf_token(page.text)},
    )
    assert done.status_code == 200 and "Two-step sign-in is on." in flashes(done.text)
    codes = re.findall(r"<li><code>([0-9a-f]{6}-[0-9a-f]{6})</code></li>", done.text)
    assert len(codes) == 10
    return key[1], codes


def test_a_technician_signs_in_with_a_code_on_pages_and_api(
    app: Flask, client: FlaskClient, demo: None
) -> None:
    browser = app.test_client()
    password_step(browser, TESS)
    assert browser.get("/console/").status_code == 302, "signed in before the code"
    wrong = code_step(browser, "123456")
    assert wrong.status_code == 400
    assert browser.get("/console/").status_code == 302
    right = code_step(browser, demo_code(TESS))
    assert right.status_code == 302
    assert browser.get("/console/").status_code == 200

    body = {"email": TESS, "password": DEMO_PASSWORD}
    missing = client.post("/api/v1/tokens", json=body)
    assert (missing.status_code, missing.json["code"]) == (401, "two_step_required")
    wrong_api = client.post("/api/v1/tokens", json={**body, "code": "123456"})
    assert (wrong_api.status_code, wrong_api.json["code"]) == (401, "two_step_required")
    assert client.post("/api/v1/tokens", json={**body, "code": demo_code(TESS)}).status_code == 201


def test_a_technician_without_two_step_must_turn_it_on_first(
    app: Flask, client: FlaskClient, database: Database, demo: None
) -> None:
    with database.session() as session:
        session.execute(
            sa.update(User).where(User.email == TESS).values(totp_secret=None, totp_enabled_at=None)
        )
        session.commit()
    refused = client.post("/api/v1/tokens", json={"email": TESS, "password": DEMO_PASSWORD})
    assert (refused.status_code, refused.json["code"]) == (403, "two_step_setup_required")

    browser = app.test_client()
    login(browser, TESS)
    queue = browser.get("/console/")
    assert queue.status_code == 302 and queue.location == "/account/two-step"
    page = browser.get("/account/two-step").text
    assert "Technicians and supervisors sign in in two steps: turn it on to go on." in page
    key, _codes = enrol(browser)
    assert browser.get("/console/").status_code == 200
    # Staff keep it on.
    off = browser.get("/account/two-step").text
    assert "/account/two-step/off" not in off
    token = client.post(
        "/api/v1/tokens",
        json={"email": TESS, "password": DEMO_PASSWORD, "code": pyotp.TOTP(key).now()},
    )
    assert token.status_code == 201


def test_a_contact_turns_it_on_and_a_recovery_code_works_once(
    app: Flask, client: FlaskClient, demo: None
) -> None:
    alice = app.test_client()
    login(alice, ALICE)  # no second step yet: contacts choose
    assert alice.get("/requests/").status_code == 200
    key, codes = enrol(alice)

    phone_lost = app.test_client()
    password_step(phone_lost, ALICE)
    assert code_step(phone_lost, codes[0]).status_code == 302
    assert phone_lost.get("/requests/").status_code == 200
    again = app.test_client()
    password_step(again, ALICE)
    assert code_step(again, codes[0]).status_code == 400, "a recovery code works once"
    assert code_step(again, pyotp.TOTP(key).now()).status_code == 302
    left = alice.get("/account/two-step").text
    assert "9 recovery codes left." in left

    page = alice.get("/account/two-step")
    turned_off = follow(
        alice,
        alice.post(
            "/account/two-step/off",
            data={"password": DEMO_PASSWORD, "csrf_token": csrf_token(page.text)},
        ),
    )
    assert "Two-step sign-in is off." in flashes(turned_off.text)
    login(app.test_client(), ALICE)  # the password alone again


def test_codes_are_throttled_like_passwords(app: Flask, demo: None) -> None:
    browser = app.test_client()
    password_step(browser, TESS)
    for attempt in range(throttle.MAX_PER_EMAIL):
        assert code_step(browser, f"{attempt:06d}").status_code == 400
    locked = code_step(browser, demo_code(TESS))
    assert locked.status_code == 429
    assert browser.get("/console/").status_code == 302


def test_portal_code_prints_what_the_demo_technicians_phone_shows(
    client: FlaskClient, demo: None
) -> None:
    printed = CliRunner().invoke(main, ["code", TESS])
    assert printed.exit_code == 0, printed.output
    body = {"email": TESS, "password": DEMO_PASSWORD, "code": printed.output.strip()}
    assert client.post("/api/v1/tokens", json=body).status_code == 201
    refused = CliRunner().invoke(main, ["code", ALICE])
    assert refused.exit_code != 0 and "published key" in refused.output
