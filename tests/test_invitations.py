"""A new billing contact's set-password link can be sent again when it expired: the old link
dies, the new one works once, and a second click (or technician) sends nothing twice."""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from portal.billing_requests.kinds.contact_change import expire_invitation
from portal.db import Database
from portal.models import Invitation, OutboxMessage, User
from tests.conftest import WorkerThread
from tests.pages.support import flashes, follow, signed_in
from tests.support import api_token, csrf_token, post_over_http, request_status, wait_for

DANA = "dana@acme.example"


def dana_named_and_approved(client: FlaskClient, database: Database) -> int:
    alice, tess = api_token(client, "alice@acme.example"), api_token(client, "tess@logmein.example")
    payload = {"new_contact_email": DANA, "new_contact_name": "Dana Scully", "reason": "r"}
    created = client.post(
        "/api/v1/requests", json={"type": "contact_change", "payload": payload}, headers=alice
    )
    assert created.status_code == 202, created.json
    request_id: int = created.json["id"]
    for verb in ("claim", "approve"):
        answer = client.post(f"/api/v1/tasks/{request_id}/{verb}", json={}, headers=tess)
        assert answer.status_code == 200, answer.json
    wait_for(lambda: request_status(database, request_id) == "completed", what="contact change")
    return request_id


def links_to_dana(database: Database) -> list[str]:
    with database.session() as session:
        bodies = session.scalars(
            sa.select(OutboxMessage.body)
            .where(OutboxMessage.recipient_email == DANA)
            .order_by(OutboxMessage.id)
        ).all()
    return [match.group(0) for body in bodies if (match := re.search(r"/invitations/[\w-]+", body))]


def let_the_link_lapse(database: Database) -> None:
    """What the workflow's lapse activity does once the invitation time is over."""
    with database.session() as session:
        latest = session.scalar(sa.select(sa.func.max(Invitation.id)))
        assert latest is not None and expire_invitation(session, latest)
        session.commit()


def test_an_expired_link_is_sent_again_from_the_task_page(
    app: Flask, client: FlaskClient, running: WorkerThread, database: Database
) -> None:
    request_id = dana_named_and_approved(client, database)
    [first] = wait_for(lambda: links_to_dana(database), what="the first link")
    tess = signed_in(app, "tess@logmein.example")
    task_url = f"/console/tasks/{request_id}"
    pending = tess.get(task_url).text
    assert "Sent to dana@acme.example; valid until" in pending

    let_the_link_lapse(database)
    assert app.test_client().get(first).status_code == 410
    expired = tess.get(task_url).text
    assert "The link sent to dana@acme.example is no longer valid and was never used." in expired
    action = f'action="{task_url}/resend-invitation"'
    assert action in expired
    form = expired.split(action, 1)[1].split("</form>", 1)[0]
    replaces = re.search(r'name="replaces" type="hidden" value="(\d+)"', form)
    assert replaces, form
    data = {"csrf_token": csrf_token(form), "replaces": replaces.group(1)}

    sent = follow(tess, tess.post(f"{task_url}/resend-invitation", data=data))
    assert any(
        message.startswith("A new link was sent to dana@acme.example; it is valid until")
        for message in flashes(sent.text)
    ), flashes(sent.text)
    assert "Sent to dana@acme.example; valid until" in sent.text
    links = links_to_dana(database)
    assert len(links) == 2 and links[0] == first
    second = links[1]

    # The same form posted again (a double click, an old tab): nothing is sent twice.
    again = follow(tess, tess.post(f"{task_url}/resend-invitation", data=data))
    assert "A new invitation was sent meanwhile; nothing was sent again." in flashes(again.text)
    assert links_to_dana(database) == links

    visitor = app.test_client()
    page = visitor.get(second)
    assert page.status_code == 200 and DANA in page.text
    chosen = visitor.post(
        second,
        data={
            "csrf_token": csrf_token(page.text),
            "password": "dana-new-password",
            "confirm": "dana-new-password",
        },
    )
    assert chosen.status_code == 302
    done = tess.get(task_url).text
    assert "Dana Scully has chosen a password." in done
    assert action not in done


