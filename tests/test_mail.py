"""Mails: composed in each recipient's language, delivered over real SMTP (an aiosmtpd server on
127.0.0.1), shown on the development outbox page; and the French catalogue is complete."""

from __future__ import annotations

import email
import email.policy
import logging
import shutil
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session
from babel.messages.frontend import CommandLineInterface
from babel.messages.pofile import read_po
from babel.support import Translations
from flask import Flask
from flask.testing import FlaskClient

from portal.app import create_app
from portal.config import Settings, SmtpSettings, TemporalSettings
from portal.db import Database
from portal.gateway import TemporalBridge
from portal.models import BillingRequest, OutboxMessage, User
from portal.notifications.catalogs import TRANSLATIONS_DIR, compile_catalogs
from portal.notifications.delivery import deliver_outbox
from portal.notifications.outbox import queue_notification
from tests.conftest import clock_shift, free_port, login
from workflows.messages import QueueNotificationInput

ROOT = Path(__file__).resolve().parent.parent
BASE_URL = "https://billing.example"
NBSP = "\u00a0"
APOSTROPHE = "\u2019"  # French text uses the typographic apostrophe
REFUSED_DOMAIN = "refused.example"


class Recorder:
    """An SMTP server's handler that keeps what it accepted and refuses one domain."""

    def __init__(self) -> None:
        self.envelopes: list[Envelope] = []

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: Any
    ) -> str:
        if address.endswith("@" + REFUSED_DOMAIN):
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        self.envelopes.append(envelope)
        return "250 Message accepted for delivery"

    def messages(self) -> list[EmailMessage]:
        parsed = []
        for envelope in self.envelopes:
            content = envelope.original_content or b""
            message = email.message_from_bytes(content, policy=email.policy.default)
            assert isinstance(message, EmailMessage)
            parsed.append(message)
        return parsed

    def to(self, address: str) -> list[EmailMessage]:
        return [message for message in self.messages() if message["To"] == address]


def text_of(message: EmailMessage) -> str:
    """The decoded body, with the line ends it had before SMTP (which sends CRLF)."""
    content = message.get_content()
    assert isinstance(content, str)
    return content.replace("\r\n", "\n")


