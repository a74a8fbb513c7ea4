"""Downloading documents and the W-9 through the JSON API (bearer tokens)."""

from __future__ import annotations

from flask import Blueprint, Response

from portal.documents.views import document_response, w9_response
from portal.web.api_support import api_user, token_required
from portal.web.openapi import described

api_bp = Blueprint("documents_api", __name__, url_prefix="/api/v1")
TAG = "Documents"


@api_bp.get("/documents/<document_id>")
@token_required
@described(TAG, {200: None}, errors=(404,))
def api_download(document_id: str) -> Response:
    """A document of the account (an attachment, a statement) as it was stored."""
    return document_response(api_user(), document_id)


@api_bp.get("/forms/w9")
@token_required
@described(TAG, {200: None})
def api_w9() -> Response:
    """The vendor's W-9 as a PDF: for the billing contact of a US Corporate account."""
    return w9_response(api_user())
