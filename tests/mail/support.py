"""An SMTP handler that records what it accepts (also the session's `mailbox` fixture), requests
and notifications stored as the portal stores them, the outbox, and an app for its page."""

from __future__ import annotations

import email
import email.policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from aiosmtpd.smtp import SMTP, Envelope, Session
from flask import Flask

from portal.app import create_app
from portal.config import Settings, TemporalSettings
from portal.db import Database
from portal.gateway import TemporalBridge
from portal.models import BillingRequest, OutboxMessage, User
from portal.notifications.outbox import queue_notification
from tests.conftest import clock_shift
from workflows.messages import QueueNotificationInput

ROOT = Path(__file__).resolve().parents[2]
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
