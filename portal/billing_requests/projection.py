"""The projection the pages read: a workflow's snapshot written to its request's row. Called
by the worker's activities; no Flask here."""

from __future__ import annotations

import dataclasses
from typing import Any

import sqlalchemy as sa
from sqlalchemy import orm

from portal import clock
from portal.models import BillingRequest
from workflows.messages import RequestSnapshot


def project_snapshot(session: orm.Session, snapshot: RequestSnapshot) -> bool:
    """Write a workflow snapshot; an older snapshot arriving late changes nothing (False)."""
    values: dict[str, Any] = {
        "status": snapshot.status,
        "assignee_id": snapshot.assignee_id,
        "escalated": snapshot.escalated,
        "timeline": [dataclasses.asdict(event) for event in snapshot.timeline],
        "version": snapshot.version,
        "updated_at": clock.now(),
    }
    if snapshot.result is not None:
        values["result"] = snapshot.result
    written = session.execute(
        sa.update(BillingRequest)
        .where(BillingRequest.id == snapshot.request_id, BillingRequest.version < snapshot.version)
        .values(**values)
    )
    return bool(getattr(written, "rowcount", 0))
