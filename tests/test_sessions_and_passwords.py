"""Ways in that their owner can close: a cookie copied before sign-out is refused after it,
tokens are revoked, a forgotten password is recovered by a one-time link (once, even when
used ten times at once), and a new password ends every other session and token."""

from __future__ import annotations

import re
import threading
from concurrent.futures import ThreadPoolExecutor

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from portal.accounts import throttle
from portal.db import Database
from portal.demo import DEMO_PASSWORD
from portal.models import OutboxMessage
from tests.pages.support import field_errors, flashes, follow
from tests.support import api_token, csrf_token, login

ALICE = "alice@acme.example"
NEW_PASSWORD = "a-brand-new-password"


def mails_to(database: Database, email: str, subject: str) -> list[str]:
    with database.session() as session:
        return list(
            session.scalars(
                sa.select(OutboxMessage.body)
                .where(OutboxMessage.recipient_email == email, OutboxMessage.subject == subject)
                .order_by(OutboxMessage.id)
            )
        )


def reset_link(database: Database) -> str:
    [body] = mails_to(database, ALICE, "Choose a new password")
    found = re.search(r"/password/reset/[\w-]+", body)
    assert found, body
    return found.group(0)


def ask_for_a_link(app: Flask, email: str) -> str:
    visitor = app.test_client()
    page = visitor.get("/password/forgot")
    asked = follow(
        visitor,
        visitor.post(
            "/password/forgot", data={"email": email, "csrf_token": csrf_token(page.text)}
        ),
    )
    [said] = flashes(asked.text)
    return said


def test_a_cookie_copied_before_sign_out_is_refused_after_it(app: Flask, demo: None) -> None:
    owner = app.test_client()
    login(owner, ALICE)
    assert owner.get("/requests/").status_code == 200
    stolen = owner.get_cookie("session")
    assert stolen is not None

    thief = app.test_client()
    thief.set_cookie("session", stolen.value)
    assert thief.get("/requests/").status_code == 200, "the copy works while the session lasts"

    page = owner.get("/")
    owner.post("/logout", data={"csrf_token": csrf_token(page.text)})
    replayed = thief.get("/requests/")
    assert replayed.status_code == 302 and replayed.location.startswith("/login")


def test_a_user_sees_their_sessions_and_ends_another(app: Flask, demo: None) -> None:
    laptop, phone = app.test_client(), app.test_client()
    login(laptop, ALICE)
    login(phone, ALICE)
    page = laptop.get("/account/security").text
    ids = [int(found) for found in re.findall(r'<tr id="session-(\d+)">', page)]
    assert len(ids) == 2
    assert page.count("(this browser)") == 1
    this = int(re.search(r'<tr id="session-(\d+)">(?:(?!</tr>).)*this browser', page, re.S)[1])
    [other] = [found for found in ids if found != this]

    ended = follow(
        laptop,
        laptop.post(f"/account/sessions/{other}/end", data={"csrf_token": csrf_token(page)}),
    )
    assert "The session is ended." in flashes(ended.text)
    assert phone.get("/requests/").status_code == 302
    assert laptop.get("/requests/").status_code == 200
    assert f'<tr id="session-{other}">' not in laptop.get("/account/security").text


def test_tokens_are_listed_and_revoked(client: FlaskClient, demo: None) -> None:
    first, second = api_token(client, ALICE), api_token(client, ALICE)
    listed = client.get("/api/v1/tokens", headers=first).json["items"]
    assert len(listed) == 2 and [item["current"] for item in listed].count(True) == 1
    other = next(item["id"] for item in listed if not item["current"])

    assert client.delete(f"/api/v1/tokens/{other}", headers=first).status_code == 204
    assert client.get("/api/v1/me", headers=second).status_code == 401
    assert client.delete(f"/api/v1/tokens/{other}", headers=first).status_code == 404

    chloe = api_token(client, "chloe@globex.example")
    chloes = client.get("/api/v1/tokens", headers=chloe).json["items"][0]["id"]
    assert client.delete(f"/api/v1/tokens/{chloes}", headers=first).status_code == 404
    assert client.get("/api/v1/me", headers=chloe).status_code == 200

    assert client.delete("/api/v1/tokens", headers=first).status_code == 204  # signing out
    assert client.get("/api/v1/me", headers=first).status_code == 401


