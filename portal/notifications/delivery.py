"""SMTP delivery of the outbox: each queued message is sent once the server has accepted it,
by a sender of its own, so that no workflow step waits on an SMTP server.

Delivery is at least once: a message is marked sent only after the server accepted it, so a
crash between the two sends it again later (with the same Message-ID, which lets mail readers
drop the duplicate). Nothing about a message's content or recipient is logged.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
import threading
from email.message import EmailMessage
from email.utils import format_datetime

import sqlalchemy as sa
from sqlalchemy import orm

from portal import clock
from portal.config import SmtpSettings
from portal.db import Database
from portal.models import OutboxMessage

log = logging.getLogger(__name__)

SECURITIES = ("none", "starttls", "ssl")


def _connect(smtp: SmtpSettings) -> smtplib.SMTP:
    if smtp.security == "ssl":
        connection: smtplib.SMTP = smtplib.SMTP_SSL(
            smtp.host, smtp.port, timeout=smtp.timeout_seconds, context=ssl.create_default_context()
        )
    else:
        connection = smtplib.SMTP(smtp.host, smtp.port, timeout=smtp.timeout_seconds)
    try:
        connection.ehlo()
        if smtp.security == "starttls":
            connection.starttls(context=ssl.create_default_context())
            connection.ehlo()  # the server's capabilities may differ once encrypted
        if smtp.username:
            connection.login(smtp.username, smtp.password)
    except BaseException:
        connection.close()
        raise
    return connection


def build_message(row: OutboxMessage, sender: str) -> EmailMessage:
    """A text/plain UTF-8 mail; its Message-ID is the row's, so a resend is recognisable."""
    domain = sender.rpartition("@")[2] or "localhost"
    message = EmailMessage()
    message["From"] = sender
    message["To"] = row.recipient_email
    message["Subject"] = row.subject
    message["Date"] = format_datetime(clock.now())
    created = int(row.created_at.timestamp()) if row.created_at else 0
    message["Message-ID"] = f"<outbox.{row.id}.{created}@{domain}>"
    # RFC 3834: tells vacation responders not to answer a notification.
    message["Auto-Submitted"] = "auto-generated"
    # Quoted-printable keeps accented text intact through servers without 8BITMIME.
    message.set_content(row.body, subtype="plain", charset="utf-8", cte="quoted-printable")
    return message


def _pending(request_id: int | None, limit: int) -> sa.Select[int]:
    query = sa.select(OutboxMessage.id).where(OutboxMessage.sent_at.is_(None))
    if request_id is not None:
        query = query.where(OutboxMessage.request_id == request_id)
    return query.order_by(OutboxMessage.id).limit(limit)


def _claim(session: orm.Session, message_id: int) -> OutboxMessage | None:
    """The row, locked while it is sent (PostgreSQL), unless another sender has it or sent it."""
    query = (
        sa.select(OutboxMessage)
        .where(OutboxMessage.id == message_id, OutboxMessage.sent_at.is_(None))
        .with_for_update(skip_locked=True)
    )
    return session.scalar(query)


def _reason(error: Exception) -> str:
    """What went wrong, without the addresses or text an SMTP error message may quote."""
    code = getattr(error, "smtp_code", None)
    if code is None and isinstance(error, smtplib.SMTPRecipientsRefused):
        codes = {code for code, _text in error.recipients.values()}
        code = ",".join(str(code) for code in sorted(codes))
    return f"{type(error).__name__}" + (f" (SMTP {code})" if code else "")


def deliver_outbox(
    database: Database, smtp: SmtpSettings, request_id: int | None = None, limit: int = 100
) -> int:
    """Send up to `limit` unsent outbox messages (of one request, or all); return how many the
    server accepted. Never raises for a mail problem: what was not sent stays for next time."""
    if not smtp.host:
        return 0  # no SMTP configured: messages stay in the outbox (a page in development)
    if smtp.security not in SECURITIES:
        log.error("PORTAL_SMTP_SECURITY must be one of %s; nothing sent", ", ".join(SECURITIES))
        return 0
    with database.session() as session:
        pending = list(session.scalars(_pending(request_id, limit)))
    if not pending:
        return 0
    try:
        connection = _connect(smtp)
    except (OSError, smtplib.SMTPException) as error:
        log.warning(
            "SMTP server %s:%s unavailable (%s); %d message(s) wait in the outbox",
            smtp.host,
            smtp.port,
            _reason(error),
            len(pending),
        )
        return 0
    sent = 0
    try:
        for message_id in pending:
            try:
                # One transaction per message: each acceptance is recorded at once.
                with database.session() as session:
                    row = _claim(session, message_id)
                    if row is None:
                        continue
                    connection.send_message(
                        build_message(row, smtp.sender),
                        from_addr=smtp.sender,
                        to_addrs=[row.recipient_email],
                    )
                    row.sent_at = clock.now()
                sent += 1
            except smtplib.SMTPServerDisconnected as error:
                log.warning("SMTP server closed the connection (%s); stopping", _reason(error))
                break
            except smtplib.SMTPException as error:
                # Refused by the server (a bad address, a policy): retried on the next run.
                log.warning("outbox message %d not sent: %s", message_id, _reason(error))
            except OSError as error:
                # (after SMTPException, which is an OSError) the connection is broken or hangs.
                log.warning("SMTP connection lost (%s); stopping", _reason(error))
                break
    finally:
        try:
            connection.quit()
        except (OSError, smtplib.SMTPException):
            connection.close()
    if sent:
        log.info("sent %d outbox message(s)", sent)
    return sent


class OutboxSender:
    """Sends the outbox apart from the workflows' steps: at once when woken (mail was queued)
    and every `every` seconds for what could not be sent before (SMTP down, a refusal)."""

    def __init__(self, database: Database, smtp: SmtpSettings, every: float = 60.0) -> None:
        self.database = database
        self.smtp = smtp
        self.every = every
        self._woken = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def wake(self) -> None:
        self._woken.set()

    def start(self) -> None:
        self._stopping.clear()
        self._thread = threading.Thread(target=self._run, name="outbox-sender", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 15.0) -> None:
        self._stopping.set()
        self._woken.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def _run(self) -> None:
        while not self._stopping.is_set():
            self._woken.wait(self.every)
            self._woken.clear()
            try:
                deliver_outbox(self.database, self.smtp)
            except Exception:
                # A database hiccup: the next wake or sweep tries again.
                log.exception("outbox delivery failed")