def test_ten_resends_at_once_send_one_link(
    client: FlaskClient, running: WorkerThread, database: Database, server: str
) -> None:
    request_id = dana_named_and_approved(client, database)
    wait_for(lambda: links_to_dana(database), what="the first link")
    let_the_link_lapse(database)
    tess = api_token(client, "tess@logmein.example")
    task = client.get(f"/api/v1/tasks/{request_id}", headers=tess).json
    assert task["invitation"]["status"] == "expired"
    assert task["invitation"]["email"] == DANA
    url = f"{server}/api/v1/tasks/{request_id}/resend-invitation"

    def resend(_: int) -> int:
        return post_over_http(url, {"replaces": task["invitation"]["id"]}, tess)[0]

    with ThreadPoolExecutor(max_workers=10) as pool:
        answers = sorted(pool.map(resend, range(10)))
    assert answers == [201] + [409] * 9
    assert len(links_to_dana(database)) == 2
    with database.session() as session:
        dana = session.scalar(sa.select(User).where(User.email == DANA))
        assert dana is not None
        usable = session.scalars(
            sa.select(Invitation).where(
                Invitation.user_id == dana.id,
                Invitation.used_at.is_(None),
                Invitation.revoked_at.is_(None),
            )
        ).all()
        assert len(usable) == 1
    after = client.get(f"/api/v1/tasks/{request_id}", headers=tess).json["invitation"]
    assert after["status"] == "pending" and after["id"] == usable[0].id

    unknown = client.post(
        f"/api/v1/tasks/{request_id}/resend-invitation", json={"replaces": 2**70}, headers=tess
    )
    assert unknown.status_code == 400 and "replaces" in unknown.json["fields"]


def test_the_contact_who_named_them_sends_a_new_link(
    client: FlaskClient, running: WorkerThread, database: Database
) -> None:
    request_id = dana_named_and_approved(client, database)
    wait_for(lambda: links_to_dana(database), what="the first link")
    let_the_link_lapse(database)
    # Alice handed over: a member now, she still sees to it that Dana gets in.
    alice = api_token(client, "alice@acme.example")
    sent = client.post(f"/api/v1/requests/{request_id}/resend-invitation", json={}, headers=alice)
    assert sent.status_code == 201, sent.json
    assert sent.json["invitation"]["status"] == "pending"
    assert len(links_to_dana(database)) == 2
    chloe = api_token(client, "chloe@globex.example")
    other = client.post(f"/api/v1/requests/{request_id}/resend-invitation", json={}, headers=chloe)
    assert other.status_code == 404
    bob = api_token(client, "bob@acme.example")
    member = client.post(f"/api/v1/requests/{request_id}/resend-invitation", json={}, headers=bob)
    assert member.status_code == 404, "only who named them"


def test_a_french_accounts_new_contact_is_invited_and_welcomed_in_french(
    app: Flask, client: FlaskClient, running: WorkerThread, database: Database
) -> None:
    with database.session() as session:
        session.execute(
            sa.update(User).where(User.email == "alice@acme.example").values(language="fr")
        )
    dana_named_and_approved(client, database)
    with database.session() as session:
        body = session.scalar(
            sa.select(OutboxMessage.body).where(OutboxMessage.recipient_email == DANA)
        )
    assert body is not None and "votre mot de passe avec ce lien à usage unique" in body, body
    [link] = links_to_dana(database)
    browser = app.test_client()
    # Dana's browser says English; the page knows who reads it.
    page = browser.get(link, headers={"Accept-Language": "en-US"})
    assert page.status_code == 200 and '<html lang="fr">' in page.text
    welcomed = follow(
        browser,
        browser.post(
            link,
            data={
                "password": "a long new password",
                "confirm": "a long new password",
                "csrf_token": csrf_token(page.text),
            },
            headers={"Accept-Language": "en-US"},
        ),
    )
    assert '<html lang="fr">' in welcomed.text
    assert "Votre mot de passe est défini. Bienvenue, Dana Scully." in flashes(welcomed.text)
    with database.session() as session:
        assert session.scalar(sa.select(User.language).where(User.email == DANA)) == "fr"
