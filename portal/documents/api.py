"""Downloading documents and the W-9 through the JSON API (bearer tokens)."""

from __future__ import annotations

from flask import Blueprint, Response

from portal.documents.views import document_response, w9_response
from portal.web.api_support import api_user, token_required

api_bp = Blueprint("documents_api", __name__, url_prefix="/api/v1")


@api_bp.get("/documents/<document_id>")
@token_required
def api_download(document_id: str) -> Response:
    return document_response(api_user(), document_id)


@api_bp.get("/forms/w9")
@token_required
def api_w9() -> Response:
    return w9_response(api_user())
