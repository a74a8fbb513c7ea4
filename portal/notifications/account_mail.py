"""Mails about a person's own sign-in: a password-reset link, and word that the password was
changed (so a change they did not make does not go unnoticed). In their language, queued in
the writer's transaction."""

from __future__ import annotations

import re
from enum import StrEnum

from sqlalchemy import orm

from portal.i18n import N_, _, translated
from portal.models import OutboxMessage, User
from portal.notifications.catalogs import language_of, translations_for


class AccountMail(StrEnum):
    RESET_LINK = "password_reset"
    PASSWORD_CHANGED = "password_changed"  # noqa: S105 - the name of a mail


# (subject, what to say); placeholders: %(link)s, %(minutes)d.
TEXTS = {
    AccountMail.RESET_LINK: (
        N_("Choose a new password"),
        N_(
            "Someone (we hope you) asked to choose a new password for the Corporate Billing "
            "Portal. Open this link within %(minutes)d minutes to choose it; it works once:\n"
            "%(link)s\n\nIf you did not ask, ignore this message: your password stays as it is."
        ),
    ),
    AccountMail.PASSWORD_CHANGED: (
        N_("Your password was changed"),
        N_(
            "The password of your Corporate Billing Portal account was just changed, and every "
            "other session and API token of yours was ended. If you did not do this, choose a "
            'new password at once from the sign-in page ("Forgot your password?") and tell '
            "LogMeIn."
        ),
    ),
}


def queue_account_mail(
    session: orm.Session, user: User, kind: AccountMail, dedup: str, **values: object
) -> None:
    """Queue `kind` for `user` once per `dedup` (the reset's id, the change's time)."""
    language = language_of(user.language)
    with translated(translations_for(language), language):
        subject, lead = TEXTS[kind]
        lines = [
            _("Hello %(name)s,", name=user.name),
            "",
            _(lead) % values,
            "",
            "-- ",
            _("Corporate Billing Portal, LogMeIn"),
            _("This message was sent automatically; replies are not read."),
        ]
        shown = re.sub(r"\s*[\r\n]+\s*", " ", _(subject)).strip()
    session.add(
        OutboxMessage(
            recipient_email=user.email,
            subject=shown[:300],
            body="\n".join(lines) + "\n",
            dedup_key=f"account:{kind}:{user.id}:{dedup}"[:200],
        )
    )
