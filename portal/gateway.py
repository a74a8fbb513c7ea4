"""The portal's only Temporal-client code: one client per process, owned by one event loop on
its own thread, and the calls the portal makes with it (start a request's workflow, send it a
human step, end it; start a subscription's timer).

Views are synchronous; they hand coroutines to that loop. The loop and client are created
lazily and again after a fork, because a client cannot cross a fork.
"""

from __future__ import annotations

import asyncio
import logging
import os
import threading
import uuid
from collections.abc import Awaitable, Callable
from concurrent.futures import TimeoutError as FutureTimeout
from datetime import timedelta
from pathlib import Path
from typing import Any, TypeVar

from temporalio.client import (
    Client,
    WorkflowHandle,
    WorkflowUpdateFailedError,
    WorkflowUpdateRPCTimeoutOrCancelledError,
)
from temporalio.common import (
    SearchAttributePair,
    TypedSearchAttributes,
    WorkflowIDConflictPolicy,
    WorkflowIDReusePolicy,
)
from temporalio.exceptions import ApplicationError
from temporalio.runtime import Runtime, TelemetryConfig
from temporalio.service import RPCError, RPCStatusCode, TLSConfig

from portal.config import TemporalSettings
from portal.errors import (
    Conflict,
    Forbidden,
    ServiceUnavailable,
    ValidationFailed,
    refused,
)
from portal.i18n import _l
from portal.observability.propagation import CorrelationInterceptor
from workflows import search
from workflows.lifecycle import FORBIDDEN, closed_code
from workflows.messages import RequestSnapshot, StartRequestInput, workflow_id_for
from workflows.request_workflow import RequestWorkflow
from workflows.subscription_workflow import (
    AdvanceClockInput,
    SubscriptionInput,
    SubscriptionState,
    SubscriptionWorkflow,
    subscription_workflow_id,
)

log = logging.getLogger(__name__)

T = TypeVar("T")

UNREACHABLE_CODES = {
    RPCStatusCode.UNAVAILABLE,
    RPCStatusCode.DEADLINE_EXCEEDED,
    RPCStatusCode.CANCELLED,
}


class TemporalUnavailable(Exception):
    """The Temporal service (or a worker) did not answer in time; nothing was changed by us."""


async def connect(settings: TemporalSettings, runtime: Runtime | None = None) -> Client:
    tls: bool | TLSConfig = False
    if settings.tls or settings.tls_client_cert_path:
        tls = TLSConfig(
            server_root_ca_cert=_read(settings.tls_server_root_ca_path),
            client_cert=_read(settings.tls_client_cert_path),
            client_private_key=_read(settings.tls_client_key_path),
        )
    return await Client.connect(
        settings.address,
        namespace=settings.namespace,
        tls=tls or bool(settings.api_key),
        api_key=settings.api_key or None,
        runtime=runtime,
        # Also a worker interceptor: a worker built on this client carries the id on.
        interceptors=[CorrelationInterceptor()],
    )


def _read(path: str) -> bytes | None:
    return Path(path).read_bytes() if path else None


class TemporalBridge:
    def __init__(self, settings: TemporalSettings) -> None:
        self.settings = settings
        self._lock = threading.Lock()
        self._pid: int | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._client: Client | None = None
        self._runtime: Runtime | None = None

    def _event_loop(self) -> asyncio.AbstractEventLoop:
        with self._lock:
            if self._loop is None or self._pid != os.getpid():
                loop = asyncio.new_event_loop()
                threading.Thread(
                    target=loop.run_forever, name="temporal-bridge", daemon=True
                ).start()
                self._loop, self._pid, self._client = loop, os.getpid(), None
                # A runtime made before a fork is unusable after it: each process gets its own.
                self._runtime = Runtime(telemetry=TelemetryConfig())
            return self._loop

    async def _get_client(self) -> Client:
        if self._client is None:
            try:
                self._client = await asyncio.wait_for(
                    connect(self.settings, self._runtime), timeout=self.settings.rpc_timeout_seconds
                )
            except (RuntimeError, OSError, TimeoutError) as error:
                raise TemporalUnavailable(str(error)) from error
        return self._client

    async def _with_client(self, call: Callable[[Client], Awaitable[T]]) -> T:
        return await call(await self._get_client())

    def run(self, call: Callable[[Client], Awaitable[T]], timeout: float | None = None) -> T:
        """Run `call(client)` on the bridge loop; unreachable → TemporalUnavailable."""
        wait = timeout if timeout is not None else self.settings.rpc_timeout_seconds * 3
        future = asyncio.run_coroutine_threadsafe(self._with_client(call), self._event_loop())
        try:
            return future.result(wait)
        except FutureTimeout as error:
            future.cancel()
            raise TemporalUnavailable("Temporal did not answer in time") from error
        except RPCError as error:
            if error.status in UNREACHABLE_CODES:
                raise TemporalUnavailable(error.message) from error
            raise

    def check(self) -> bool:
        try:
            self.run(lambda client: client.service_client.check_health(), timeout=3)
        except Exception:
            return False
        return True


