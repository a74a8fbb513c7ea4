"""The id of the web request that caused a workflow step, carried into workflow and activity
logs through Temporal headers (pure: the workflow sandbox imports it)."""

from __future__ import annotations

from contextvars import ContextVar

HEADER = "portal-request-id"
request_id: ContextVar[str] = ContextVar("portal_request_id", default="")
