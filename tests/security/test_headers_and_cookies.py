"""Cookie flags in development and outside it, security headers on every kind of answer, no
inline script or style in any rendered page."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from flask_login import login_user
from werkzeug.test import TestResponse
from werkzeug.wrappers import Response as BaseResponse

from portal.app import create_app
from portal.config import TemporalSettings
from portal.db import Database
from portal.demo import DEMO_PASSWORD
from portal.gateway import TemporalBridge
from portal.models import User
from portal.web.extensions import get_session
from portal.web.security_headers import CONTENT_SECURITY_POLICY
from tests.conftest import make_settings
from tests.security.gates import ALICE, ROLES
from tests.security.support import Browser, World, cells
from tests.support import api_token, csrf_token, login


def _cookie(response: BaseResponse, name: str) -> str:
    found = [h for h in response.headers.getlist("Set-Cookie") if h.startswith(f"{name}=")]
    assert found, (name, response.headers.getlist("Set-Cookie"))
    return found[-1]


def _remember_cookie(app: Flask) -> str:
    with app.test_request_context("/"):
        user = get_session().scalar(sa.select(User).where(User.email == ALICE))
        assert login_user(user, remember=True)
        response = app.process_response(app.response_class("signed in"))
    return _cookie(response, app.config.get("REMEMBER_COOKIE_NAME", "remember_token"))


@pytest.mark.parametrize("development", [True, False], ids=["development", "production"])
def test_session_and_remember_cookies_are_httponly_samesite_and_secure_outside_development(
    development: bool,
    database: Database,
    database_url: str,
    temporal_settings: TemporalSettings,
    bridge: TemporalBridge,
    tmp_path: Path,
    demo: None,
) -> None:
    settings = dataclasses.replace(
        make_settings(database_url, temporal_settings, tmp_path), development=development
    )
    app = create_app(settings, database=database, bridge=bridge, TESTING=True)
    base = "http://localhost" if development else "https://localhost"
    client = app.test_client()
    page = client.get("/login", base_url=base)
    signed_in = client.post(
        "/login",
        base_url=base,
        headers={"Referer": f"{base}/login"},
        data={"email": ALICE, "password": DEMO_PASSWORD, "csrf_token": csrf_token(page.text)},
    )
    assert signed_in.status_code == 302, signed_in.text
    for cookie in (_cookie(signed_in, "session"), _remember_cookie(app)):
        attributes = [part.strip().lower() for part in cookie.split(";")]
        assert "httponly" in attributes, cookie
        assert "samesite=lax" in attributes, cookie
        assert ("secure" in attributes) is not development, cookie
    hsts = signed_in.headers.get("Strict-Transport-Security")
    assert (hsts is None) is development, hsts


def assert_security_headers(response: TestResponse, no_store: bool = True) -> None:
    headers = response.headers
    assert headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
    policy = dict(part.strip().split(" ", 1) for part in CONTENT_SECURITY_POLICY.split(";"))
    assert policy["script-src"] == "'self'" and "unsafe-inline" not in CONTENT_SECURITY_POLICY
    assert policy["frame-ancestors"] == "'none'" and policy["object-src"] == "'none'"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Referrer-Policy"] in ("same-origin", "strict-origin-when-cross-origin")
    if no_store:
        assert "no-store" in headers.get("Cache-Control", ""), headers.get("Cache-Control")


def test_security_headers_on_pages_api_answers_errors_and_files(
    app: Flask, client: FlaskClient, demo: None
) -> None:
    @app.get("/test-boom")
    def boom() -> str:
        raise RuntimeError("boom")

    app.config["PROPAGATE_EXCEPTIONS"] = False
    assert_security_headers(client.get("/login"))
    token = api_token(client, ALICE)
    assert_security_headers(client.get("/api/v1/me", headers=token))
    assert_security_headers(client.get("/api/v1/me"))  # 401
    assert_security_headers(client.get("/api/v1/forms/w9", headers=token))  # a PDF
    assert_security_headers(client.get("/no-such-page"))  # 404 page
    assert_security_headers(client.get("/test-boom"))  # 500
    login(client, ALICE)
    assert_security_headers(client.get("/"))
    assert_security_headers(client.get("/console/"))  # 403 page
    static = client.get("/static/portal.css")
    assert static.status_code == 200
    assert_security_headers(static, no_store=False)
    assert "no-store" not in static.headers.get("Cache-Control", "")


INLINE_SCRIPT = re.compile(r"<script\b(?![^>]*\bsrc=)[^>]*>", re.I)
SCRIPT_SRC = re.compile(r"<script\b[^>]*\bsrc=\"([^\"]+)\"", re.I)
INLINE_HANDLER = re.compile(r"<[^>]+\s(on[a-z]+|style)\s*=", re.I)


def test_no_inline_script_or_style_in_any_rendered_page(app: Flask, world: World) -> None:
    browsers = {who.name: Browser(app, who) for who in ROLES}
    rendered = 0
    for cell in cells(app, world):
        if cell.is_api or cell.method != "GET":
            continue
        for who in ROLES:
            response = browsers[who.name].request(cell)
            if response.status_code >= 300 or response.mimetype != "text/html":
                continue
            rendered += 1
            page = response.text
            assert not INLINE_SCRIPT.search(page), (str(cell), who.name)
            assert not INLINE_HANDLER.search(page), (
                str(cell),
                who.name,
                INLINE_HANDLER.findall(page),
            )
            for source in SCRIPT_SRC.findall(page):
                assert source.startswith("/static/"), (str(cell), source)
    assert rendered > 20
