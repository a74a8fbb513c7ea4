"""One Temporal client per process, owned by one event loop on its own thread.

Views are synchronous; they hand coroutines to that loop. The loop and client are created
lazily and again after a fork, because a client cannot cross a fork.
"""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import Awaitable, Callable
from concurrent.futures import TimeoutError as FutureTimeout
from pathlib import Path
from typing import TypeVar

from temporalio.client import Client
from temporalio.runtime import Runtime, TelemetryConfig
from temporalio.service import RPCError, RPCStatusCode, TLSConfig

from portal.config import TemporalSettings
from portal.observability.propagation import CorrelationInterceptor

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
