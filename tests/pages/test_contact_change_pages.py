"""Billing-contact changes through the pages: the successor sets a password once; a change a
technician starts is decided by a supervisor."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from portal.db import Database
from portal.models import Account, OutboxMessage, User
from tests.conftest import WorkerThread
from tests.pages.request_support import (
    approve,
    claim,
    option_value,
    post_hidden,
    send_new,
    submit_new,
    task_url,
)
from tests.pages.support import field_errors, flashes, follow, read_form, request_count, signed_in
from tests.support import csrf_token, login, request_status, wait_for

pytestmark = pytest.mark.dates  # `make test` runs these again at other dates


def test_contact_names_a_successor_who_sets_a_password_once(
    app: Flask, client: FlaskClient, running: WorkerThread, database: Database
) -> None:
    login(client, "alice@acme.example")
    bad = submit_new(
        client,
        "contact_change",
        new_contact_name="Dana Scully",
        new_contact_email="dana-at-acme",
        reason="Alice moves to sales",
    )
    assert bad.status_code == 400
    refused = {"new_contact_email": "Give the work e-mail address of one person of your company."}
    assert field_errors(bad.text) == refused
    kept = read_form(bad.text)
    assert (kept["new_contact_name"], kept["new_contact_email"], kept["reason"]) == (
        "Dana Scully",
        "dana-at-acme",
        "Alice moves to sales",
    )
    assert request_count(database) == 0

    request_id = send_new(
        client,
        "contact_change",
        new_contact_name="Dana Scully",
        new_contact_email="dana@acme.example",
        reason="Alice moves to sales",
    )
    tess = signed_in(app, "tess@logmein.example")
    task = tess.get(task_url(request_id))
    assert "Dana Scully &lt;dana@acme.example&gt;" in task.text
    assert "Four-eyes" not in task.text
    claim(tess, request_id)
    approve(tess, request_id)
    wait_for(lambda: request_status(database, request_id) == "completed", what="contact change")
    with database.session() as session:
        dana = session.scalar(sa.select(User).where(User.email == "dana@acme.example"))
        assert dana is not None and dana.role == "billing_contact"
    # Done, the task still shows whom the change replaced: the "before" was kept at submission.
    done_task = tess.get(task_url(request_id)).text
    assert re.search(
        r'<td class="before">Alice Martin &lt;alice@acme.example&gt;</td>'
        r'<td class="after">Dana Scully &lt;dana@acme.example&gt;</td>'
        r'<td class="applied">Dana Scully &lt;dana@acme.example&gt;</td>',
        done_task,
    ), done_task
    assert '<th scope="col">Applied</th>' in done_task

    def invitation_link() -> str | None:
        with database.session() as session:
            bodies = session.scalars(
                sa.select(OutboxMessage.body).where(
                    OutboxMessage.request_id == request_id,
                    OutboxMessage.recipient_email == "dana@acme.example",
                )
            ).all()
        found = [re.search(r"/invitations/[\w-]+", body) for body in bodies]
        return next((match.group(0) for match in found if match), None)

    link = wait_for(invitation_link, what="the invitation mail")

    visitor = app.test_client()
    page = visitor.get(link)
    assert page.status_code == 200
    assert "dana@acme.example" in page.text
    assert set(read_form(page.text)) == {"csrf_token", "password", "confirm"}

    differ = visitor.post(
        link,
        data={
            "csrf_token": csrf_token(page.text),
            "password": "a-long-password-1",
            "confirm": "another-password",
        },
    )
    assert differ.status_code == 400
    assert field_errors(differ.text) == {"confirm": "The two passwords differ."}
    short = visitor.post(
        link, data={"csrf_token": csrf_token(page.text), "password": "short", "confirm": "short"}
    )
    assert short.status_code == 400
    assert field_errors(short.text) == {"password": "At least 10 characters."}

    done = visitor.post(
        link,
        data={
            "csrf_token": csrf_token(page.text),
            "password": "dana-new-password",
            "confirm": "dana-new-password",
        },
    )
    assert done.status_code == 302 and done.location == "/"
    home = follow(visitor, done)
    assert "Your password is set. Welcome, Dana Scully." in flashes(home.text)
    assert "Acme Corporation" in home.text
    assert 'href="/requests/new/quote"' in home.text  # signed in, as the billing contact

    used = app.test_client().get(link)
    assert used.status_code == 410
    assert "This link is no longer valid. Ask LogMeIn for a new one." in used.text
    assert 'name="password"' not in used.text
    again = app.test_client()
    login(again, "dana@acme.example", "dana-new-password")
    assert app.test_client().get("/invitations/not-a-token").status_code == 410


def test_a_contact_change_a_technician_starts_is_decided_by_a_supervisor(
    app: Flask, running: WorkerThread, database: Database
) -> None:
    tess = signed_in(app, "tess@logmein.example")
    url = "/console/contact-change/new"
    assert 'href="/console/contact-change/new"' in tess.get("/console/").text
    page = tess.get(url)
    assert page.status_code == 200
    globex = option_value(page.text, "account_id", "Globex SARL")
    fields = {
        **read_form(page.text),
        "new_contact_name": "Hugo Martin",
        "new_contact_email": "hugo@globex.example",
        "reason": "Chloé left the company",
    }
    missing = tess.post(url, data=fields)
    assert missing.status_code == 400
    assert field_errors(missing.text) == {"account_id": "Choose a Corporate account."}
    assert read_form(missing.text)["new_contact_email"] == "hugo@globex.example"
    assert request_count(database) == 0

    started = tess.post(url, data={**fields, "account_id": globex})
    assert started.status_code == 302
    match = re.fullmatch(r"/console/tasks/(\d+)", started.location)
    assert match, started.location
    request_id = int(match.group(1))
    task = follow(tess, started)
    assert f"Request #{request_id} is started; a supervisor must decide it." in flashes(task.text)
    assert "Four-eyes: a supervisor must decide." in task.text
    assert f'action="{task_url(request_id)}/claim"' not in task.text

    # Buttons the rules forbid are not shown; posting anyway (an old tab) is refused.
    assert f'action="{task_url(request_id)}/approve"' not in task.text
    refused = follow(tess, post_hidden(tess, request_id, "approve", text="Fine"))
    assert "You cannot decide a request you submitted yourself." in flashes(refused.text)
    theo = signed_in(app, "theo@logmein.example")
    assert f'action="{task_url(request_id)}/claim"' not in theo.get(task_url(request_id)).text
    theo_refused = follow(theo, post_hidden(theo, request_id, "claim"))
    # Théo reads French: "a supervisor must decide" in his language.
    assert any("superviseur" in message for message in flashes(theo_refused.text))
    assert request_status(database, request_id) == "submitted"

    sam = signed_in(app, "sam@logmein.example")
    assert "Four-eyes: a supervisor must decide." in sam.get(task_url(request_id)).text
    claim(sam, request_id)
    # The timeline says who claimed it, a supervisor here, not "a technician".
    claimed = sam.get(task_url(request_id)).text.split('<ol class="timeline">', 1)[1]
    assert "<strong>Claimed</strong> · Sam Okafor" in claimed
    assert "technician" not in claimed
    approve(sam, request_id, text="Confirmed with Globex by phone")
    wait_for(lambda: request_status(database, request_id) == "completed", what="contact change")
    with database.session() as session:
        account = session.get(Account, int(globex))
        assert account is not None and account.billing_contact is not None
        assert account.billing_contact.email == "hugo@globex.example"
        assert account.billing_contact.name == "Hugo Martin"