def test_a_forgotten_password_is_recovered_by_a_one_time_link(
    app: Flask, client: FlaskClient, database: Database, demo: None
) -> None:
    # Someone holds a session of Alice's, and wrong passwords have locked her out.
    stranger = app.test_client()
    login(stranger, ALICE)
    for attempt in range(throttle.MAX_PER_EMAIL):
        client.post("/api/v1/tokens", json={"email": ALICE, "password": f"guess-{attempt}"})
    locked = client.post("/api/v1/tokens", json={"email": ALICE, "password": DEMO_PASSWORD})
    assert locked.status_code == 429

    same = "If an account has this address, a link to choose a new password is on its way."
    assert ask_for_a_link(app, "nobody@acme.example").startswith(same)
    assert ask_for_a_link(app, '"Boss" <x@evil.example>').startswith(same)
    assert mails_to(database, "nobody@acme.example", "Choose a new password") == []
    assert ask_for_a_link(app, "Alice@Acme.example").startswith(same)
    link = reset_link(database)

    owner = app.test_client()
    page = owner.get(link)
    assert page.status_code == 200 and ALICE in page.text
    short = owner.post(
        link, data={"csrf_token": csrf_token(page.text), "password": "x", "confirm": "x"}
    )
    assert short.status_code == 400
    assert field_errors(short.text) == {"password": "At least 10 characters."}
    chosen = owner.post(
        link,
        data={
            "csrf_token": csrf_token(page.text),
            "password": NEW_PASSWORD,
            "confirm": NEW_PASSWORD,
        },
    )
    assert chosen.status_code == 302
    assert "Your new password is set" in flashes(follow(owner, chosen).text)[0]

    assert stranger.get("/requests/").status_code == 302, "the stranger's session lives on"
    assert app.test_client().get(link).status_code == 410
    # The lock is lifted: the owner signs in with the new password at once.
    signed_in = client.post("/api/v1/tokens", json={"email": ALICE, "password": NEW_PASSWORD})
    assert signed_in.status_code == 201
    assert mails_to(database, ALICE, "Your password was changed")


def test_a_reset_link_used_ten_times_at_once_sets_one_password(
    app: Flask, database: Database, demo: None
) -> None:
    ask_for_a_link(app, ALICE)
    link = reset_link(database)
    start = threading.Barrier(10)

    def use(number: int) -> int:
        browser = app.test_client()
        page = browser.get(link)
        password = f"{NEW_PASSWORD}-{number}"
        data = {"csrf_token": csrf_token(page.text), "password": password, "confirm": password}
        start.wait(timeout=30)
        return browser.post(link, data=data).status_code

    with ThreadPoolExecutor(max_workers=10) as pool:
        answers = list(pool.map(use, range(10)))
    # One sets the password; the others find the link spent (410) or lost the race (400).
    assert answers.count(302) == 1, answers
    assert set(answers) <= {302, 400, 410}, answers
    winner, loser = answers.index(302), next(n for n, a in enumerate(answers) if a != 302)

    def signs_in(number: int) -> int:
        body = {"email": ALICE, "password": f"{NEW_PASSWORD}-{number}"}
        return app.test_client().post("/api/v1/tokens", json=body).status_code

    assert (signs_in(loser), signs_in(winner)) == (401, 201)


def test_a_password_change_asks_the_current_one_and_ends_the_other_ways_in(
    app: Flask, client: FlaskClient, database: Database, demo: None
) -> None:
    here, elsewhere = app.test_client(), app.test_client()
    login(here, ALICE)
    login(elsewhere, ALICE)
    token = api_token(client, ALICE)
    page = here.get("/account/security").text
    form = {"csrf_token": csrf_token(page), "password": NEW_PASSWORD, "confirm": NEW_PASSWORD}

    wrong = here.post("/account/password", data={**form, "current": "not-my-password"})
    assert wrong.status_code == 400
    assert field_errors(wrong.text) == {"current": "This is not your current password."}
    assert elsewhere.get("/requests/").status_code == 200

    changed = follow(here, here.post("/account/password", data={**form, "current": DEMO_PASSWORD}))
    assert "Your password is changed" in flashes(changed.text)[0]
    assert here.get("/requests/").status_code == 200, "this browser stays signed in"
    assert elsewhere.get("/requests/").status_code == 302
    assert client.get("/api/v1/me", headers=token).status_code == 401
    assert mails_to(database, ALICE, "Your password was changed")
    refused = client.post("/api/v1/tokens", json={"email": ALICE, "password": DEMO_PASSWORD})
    assert refused.status_code == 401
