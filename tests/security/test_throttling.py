"""Sign-in throttling per e-mail and per address, for the pages and the API alike, with no user
enumeration, and nothing secret logged or stored."""

from __future__ import annotations

import dataclasses
import logging
import re
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

import portal.accounts.security
import portal.accounts.throttle
from portal import clock
from portal.app import create_app
from portal.config import TemporalSettings
from portal.db import Database
from portal.demo import DEMO_PASSWORD
from portal.gateway import TemporalBridge
from portal.models import LoginAttempt, User
from tests.conftest import make_settings
from tests.security.gates import ALICE, BOB, CHLOE, PETER
from tests.security.support import json_of
from tests.support import csrf_token, post_over_http

INCORRECT = "Incorrect e-mail or password."
TOO_MANY = "Too many attempts, try again in a few minutes."


def _flashes(page: str) -> list[str]:
    return re.findall(r'<p class="flash flash-\w+"[^>]*>(.*?)</p>', page, re.S)


def sign_in_page(
    client: FlaskClient, email: str, password: str, address: str = "192.0.2.10"
) -> TestResponse:
    page = client.get("/login", environ_base={"REMOTE_ADDR": address})
    return client.post(
        "/login",
        data={"email": email, "password": password, "csrf_token": csrf_token(page.text)},
        environ_base={"REMOTE_ADDR": address},
    )


def sign_in_api(
    client: FlaskClient, email: str, password: str, address: str = "192.0.2.10"
) -> TestResponse:
    return client.post(
        "/api/v1/tokens",
        json={"email": email, "password": password},
        environ_base={"REMOTE_ADDR": address},
    )