@pytest.fixture
def smtp_server() -> Iterator[tuple[Recorder, SmtpSettings]]:
    recorder = Recorder()
    controller = Controller(recorder, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield recorder, SmtpSettings(host="127.0.0.1", port=controller.port, timeout_seconds=5)
    finally:
        controller.stop()


def user_id(database: Database, email_address: str) -> int:
    with database.session() as session:
        found = session.scalar(sa.select(User.id).where(User.email == email_address))
        assert found is not None
        return found


def new_request(
    database: Database, requester: str, request_type: str = "po_edit", **payload: Any
) -> int:
    """A request row as the portal stores it; mails only read it, no workflow is needed."""
    with database.session() as session:
        user = session.get(User, user_id(database, requester))
        assert user is not None and user.account_id is not None
        row = BillingRequest(
            account_id=user.account_id,
            requester_id=user.id,
            type=request_type,
            payload=payload or {"purchase_order_id": 1, "changes": {}, "reason": "test"},
        )
        session.add(row)
        session.flush()
        return row.id


def notify(database: Database, request_id: int, event: str, note: str = "", **context: Any) -> int:
    """Queue the mail of `event`; whom it tells is the event's own decision."""
    notification = QueueNotificationInput(request_id, event, note=note, context=context)
    with database.session() as session:
        return queue_notification(session, notification, base_url=BASE_URL)


def portal_log(caplog: pytest.LogCaptureFixture) -> str:
    return "\n".join(r.getMessage() for r in caplog.records if r.name.startswith("portal"))


def outbox(database: Database) -> list[OutboxMessage]:
    with database.session() as session:
        return list(session.scalars(sa.select(OutboxMessage).order_by(OutboxMessage.id)))


# -- composing --------------------------------------------------------------------------------


def test_each_recipient_reads_the_mail_in_their_language(database: Database, demo: None) -> None:
    alice_request = new_request(database, "alice@acme.example")
    chloe_request = new_request(database, "chloe@globex.example")
    assert notify(database, alice_request, "info_requested", "Which line?") == 1
    assert notify(database, chloe_request, "info_requested", "Quelle ligne ?") == 1

    english, french = outbox(database)
    assert english.recipient_email == "alice@acme.example"
    assert english.subject == f"Request #{alice_request}: a technician has a question"
    assert english.body.startswith("Hello Alice Martin,\n")
    assert f"Request: #{alice_request}, Purchase-order edit" in english.body
    assert "Account: Acme Corporation" in english.body
    assert "Question:\nWhich line?" in english.body
    assert f"{BASE_URL}/requests/{alice_request}" in english.body

    assert french.recipient_email == "chloe@globex.example"
    assert french.subject == f"Demande n°{NBSP}{chloe_request}{NBSP}: un technicien a une question"
    assert french.body.startswith("Bonjour Chloé Dubois,\n")
    assert f"Demande{NBSP}: n°{NBSP}{chloe_request}, Modification de bon de commande" in french.body
    assert f"Compte{NBSP}: Globex SARL" in french.body
    assert f"Question{NBSP}:\nQuelle ligne ?" in french.body
    assert f"Ouvrir la demande{NBSP}: {BASE_URL}/requests/{chloe_request}" in french.body
    assert "Request" not in french.body


def test_staff_get_the_task_link_and_a_retry_queues_nothing(database: Database, demo: None) -> None:
    request_id = new_request(database, "alice@acme.example")
    # Unclaimed: every technician hears of it, each in their language (Théo reads French).
    assert notify(database, request_id, "sla_reminder") == 2
    assert notify(database, request_id, "sla_reminder") == 0
    tess, theo = outbox(database)
    assert (tess.recipient_email, theo.recipient_email) == (
        "tess@logmein.example",
        "theo@logmein.example",
    )
    assert tess.subject == f"Reminder: request #{request_id} is waiting for review"
    assert f"Open the task: {BASE_URL}/console/tasks/{request_id}" in tess.body
    assert theo.subject.startswith(f"Rappel{NBSP}: la demande n°{NBSP}{request_id}")
    assert f"{BASE_URL}/console/tasks/{request_id}" in theo.body


def test_a_new_contact_who_is_not_a_user_gets_the_set_password_link(
    database: Database, demo: None
) -> None:
    request_id = new_request(
        database,
        "chloe@globex.example",
        "contact_change",
        new_contact_email="Hugo@Globex.example",
        new_contact_name="Hugo Petit",
        reason="départ",
    )
    link = f"{BASE_URL}/invitations/secret-token"
    queued = notify(
        database,
        request_id,
        "contact_changed_new",
        recipient_email="Hugo@Globex.example",
        recipient_name="Hugo Petit",
        link=link,
        expires_at="2030-01-31T12:00:00+00:00",
    )
    assert queued == 1
    (mail,) = outbox(database)
    assert mail.recipient_email == "hugo@globex.example"
    # Not a user yet: the requester's language (Chloé's, French) is the best guess.
    assert mail.subject == "Vous êtes désormais le contact de facturation de Globex SARL"
    assert f"lien à usage unique{NBSP}:\n{link}\n" in mail.body
    assert "31 janvier 2030" in mail.body
    assert f"Nouveau contact de facturation{NBSP}: Hugo Petit <Hugo@Globex.example>" in mail.body


# -- delivering -------------------------------------------------------------------------------


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


# -- the development outbox page --------------------------------------------------------------


def outbox_app(database: Database, database_url: str, tmp_path: Path, development: bool) -> Flask:
    settings = Settings(
        data_dir=tmp_path,
        database_url=database_url,
        secret_key="test-secret-key",
        development=development,
        clock_shift=clock_shift(),
    )
    # The outbox pages never reach Temporal: a bridge that is never connected will do.
    bridge = TemporalBridge(TemporalSettings(address="127.0.0.1:1"))
    # Secure cookies (outside development) would not travel over the test client's http.
    return create_app(
        settings, database=database, bridge=bridge, TESTING=True, SESSION_COOKIE_SECURE=False
    )


@pytest.fixture
def dev_client(database: Database, database_url: str, tmp_path: Path) -> FlaskClient:
    return outbox_app(database, database_url, tmp_path, development=True).test_client()


def test_the_outbox_page_shows_a_user_their_own_mails(
    database: Database, demo: None, dev_client: FlaskClient
) -> None:
    alice_request = new_request(database, "alice@acme.example")
    chloe_request = new_request(database, "chloe@globex.example")
    notify(database, alice_request, "rejected", "Not for Chloé.")
    notify(database, chloe_request, "completed", "Pour Chloé.")
    notify(database, alice_request, "completed", "Done.")

    login(dev_client, "alice@acme.example")
    page = dev_client.get("/outbox/")
    assert page.status_code == 200
    assert 'href="/outbox/"' in page.text  # the nav link, in development
    assert f"Request #{alice_request} was rejected" in page.text
    assert "Not for Chloé." in page.text
    assert "Pour Chloé." not in page.text and "chloe@globex.example" not in page.text
    # Newest first.
    assert page.text.index(f"Request #{alice_request} is complete") < page.text.index(
        f"Request #{alice_request} was rejected"
    )

    staff = dev_client.application.test_client()
    login(staff, "tess@logmein.example")
    page = staff.get("/outbox/")
    assert "Pour Chloé." in page.text and "Not for Chloé." in page.text


def test_the_outbox_page_is_in_french_for_chloe(
    database: Database, demo: None, dev_client: FlaskClient
) -> None:
    login(dev_client, "chloe@globex.example")
    page = dev_client.get("/outbox/")
    assert page.status_code == 200
    assert f"Boîte d{APOSTROPHE}envoi" in page.text
    assert f"Aucun e-mail pour l{APOSTROPHE}instant." in page.text


def test_the_outbox_page_needs_a_sign_in(dev_client: FlaskClient, demo: None) -> None:
    response = dev_client.get("/outbox/")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_the_outbox_page_does_not_exist_outside_development(
    database: Database, database_url: str, demo: None, tmp_path: Path
) -> None:
    client = outbox_app(database, database_url, tmp_path, development=False).test_client()
    assert client.get("/outbox/").status_code == 404
    login(client, "alice@acme.example")
    assert client.get("/outbox/").status_code == 404
    home = client.get("/")
    assert home.status_code == 200 and 'href="/outbox/"' not in home.text


# -- the catalogues ---------------------------------------------------------------------------


def test_every_message_is_translated_into_french(tmp_path: Path) -> None:
    pot = tmp_path / "messages.pot"
    # The same extraction as `make translations`.
    CommandLineInterface().run(
        [
            "pybabel",
            "--quiet",
            "extract",
            "-F",
            str(ROOT / "babel.cfg"),
            "--no-default-keywords",
            *("-k", "_", "-k", "_l", "-k", "gettext", "-k", "lazy_gettext"),
            *("-k", "ngettext:1,2", "-k", "N_"),
            "-o",
            str(pot),
            str(ROOT),
        ]
    )
    with pot.open("rb") as source:
        template = read_po(source)
    with (TRANSLATIONS_DIR / "fr" / "LC_MESSAGES" / "messages.po").open("rb") as source:
        french = read_po(source, locale="fr")
    assert len(template) > 100
    untranslated = [
        message.id
        for message in template
        if message.id
        and (
            (found := french.get(message.id)) is None
            or not found.string
            or (isinstance(found.string, tuple) and not all(found.string))
            or found.fuzzy
        )
    ]
    assert untranslated == [], f"run `make translations` and translate: {untranslated}"
    # A translation must keep its placeholders, or formatting it fails at run time.
    problems = [(message.id, errors) for message, errors in french.check()]
    assert problems == []


def test_catalogues_compile_when_the_mo_files_are_missing(tmp_path: Path) -> None:
    folder = tmp_path / "fr" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    shutil.copy(TRANSLATIONS_DIR / "fr" / "LC_MESSAGES" / "messages.po", folder)
    compile_catalogs(tmp_path)
    with (folder / "messages.mo").open("rb") as source:
        assert Translations(source).gettext("Sign in") == "Se connecter"
    compile_catalogs(tmp_path / "nowhere")  # nothing to compile: no error either
