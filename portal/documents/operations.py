"""Documents: storing them once, who may fetch them, what an upload must be, and the W-9 rule."""

from __future__ import annotations

import posixpath
import re
from typing import Any

import sqlalchemy as sa
from sqlalchemy import orm

from portal.config import VendorSettings
from portal.db import row_id
from portal.documents.pdf import render_w9
from portal.errors import Forbidden, NotFound, ValidationFailed
from portal.i18n import _l
from portal.models import Account, Document, User
from workflows.lifecycle import Role

MAX_UPLOAD_BYTES = 5 * 1024 * 1024
MAX_FILENAME = 200  # documents.filename's length
PDF_MAGIC = b"%PDF-"
# What browsers and HTTP clients declare for a PDF; the magic bytes are the real check, but a
# file declared as something else (an image, HTML) is refused rather than stored as a PDF.
PDF_CONTENT_TYPES = frozenset(
    {"application/pdf", "application/x-pdf", "application/octet-stream", ""}
)
W9_COUNTRY = "US"
W9_ACCOUNT_KIND = "corporate"
_UNSAFE_FILENAME = re.compile(r'[\x00-\x1f\x7f"\\/]+')


def clean_filename(filename: str, default: str = "document.pdf") -> str:
    """A name fit for Content-Disposition and the column: no path, no control characters."""
    name = _UNSAFE_FILENAME.sub("_", posixpath.basename(filename.replace("\\", "/"))).strip()
    if not name or name in {".", ".."}:
        return default
    if len(name) > MAX_FILENAME:
        stem, dot, extension = name.rpartition(".")
        # Keep the extension: it is what tells the customer's computer how to open the file.
        name = (
            f"{stem[: MAX_FILENAME - len(extension) - 1]}.{extension}"
            if dot and len(extension) <= 10
            else name[:MAX_FILENAME]
        )
    return name


def store_document(
    session: orm.Session,
    account_id: int,
    kind: str,
    filename: str,
    content: bytes,
    content_type: str = "application/pdf",
    request_id: int | None = None,
    dedup_key: str | None = None,
) -> Document:
    """Store a document of the account; with a dedup_key already stored, that row instead.

    The caller commits. A retried activity passes the same dedup_key, so it finds the row the
    first attempt stored; two attempts racing each other cannot both insert (the column is
    unique): the loser's transaction fails and its retry then finds the winner's row.
    """
    if dedup_key is not None:
        existing = session.scalar(sa.select(Document).where(Document.dedup_key == dedup_key))
        if existing is not None:
            return existing
    document = Document(
        account_id=account_id,
        request_id=request_id,
        kind=kind,
        filename=clean_filename(filename),
        content_type=content_type,
        content=bytes(content),
        dedup_key=dedup_key,
    )
    session.add(document)
    session.flush()
    return document


def get_document(session: orm.Session, user: User, document_id: Any) -> Document:
    """The document, if `user` may fetch it: staff any, a billing contact their account's.

    Another account's document is NotFound, exactly like one that does not exist, so ids reveal
    nothing; a member is Forbidden, since members see nothing billing of their own account.
    """
    if user.role == Role.MEMBER:
        raise Forbidden(str(_l("Only your account's billing contact can download its documents.")))
    number = row_id(document_id)
    document = session.get(Document, number) if number is not None else None
    if document is None:
        raise NotFound(str(_l("No such document.")))
    if user.is_staff:
        return document
    if not user.is_billing_contact or user.account_id != document.account_id:
        raise NotFound(str(_l("No such document.")))
    return document


def check_upload(filename: str, content_type: str, data: bytes) -> None:
    """Refuse (ValidationFailed on `attachment`) anything but a PDF of at most 5 MiB."""
    message: Any = None
    declared = content_type.split(";", 1)[0].strip().lower()
    if not data:
        message = _l("The file is empty.")
    elif len(data) > MAX_UPLOAD_BYTES:
        message = _l("The file is larger than %(max)d MiB.", max=MAX_UPLOAD_BYTES // (1024 * 1024))
    elif not filename.lower().endswith(".pdf") or declared not in PDF_CONTENT_TYPES:
        message = _l("Only PDF files can be attached.")
    elif not data.startswith(PDF_MAGIC):
        # Named .pdf but not one: refusing it keeps every stored attachment a real PDF.
        message = _l("This file is not a PDF, whatever its name says.")
    elif len(filename) > MAX_FILENAME:
        message = _l("The file name is longer than %(max)d characters.", max=MAX_FILENAME)
    if message is not None:
        raise ValidationFailed(str(message), {"attachment": str(message)})


def w9_refusal(session: orm.Session, user: User) -> str | None:
    """Why `user` may not download the W-9 directly (None when they may), saying what to do.

    The rule (docs/design.md §2): only the billing contact of a US Corporate account downloads
    it; the billing contact of any other Corporate account can ask for it, or a vendor or
    regional form, with a form request.
    """
    if user.is_staff:
        return str(
            _l(
                "The W-9 is downloaded by the billing contacts of US Corporate accounts; "
                "for any other customer, it is produced through their form request."
            )
        )
    if not user.is_billing_contact:
        return str(
            _l(
                "Only your account's billing contact can get the W-9: by downloading it (US "
                "Corporate accounts) or through a form request. Ask them for it."
            )
        )
    account = session.get(Account, user.account_id) if user.account_id is not None else None
    if account is None:
        return str(_l("You are not a member of a customer account."))
    if account.country != W9_COUNTRY:
        return str(
            _l(
                "The W-9 can be downloaded directly only by US accounts, and %(account)s is "
                "registered in %(country)s. You can ask for the W-9, a vendor form or a "
                "regional form through a form request instead.",
                account=account.name,
                country=account.country,
            )
        )
    if account.kind != W9_ACCOUNT_KIND:
        return str(
            _l(
                "The W-9 can be downloaded directly only by Corporate accounts, and %(account)s "
                "is not one. You can ask for it through a form request instead.",
                account=account.name,
            )
        )
    return None


def w9_for(
    session: orm.Session, user: User, vendor: VendorSettings, language: str | None = None
) -> bytes:
    """The vendor's W-9 for `user`'s account (its portal's texts in `language`), or Forbidden
    saying why and what to do instead."""
    refusal = w9_refusal(session, user)
    if refusal is not None:
        raise Forbidden(refusal)
    account = session.get(Account, user.account_id)
    assert account is not None  # w9_refusal refuses a user without an account
    return render_w9(vendor, account.name, language=language)


def w9_filename(vendor: VendorSettings) -> str:
    """A plain name for the downloaded file, e.g. W-9-LogMeIn-USA-Inc.pdf (no commas, spaces)."""
    stem = re.sub(r"[^A-Za-z0-9]+", "-", vendor.name).strip("-") or "vendor"
    return f"W-9-{stem}.pdf"
