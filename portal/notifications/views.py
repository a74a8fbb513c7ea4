"""The development outbox: the mails the portal queued, readable without an SMTP server.

Only in development (404 otherwise): mails may carry one-time links, which a production page
must never show. Staff see every mail; anyone else only the mails addressed to them.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort, render_template
from flask.typing import ResponseReturnValue
from flask_login import login_required

from portal.models import OutboxMessage
from portal.web.auth import current
from portal.web.extensions import get_session, get_settings

bp = Blueprint("outbox", __name__, url_prefix="/outbox")

# The newest mails are what a developer looks for; older ones stay in the table.
PAGE_SIZE = 100


@bp.before_request
def development_only() -> None:
    if not get_settings().development:
        abort(404)


@bp.get("/")
@login_required
def index() -> ResponseReturnValue:
    user = current()
    query = sa.select(OutboxMessage).order_by(
        OutboxMessage.created_at.desc(), OutboxMessage.id.desc()
    )
    if not user.is_staff:
        query = query.where(sa.func.lower(OutboxMessage.recipient_email) == user.email.lower())
    messages = list(get_session().scalars(query.limit(PAGE_SIZE)))
    return render_template("outbox.html", messages=messages, page_size=PAGE_SIZE)