# -- the calls the portal makes ---------------------------------------------------------------

UNAVAILABLE_MESSAGE = _l(
    "The request service is not answering right now. "
    "Nothing was saved; please try again in a moment."
)
UNCONFIRMED_MESSAGE = _l(
    "The request service did not confirm in time. Your action may still go through: "
    "reload the page in a moment before trying again."
)
START_TIMEOUT = timedelta(seconds=5)
# How long the outcome of an unanswered Update is looked for before saying it may still happen.
LOOK_UP_TIMEOUT = timedelta(seconds=2)


async def start_request_workflow(client: Client, task_queue: str, start: StartRequestInput) -> None:
    await client.start_workflow(
        RequestWorkflow.run,
        start,
        id=workflow_id_for(start.request_id),
        task_queue=task_queue,
        # The id was just allocated by our own uncommitted insert, so a workflow already under
        # it can only be the orphan of a rolled-back submission (SQLite reuses such ids).
        id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE,
        id_conflict_policy=WorkflowIDConflictPolicy.TERMINATE_EXISTING,
        search_attributes=TypedSearchAttributes(
            [
                SearchAttributePair(search.REQUEST_TYPE, start.request_type),
                SearchAttributePair(search.REQUEST_STATUS, "submitted"),
                SearchAttributePair(search.ACCOUNT_ID, start.account_id),
            ]
        ),
        rpc_timeout=START_TIMEOUT,
    )


def start_request(bridge: TemporalBridge, start: StartRequestInput) -> None:
    """ServiceUnavailable when Temporal does not take it: then nothing was started."""
    try:
        bridge.run(lambda client: start_request_workflow(client, bridge.settings.task_queue, start))
    except (TemporalUnavailable, RPCError) as error:
        log.warning("request not submitted, Temporal unavailable: %s", error)
        raise ServiceUnavailable(str(UNAVAILABLE_MESSAGE)) from error


def terminate_request(bridge: TemporalBridge, request_id: int, reason: str) -> None:
    """End a request's workflow; logged, never raised (used while undoing a failed write)."""

    async def terminate(client: Client) -> None:
        await client.get_workflow_handle(workflow_id_for(request_id)).terminate(reason)

    try:
        bridge.run(terminate)
    except Exception:
        log.exception("could not terminate the workflow of request %s", request_id)


def update_request(
    bridge: TemporalBridge, request_id: int, method: Any, arg: Any, update_id: str | None
) -> RequestSnapshot:
    """Send one human step (a workflow Update); its refusal becomes the portal's error. When
    its answer does not come, the Update is looked up by its id: what happened is said, and
    "nothing was saved" only when Temporal never received it."""
    update_id = update_id or uuid.uuid4().hex

    async def call(client: Client) -> RequestSnapshot:
        handle = client.get_workflow_handle(workflow_id_for(request_id))
        result: RequestSnapshot = await handle.execute_update(
            method,
            arg,
            id=update_id,
            rpc_timeout=timedelta(seconds=bridge.settings.rpc_timeout_seconds * 2),
        )
        return result

    try:
        return bridge.run(call, timeout=bridge.settings.rpc_timeout_seconds * 3)
    except WorkflowUpdateFailedError as error:
        raise _refusal(error) from error
    except RPCError as error:
        if error.status == RPCStatusCode.NOT_FOUND:
            # The workflow has ended; how it ended tells the reader why nothing was done.
            ended = closed_code(_final_status(bridge, request_id))
            raise refused(Conflict, ended) from error
        raise
    except (TemporalUnavailable, WorkflowUpdateRPCTimeoutOrCancelledError) as error:
        return _outcome_of(bridge, request_id, update_id, error)


def _final_status(bridge: TemporalBridge, request_id: int) -> str:
    """The status a finished workflow ended in ("" when it cannot be read)."""

    async def look_up(client: Client) -> str:
        handle = client.get_workflow_handle(workflow_id_for(request_id))
        snapshot = await handle.query(RequestWorkflow.snapshot, rpc_timeout=LOOK_UP_TIMEOUT)
        return snapshot.status

    try:
        return bridge.run(look_up, timeout=LOOK_UP_TIMEOUT.total_seconds() * 2)
    except Exception:
        log.info("the final status of request %s could not be read", request_id)
        return ""


def _refusal(error: WorkflowUpdateFailedError) -> Exception:
    cause = error.cause
    if isinstance(cause, ApplicationError):
        if cause.type == FORBIDDEN:
            return refused(Forbidden, cause.message)
        if cause.type == "Invalid":
            return ValidationFailed(cause.message)
        return refused(Conflict, cause.message)
    return error


