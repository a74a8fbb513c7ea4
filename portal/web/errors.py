"""Errors as the reader gets them: JSON under /api/, an error page that says why elsewhere."""

from __future__ import annotations

import re
from typing import Any

from flask import Flask, jsonify, render_template
from werkzeug.exceptions import HTTPException

from portal.errors import PortalError
from portal.i18n import _l
from portal.web.api_support import is_api_request, portal_error_json

ERROR_TITLES = {
    403: (_l("Not allowed"), _l("Your role does not give access to this page.")),
    404: (_l("Not found"), _l("This page does not exist, or it is not part of your account.")),
}


def _http_json(error: HTTPException) -> Any:
    # A stable code from the HTTP name: "Method Not Allowed" → "method_not_allowed".
    code = re.sub(r"[^a-z0-9]+", "_", error.name.lower()).strip("_")
    return jsonify({"error": error.description or error.name, "code": code}), error.code or 500


def init_app(app: Flask) -> None:
    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> Any:
        if is_api_request():
            return _http_json(error)
        return error

    @app.errorhandler(403)
    @app.errorhandler(404)
    def html_error(error: HTTPException) -> Any:
        if is_api_request():
            return _http_json(error)
        title, message = ERROR_TITLES[error.code or 404]
        return render_template("errors/error.html", title=title, message=message), error.code

    @app.errorhandler(PortalError)
    def portal_error(error: PortalError) -> Any:
        """An operation refused: JSON for the API, an error page that says why for pages."""
        if is_api_request():
            return portal_error_json(error)
        title, _default = ERROR_TITLES.get(error.status, (_l("Not possible"), ""))
        page = render_template("errors/error.html", title=title, message=error.message)
        return page, error.status
