"""Downloading documents and the W-9 from the pages (session sign-in; the API: api.py).

The rules live in operations.py; refusals are portal.errors exceptions, which the app turns into
JSON under /api/ and into an error page that says why elsewhere.
"""

from __future__ import annotations

import io

from flask import Blueprint, Response, current_app, render_template, send_file
from flask_login import login_required

from portal.documents import operations
from portal.i18n import active_locale
from portal.models import Document, User
from portal.web.auth import current
from portal.web.extensions import get_session, settings_of

bp = Blueprint("documents", __name__)

# Built by the form-request pages (another package); a literal so this page does not fail to
# render when that blueprint is not registered.
FORM_REQUEST_URL = "/requests/new/form_request"


def send_document(content: bytes, filename: str, content_type: str) -> Response:
    """The file as a download, never rendered inline, never cached by a shared cache."""
    response = send_file(
        io.BytesIO(content),
        mimetype=content_type,
        as_attachment=True,
        download_name=filename,
        max_age=0,
    )
    # An attachment is not to be sniffed into HTML; and it is one account's private document.
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    # The document is in memory: the API's reply check (portal.web.openapi) may read it.
    response.direct_passthrough = False
    return response


def document_response(user: User, document_id: int | str) -> Response:
    document: Document = operations.get_document(get_session(), user, document_id)
    return send_document(document.content, document.filename, document.content_type)


def w9_response(user: User) -> Response:
    vendor = settings_of(current_app).vendor
    # The page's language (the API's: its Accept-Language or the user's profile).
    content = operations.w9_for(get_session(), user, vendor, active_locale())
    return send_document(content, operations.w9_filename(vendor), "application/pdf")


# -- pages ---------------------------------------------------------------------------------


@bp.get("/documents/<int:document_id>")
@login_required
def download(document_id: int) -> Response:
    return document_response(current(), document_id)


@bp.get("/forms/w9")
@login_required
def w9_page() -> str:
    """The W-9's own page: the download for those the rule allows, why not and what else to do
    for everyone else (a billing contact gets the link to the form request)."""
    user = current()
    return render_template(
        "documents/w9.html",
        refusal=operations.w9_refusal(get_session(), user),
        vendor=settings_of(current_app).vendor,
        form_request_url=FORM_REQUEST_URL if user.is_billing_contact else None,
    )


@bp.get("/forms/w9.pdf")
@login_required
def w9_pdf() -> Response:
    return w9_response(current())


# -- API -----------------------------------------------------------------------------------
