"""Delivering over real SMTP: each mail once, a refused recipient or a server down marks nothing
sent and logs nothing personal; without an SMTP host, mails stay in the outbox."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
from aiosmtpd.controller import Controller

from portal.config import SmtpSettings
from portal.db import Database
from portal.notifications.delivery import deliver_outbox
from tests.conftest import free_port
from tests.mail.support import (
    BASE_URL,
    NBSP,
    REFUSED_DOMAIN,
    Recorder,
    new_request,
    notify,
    outbox,
    portal_log,
    text_of,
)


@pytest.fixture
def smtp_server() -> Iterator[tuple[Recorder, SmtpSettings]]:
    recorder = Recorder()
    controller = Controller(recorder, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield recorder, SmtpSettings(host="127.0.0.1", port=controller.port, timeout_seconds=5)
    finally:
        controller.stop()


def test_delivery_sends_each_mail_once_as_utf8_text(
    database: Database, demo: None, smtp_server: tuple[Recorder, SmtpSettings]
) -> None:
    recorder, smtp = smtp_server
    alice_request = new_request(database, "alice@acme.example")
    chloe_request = new_request(database, "chloe@globex.example")
    notify(database, alice_request, "rejected", "Duplicate of #1.")
    notify(database, chloe_request, "completed", "C'est fait, merci : voilà.")

    assert deliver_outbox(database, smtp) == 2

    (to_alice,) = recorder.to("alice@acme.example")
    assert to_alice["From"] == smtp.sender
    assert to_alice["Subject"] == f"Request #{alice_request} was rejected"
    assert to_alice["Message-ID"]
    assert to_alice.get_content_type() == "text/plain"
    assert to_alice.get_content_charset() == "utf-8"
    assert "Reason:\nDuplicate of #1." in text_of(to_alice)
    assert f"{BASE_URL}/requests/{alice_request}" in text_of(to_alice)

    (to_chloe,) = recorder.to("chloe@globex.example")
    assert to_chloe["Subject"] == f"La demande n°{NBSP}{chloe_request} est terminée"
    body = text_of(to_chloe)
    assert "Bonjour Chloé Dubois," in body
    assert "Commentaire du technicien" in body and "C'est fait, merci : voilà." in body
    assert f"{BASE_URL}/requests/{chloe_request}" in body
    assert all(row.sent_at is not None for row in outbox(database))

    # Everything is sent: a second run sends nothing again.
    assert deliver_outbox(database, smtp) == 0
    assert len(recorder.envelopes) == 2


def test_delivery_of_one_request_leaves_the_others_waiting(
    database: Database, demo: None, smtp_server: tuple[Recorder, SmtpSettings]
) -> None:
    recorder, smtp = smtp_server
    first = new_request(database, "alice@acme.example")
    second = new_request(database, "alice@acme.example")
    notify(database, first, "rejected", "No.")
    notify(database, second, "rejected", "No.")

    assert deliver_outbox(database, smtp, request_id=first) == 1
    sent = {row.request_id: row.sent_at is not None for row in outbox(database)}
    assert sent == {first: True, second: False}
    assert deliver_outbox(database, smtp) == 1
    assert len(recorder.envelopes) == 2


def test_a_refused_recipient_stays_unsent_and_unlogged(
    database: Database,
    demo: None,
    smtp_server: tuple[Recorder, SmtpSettings],
    caplog: pytest.LogCaptureFixture,
) -> None:
    recorder, smtp = smtp_server
    request_id = new_request(database, "chloe@globex.example", "contact_change")
    refused = f"nobody@{REFUSED_DOMAIN}"
    notify(database, request_id, "contact_changed_new", recipient_email=refused)
    notify(database, request_id, "rejected", "Non.")

    with caplog.at_level(logging.DEBUG, logger="portal.notifications.delivery"):
        assert deliver_outbox(database, smtp) == 1
    by_recipient = {row.recipient_email: row.sent_at for row in outbox(database)}
    assert by_recipient[refused] is None
    assert by_recipient["chloe@globex.example"] is not None
    assert [message["To"] for message in recorder.messages()] == ["chloe@globex.example"]
    logged = portal_log(caplog)
    assert "550" in logged
    assert REFUSED_DOMAIN not in logged and "chloe" not in logged


def test_smtp_down_marks_nothing_and_raises_nothing(
    database: Database, demo: None, caplog: pytest.LogCaptureFixture
) -> None:
    request_id = new_request(database, "alice@acme.example")
    notify(database, request_id, "rejected", "No.")
    nobody_listens = SmtpSettings(
        host="127.0.0.1", port=free_port(), timeout_seconds=2, username="u", password="s3cret-pw"
    )

    with caplog.at_level(logging.DEBUG, logger="portal.notifications.delivery"):
        assert deliver_outbox(database, nobody_listens) == 0
    assert [row.sent_at for row in outbox(database)] == [None]
    logged = portal_log(caplog)
    assert "unavailable" in logged
    assert "s3cret-pw" not in logged and "alice" not in logged


def test_without_an_smtp_host_mails_stay_in_the_outbox(database: Database, demo: None) -> None:
    request_id = new_request(database, "alice@acme.example")
    notify(database, request_id, "rejected", "No.")
    assert deliver_outbox(database, SmtpSettings()) == 0
    assert [row.sent_at for row in outbox(database)] == [None]
