"""What recording a history takes: the JSON API through Flask's test client, a run on one server
with the steps as the API takes them, and waiting until a workflow settles or reaches a state
(record.py runs the scenarios with them; scenarios/ holds the paths)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from temporalio.client import WorkflowHandle
from temporalio.testing import WorkflowEnvironment

from portal.db import Database
from portal.demo import DEMO_PASSWORD, DEMO_TOTP_SECRETS, demo_code
from workflows.messages import RequestSnapshot, workflow_id_for
from workflows.request_workflow import RequestWorkflow

MINUTE = timedelta(minutes=1)
WAIT_SECONDS = 60.0

ALICE, CHLOE, PETER = "alice@acme.example", "chloe@globex.example", "peter@initech.example"
TESS, THEO, SAM = "tess@logmein.example", "theo@logmein.example", "sam@logmein.example"


class RecordingError(Exception):
    """A path did not go the way it should: nothing is written."""


# -- the JSON API ----------------------------------------------------------------------------


class Api:
    """The JSON API through Flask's test client; calls run in a thread, off the worker's loop."""

    def __init__(self, app: Any, tokens: dict[str, str]) -> None:
        self.client = app.test_client()
        self.tokens = tokens  # e-mail -> bearer token, shared by every app on the database

    def _headers(self, email: str) -> dict[str, str]:
        if email not in self.tokens:
            body = {"email": email, "password": DEMO_PASSWORD}
            if email in DEMO_TOTP_SECRETS:  # staff sign in in two steps
                body["code"] = demo_code(email)
            self.tokens[email] = self._call("POST", "", "/api/v1/tokens", body, 201)["token"]
        return {"Authorization": f"Bearer {self.tokens[email]}"}

    def _call(
        self, method: str, email: str, url: str, body: dict[str, Any] | None, expected: int
    ) -> Any:
        headers = self._headers(email) if email else {}
        reply = self.client.open(url, method=method, json=body, headers=headers)
        if reply.status_code != expected:
            raise RecordingError(
                f"{method} {url} as {email or 'anyone'}: {reply.status_code}, expected "
                f"{expected}: {reply.get_data(as_text=True)[:500]}"
            )
        return reply.json

    async def get(self, email: str, url: str) -> Any:
        return await asyncio.to_thread(self._call, "GET", email, url, None, 200)

    async def post(
        self, email: str, url: str, body: dict[str, Any] | None = None, expected: int = 200
    ) -> Any:
        return await asyncio.to_thread(self._call, "POST", email, url, body or {}, expected)


# -- one server, its worker, the apps --------------------------------------------------------


@dataclass
class Run:
    env: WorkflowEnvironment
    api: Api
    # The same portal with two apply attempts instead of five: a failure comes quickly.
    impatient_api: Api
    database: Database
    histories: dict[str, str] = field(default_factory=dict)

    def request(self, request_id: int) -> WorkflowHandle[Any, RequestSnapshot]:
        return self.env.client.get_workflow_handle_for(
            RequestWorkflow.run, workflow_id_for(request_id)
        )

    async def save(self, name: str, handle: WorkflowHandle[Any, Any]) -> None:
        await settled(handle)
        history = await handle.fetch_history()
        self.histories[name] = history.to_json()

    # -- the steps, as the API takes them

    async def submit(self, email: str, request_type: str, payload: dict[str, Any]) -> int:
        created = await self.api.post(
            email, "/api/v1/requests", {"type": request_type, "payload": payload}, 202
        )
        return int(created["id"])

    async def task(self, email: str, request_id: int, verb: str, **body: Any) -> Any:
        return await self.api.post(email, f"/api/v1/tasks/{request_id}/{verb}", body)

    async def customer(self, email: str, request_id: int, verb: str, **body: Any) -> Any:
        return await self.api.post(email, f"/api/v1/requests/{request_id}/{verb}", body)

    async def quote(self, email: str, request_id: int, verb: str, **body: Any) -> Any:
        return await self.api.post(email, f"/api/v1/quotes/{request_id}/{verb}", body)

    async def claimed_and_approved(self, email: str, request_id: int, **body: Any) -> Any:
        await self.task(email, request_id, "claim")
        return await self.task(email, request_id, "approve", **body)

    async def user_id(self, email: str) -> int:
        return int((await self.api.get(email, "/api/v1/me"))["id"])

    async def fast_forward_to(self, handle: WorkflowHandle[Any, Any], when: datetime) -> None:
        """Move the workflow's virtual clock to a minute past `when`."""
        now = await self.env.get_current_time(handle)
        await self.env.fast_forward(handle, max(when - now, timedelta(0)) + MINUTE)


async def settled(handle: WorkflowHandle[Any, Any]) -> None:
    """Until the workflow does nothing more by itself: no task or activity pending, and its
    history as long as a moment ago."""
    deadline = time.monotonic() + WAIT_SECONDS
    length = -1
    while time.monotonic() < deadline:
        description = await handle.describe()
        raw = description.raw_description
        busy = raw.HasField("pending_workflow_task") or len(raw.pending_activities) > 0
        if not busy and description.history_length == length:
            return
        length = description.history_length
        await asyncio.sleep(0.3)
    raise RecordingError(f"{handle.id} did not settle")


async def status_is(handle: WorkflowHandle[Any, RequestSnapshot], status: str) -> None:
    await _until(handle, lambda snapshot: snapshot.status == status, f"status {status}")


async def event_seen(handle: WorkflowHandle[Any, RequestSnapshot], event: str) -> None:
    await _until(
        handle, lambda snapshot: any(e.event == event for e in snapshot.timeline), f"{event}"
    )


async def _until(
    handle: WorkflowHandle[Any, RequestSnapshot],
    wanted: Callable[[RequestSnapshot], bool],
    what: str,
) -> None:
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        if wanted(await handle.query(RequestWorkflow.snapshot)):
            return
        await asyncio.sleep(0.1)
    raise RecordingError(f"{handle.id} never reached {what}")


async def closed(handle: WorkflowHandle[Any, RequestSnapshot], status: str) -> None:
    result = await asyncio.wait_for(handle.result(), WAIT_SECONDS)
    if result.status != status:
        raise RecordingError(f"{handle.id} ended {result.status}, expected {status}")


def end_of_day(iso_date: str) -> datetime:
    return datetime.fromisoformat(f"{iso_date[:10]}T23:59:59+00:00")


def start_of_day(iso_date: str) -> datetime:
    return datetime.fromisoformat(f"{iso_date[:10]}T00:00:00+00:00")