@pytest.fixture
def password_checks(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The e-mails whose password was checked."""
    checked: list[str] = []
    real = portal.accounts.security.authenticate

    def spy(session: Any, email: str, password: str) -> User | None:
        checked.append(email)
        return real(session, email, password)

    monkeypatch.setattr(portal.accounts.throttle, "authenticate", spy)
    return checked


def test_five_failures_for_one_email_lock_it_for_pages_and_api_alike(
    app: Flask, demo: None, password_checks: list[str]
) -> None:
    client = app.test_client()
    for _attempt in range(3):
        failed = sign_in_page(client, ALICE, "not-it")
        assert failed.status_code == 200 and _flashes(failed.text) == [INCORRECT]
    for _attempt in range(2):
        assert sign_in_api(client, ALICE, "not-it").status_code == 401
    assert len(password_checks) == 5

    # The right password now: refused without being checked, on both doors.
    locked = sign_in_page(client, ALICE, DEMO_PASSWORD)
    assert locked.status_code == 429
    assert _flashes(locked.text) == [INCORRECT, TOO_MANY]
    assert int(locked.headers["Retry-After"]) > 0
    assert client.get("/").status_code == 302, "signed in while locked"
    refused = sign_in_api(client, ALICE.upper(), DEMO_PASSWORD)  # the same e-mail, any case
    assert refused.status_code == 429
    assert refused.json == {"error": TOO_MANY, "code": "too_many_attempts"}
    assert 0 < int(refused.headers["Retry-After"]) <= 15 * 60
    assert len(password_checks) == 5, "a password was checked while locked"

    # Another person, from the same address, is not concerned.
    assert sign_in_api(client, CHLOE, DEMO_PASSWORD).status_code == 201


def test_an_unknown_email_is_throttled_and_answered_exactly_like_a_known_one(
    app: Flask, demo: None
) -> None:
    client = app.test_client()
    answers: dict[str, list[tuple[int, Any]]] = {}
    for email in (BOB, "nobody@acme.example"):
        answers[email] = [
            (r.status_code, r.json)
            for r in (sign_in_api(client, email, f"guess-{n}") for n in range(6))
        ]
        page = sign_in_page(client, email, "guess-7")
        answers[email].append((page.status_code, _flashes(page.text)))
    assert answers[BOB] == answers["nobody@acme.example"]
    assert answers[BOB][0] == (401, {"error": INCORRECT, "code": "invalid_credentials"})
    assert answers[BOB][5] == (429, {"error": TOO_MANY, "code": "too_many_attempts"})
    assert answers[BOB][6] == (429, [INCORRECT, TOO_MANY])


def test_twenty_failures_from_one_address_lock_that_address_only(
    app: Flask, demo: None, password_checks: list[str]
) -> None:
    client = app.test_client()
    attacker, neighbour = "198.51.100.7", "198.51.100.8"
    for n in range(20):  # a different e-mail each time: no e-mail reaches its own limit
        assert sign_in_api(client, f"guess{n}@acme.example", "x", attacker).status_code == 401
    assert sign_in_api(client, BOB, DEMO_PASSWORD, attacker).status_code == 429
    assert sign_in_page(client, BOB, DEMO_PASSWORD, attacker).status_code == 429
    assert len(password_checks) == 20
    assert sign_in_api(client, BOB, DEMO_PASSWORD, neighbour).status_code == 201
    assert sign_in_page(client, BOB, DEMO_PASSWORD, neighbour).status_code == 302


def test_forwarded_addresses_are_believed_only_from_a_trusted_proxy(
    database: Database,
    database_url: str,
    temporal_settings: TemporalSettings,
    bridge: TemporalBridge,
    tmp_path: Path,
    demo: None,
) -> None:
    def app_with(proxies: int) -> FlaskClient:
        settings = dataclasses.replace(
            make_settings(database_url, temporal_settings, tmp_path), trusted_proxies=proxies
        )
        return create_app(settings, database=database, bridge=bridge, TESTING=True).test_client()

    def attempt(client: FlaskClient, n: int, forwarded: str, peer: str) -> int:
        return client.post(
            "/api/v1/tokens",
            json={"email": f"guess{n}@acme.example", "password": "x"},
            headers={"X-Forwarded-For": forwarded},
            environ_base={"REMOTE_ADDR": peer},
        ).status_code

    locked_at_the_21st = [401] * 20 + [429]
    # No trusted proxy: a forged X-Forwarded-For does not spread one client over many addresses.
    direct = app_with(0)
    forged = [attempt(direct, n, f"203.0.113.{n}", "192.0.2.50") for n in range(21)]
    assert forged == locked_at_the_21st
    # Behind one trusted proxy, each client is counted apart, by the address the proxy saw.
    proxied = app_with(1)
    behind = [attempt(proxied, n, "198.51.100.1", "192.0.2.60") for n in range(21)]
    assert behind == locked_at_the_21st
    assert attempt(proxied, 99, "198.51.100.2", "192.0.2.60") == 401


def test_a_success_clears_the_emails_failures_and_the_window_ends(
    app: Flask, demo: None, database: Database
) -> None:
    client = app.test_client()
    for _round in range(2):  # 4 + 4 failures: a lock without the reset in between
        for _attempt in range(4):
            assert sign_in_api(client, PETER, "not-it").status_code == 401
        assert sign_in_api(client, PETER, DEMO_PASSWORD).status_code == 201
    for _attempt in range(5):
        assert sign_in_api(client, PETER, "not-it").status_code == 401
    assert sign_in_api(client, PETER, DEMO_PASSWORD).status_code == 429
    # Fifteen minutes later, the failures count for nothing.
    with database.session() as session:
        session.execute(
            sa.update(LoginAttempt).values(at=clock.now() - timedelta(minutes=15, seconds=1))
        )
    assert sign_in_api(client, PETER, DEMO_PASSWORD).status_code == 201


def test_a_nul_character_in_the_email_is_refused_at_the_boundary(app: Flask, demo: None) -> None:
    """PostgreSQL stores no NUL: it must not reach the query and turn into a server error."""
    client = app.test_client()
    page = sign_in_page(client, "alice\x00@acme.example", DEMO_PASSWORD)
    assert page.status_code == 400 and "email: text with characters" in page.text
    assert client.get("/").status_code == 302, "nobody signed in"
    api = sign_in_api(client, "alice\x00@acme.example", DEMO_PASSWORD)
    assert api.status_code == 400 and json_of(api)["error"]


def test_no_password_or_email_is_logged_or_stored(
    app: Flask, demo: None, database: Database, caplog: pytest.LogCaptureFixture
) -> None:
    client = app.test_client()
    secret = "Sup3r-secret-typo"
    caplog.set_level(logging.DEBUG)
    for _attempt in range(6):
        sign_in_api(client, ALICE, secret)
        sign_in_page(client, secret, secret)  # a password typed in the e-mail field
    logged = "\n".join(f"{r.getMessage()} {r.__dict__}" for r in caplog.records)
    assert "sign-in" in logged
    assert secret not in logged and ALICE not in logged
    with database.session() as session:
        stored = repr(session.execute(sa.select(LoginAttempt.__table__)).all())
    assert "192.0.2.10" in stored
    assert secret not in stored and secret.lower() not in stored and ALICE not in stored


def test_forty_wrong_passwords_at_once_get_five_checked(
    database: Database, server: str, demo: None, password_checks: list[str]
) -> None:
    """Over HTTP, forty threads at once, on pages and API alike: the count is taken before a
    password is checked, one attempt after the other, so exactly five are checked."""

    def attempt(number: int) -> int:
        body = {"email": ALICE, "password": f"guess-{number}"}
        return post_over_http(f"{server}/api/v1/tokens", body)[0]

    with ThreadPoolExecutor(max_workers=40) as pool:
        answers = list(pool.map(attempt, range(40)))
    assert sorted(answers) == [401] * 5 + [429] * 35
    assert len(password_checks) == 5
    with database.session() as session:
        counted = session.scalar(sa.select(sa.func.count()).select_from(LoginAttempt))
    assert counted == 5