def _outcome_of(
    bridge: TemporalBridge, request_id: int, update_id: str, error: Exception
) -> RequestSnapshot:
    """The answer of an Update sent without an answer: its result if it completed meanwhile;
    ServiceUnavailable saying nothing was saved if Temporal does not know it, that it may still
    happen otherwise."""

    async def look_up(client: Client) -> RequestSnapshot:
        handle = client.get_workflow_handle(workflow_id_for(request_id))
        update = handle.get_update_handle(update_id, result_type=RequestSnapshot)
        result: RequestSnapshot = await update.result(rpc_timeout=LOOK_UP_TIMEOUT)
        return result

    try:
        return bridge.run(look_up, timeout=LOOK_UP_TIMEOUT.total_seconds() * 2)
    except WorkflowUpdateFailedError as failed:
        raise _refusal(failed) from failed
    except RPCError as unknown:
        if unknown.status == RPCStatusCode.NOT_FOUND:
            raise ServiceUnavailable(str(UNAVAILABLE_MESSAGE)) from error
    except Exception:
        log.info("the outcome of update %s of request %s is unknown", update_id, request_id)
    raise ServiceUnavailable(str(UNCONFIRMED_MESSAGE)) from error


async def keep_subscription(client: Client, task_queue: str, start: SubscriptionInput) -> None:
    """The subscription's workflow runs and reads it again: started if it is not running
    (again after it ended: a reactivation), signalled if it is."""
    await client.start_workflow(
        SubscriptionWorkflow.run,
        start,
        id=subscription_workflow_id(start.subscription_id),
        task_queue=task_queue,
        id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
        id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE,
        start_signal="refresh",
        rpc_timeout=START_TIMEOUT,
    )


def follow_subscription(bridge: TemporalBridge, start: SubscriptionInput) -> None:
    """Raise (TemporalUnavailable, RPCError) when Temporal does not take it."""
    bridge.run(lambda client: keep_subscription(client, bridge.settings.task_queue, start))


def tell_subscription(bridge: TemporalBridge, start: SubscriptionInput) -> None:
    """After a committed change: best effort, logged; the worker's sweep at start catches up."""
    try:
        follow_subscription(bridge, start)
    except Exception:
        log.exception("subscription %s not told of its change", start.subscription_id)


# A clock's move is sent again (with the same update id) when it has not answered in this long:
# an Update admitted while its workflow continues as new may be dropped (temporalio/temporal
# #7164); sent again it reaches the new run, and while the first is still at work the server
# attaches the second to it.
CLOCK_ATTEMPT = timedelta(seconds=10)
CLOCK_ATTEMPTS = 12


def advance_subscription_clock(
    bridge: TemporalBridge, subscription_id: int, shift_seconds: int
) -> SubscriptionState | None:
    """The account's clock moved: returns once the subscription caught up (None: it has no
    running workflow)."""

    async def call(client: Client) -> SubscriptionState | None:
        handle = client.get_workflow_handle(subscription_workflow_id(subscription_id))
        for _attempt in range(CLOCK_ATTEMPTS - 1):
            try:
                return await asyncio.wait_for(
                    _advance(handle, shift_seconds), CLOCK_ATTEMPT.total_seconds()
                )
            except (TimeoutError, WorkflowUpdateRPCTimeoutOrCancelledError):
                log.info("subscription %s: the clock's move sent again", subscription_id)
        return await _advance(handle, shift_seconds)

    try:
        return bridge.run(call, timeout=CLOCK_ATTEMPT.total_seconds() * (CLOCK_ATTEMPTS + 1))
    except RPCError as error:
        if error.status == RPCStatusCode.NOT_FOUND:
            return None
        raise


async def _advance(
    handle: WorkflowHandle[Any, Any], shift_seconds: int
) -> SubscriptionState | None:
    state: SubscriptionState | None = await handle.execute_update(
        SubscriptionWorkflow.advance_clock,
        AdvanceClockInput(shift_seconds),
        id=f"clock-{shift_seconds}",
        rpc_timeout=CLOCK_ATTEMPT,
    )
    return state


def advance_request_clock(bridge: TemporalBridge, request_id: int, shift_seconds: int) -> None:
    """A request of the account whose clock moved catches up (a scheduled change, a quote's
    expiry); one that ended, or runs code from before the sandbox clock, is left as it is."""

    async def call(client: Client) -> None:
        handle = client.get_workflow_handle(workflow_id_for(request_id))
        await handle.execute_update(
            RequestWorkflow.advance_clock,
            AdvanceClockInput(shift_seconds),
            rpc_timeout=timedelta(seconds=60),
        )

    try:
        bridge.run(call, timeout=120)
    except WorkflowUpdateFailedError:
        log.info("request %s did not take the clock's move", request_id)
    except RPCError as error:
        if error.status != RPCStatusCode.NOT_FOUND:
            raise
