"""The language switcher: on every page, kept on the profile, or in the session before sign-in."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Flask

from portal.db import Database
from portal.models import User
from tests.support import csrf_token, login


def test_a_signed_in_user_switches_and_it_sticks(
    app: Flask, demo: None, database: Database
) -> None:
    browser = app.test_client()
    login(browser, "alice@acme.example")
    page = browser.get("/purchase-orders/")
    assert '<html lang="en">' in page.text and "Purchase orders" in page.text
    switched = browser.post(
        "/language",
        data={"language": "fr", "next": "/purchase-orders/", "csrf_token": csrf_token(page.text)},
    )
    assert switched.status_code == 302 and switched.location.endswith("/purchase-orders/")
    french = browser.get("/purchase-orders/")
    assert '<html lang="fr">' in french.text and "Bons de commande" in french.text
    with database.session() as session:
        assert (
            session.scalar(sa.select(User.language).where(User.email == "alice@acme.example"))
            == "fr"
        )
    again = app.test_client()  # another browser, another day: the profile decides
    login(again, "alice@acme.example")
    assert '<html lang="fr">' in again.get("/").text
    back = browser.post(
        "/language", data={"language": "en", "next": "/", "csrf_token": csrf_token(french.text)}
    )
    assert back.status_code == 302
    assert '<html lang="en">' in browser.get("/").text


def test_before_sign_in_the_session_keeps_it_and_next_stays_local(app: Flask) -> None:
    browser = app.test_client()
    page = browser.get("/login", headers={"Accept-Language": "fr-FR,fr;q=0.9"})
    assert '<html lang="fr">' in page.text  # the first guess
    chosen = browser.post(
        "/language",
        data={
            "language": "en",
            "next": "https://evil.example/",
            "csrf_token": csrf_token(page.text),
        },
        headers={"Accept-Language": "fr"},
    )
    assert chosen.location.endswith("/")
    assert '<html lang="en">' in browser.get("/login", headers={"Accept-Language": "fr"}).text
    refused = browser.post(
        "/language", data={"language": "de", "csrf_token": csrf_token(page.text)}
    )
    assert refused.status_code == 302
    assert '<html lang="en">' in browser.get("/login").text


def test_a_choice_made_before_sign_in_goes_onto_the_profile_and_outlasts_sign_out(
    app: Flask, demo: None, database: Database
) -> None:
    browser = app.test_client()
    page = browser.get("/login", headers={"Accept-Language": "en"})
    browser.post(
        "/language",
        data={"language": "fr", "next": "/login", "csrf_token": csrf_token(page.text)},
    )
    login(browser, "alice@acme.example")
    home = browser.get("/", headers={"Accept-Language": "en"})
    assert '<html lang="fr">' in home.text
    with database.session() as session:
        assert (
            session.scalar(sa.select(User.language).where(User.email == "alice@acme.example"))
            == "fr"
        )
    signed_out = browser.post("/logout", data={"csrf_token": csrf_token(home.text)})
    assert signed_out.status_code == 302
    after = browser.get("/login", headers={"Accept-Language": "en"})
    assert '<html lang="fr">' in after.text and "Vous êtes déconnecté." in after.text
