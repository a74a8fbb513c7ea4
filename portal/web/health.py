"""`GET /healthz`: 200 when the database and Temporal answer, 503 naming what is down."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, Response, jsonify

from portal.web.extensions import get_bridge, get_session

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz() -> tuple[Response, int]:
    try:
        get_session().execute(sa.text("SELECT 1"))
        database = "ok"
    except sa.exc.SQLAlchemyError:
        database = "down"
    temporal = "ok" if get_bridge().check() else "down"
    body = {"database": database, "temporal": temporal}
    down = [name for name, state in body.items() if state != "ok"]
    if down:
        return jsonify({**body, "error": f"unavailable: {', '.join(down)}"}), 503
    return jsonify(body), 200
