"""Fixtures: a migrated database (SQLite, or PostgreSQL from PORTAL_TEST_DATABASE_URL), a real
Temporal dev server, a real worker, and the Flask app wired to both."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import os
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from argon2 import PasswordHasher
from flask import Flask
from flask.testing import FlaskClient
from temporalio.client import Client
from temporalio.service import RPCError
from temporalio.worker import Worker
from werkzeug.serving import make_server

import portal.accounts.security
from activities.worker import build_worker
from portal import clock
from portal.app import create_app
from portal.config import Settings, SmtpSettings, TemporalSettings, TimerSettings
from portal.db import Base, Database
from portal.demo import seed_demo
from portal.devserver import start_temporal
from portal.gateway import TemporalBridge, connect
from portal.migrate import upgrade

# Demo users are created for every test: a cheap hash keeps that fast (production is untouched).
portal.accounts.security._hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)

# The business date the suite runs at, whatever today is: `pytest --today=YYYY-MM-DD` moves it
# (`make test` runs the date-sensitive tests at several dates across a year).
DEFAULT_TODAY = "2027-03-10"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--today", default=DEFAULT_TODAY, help="the business date to run at (YYYY-MM-DD)"
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "dates: prints or compares dates; run again at other dates by `make test`"
    )
    today = date.fromisoformat(config.getoption("--today"))
    shift = timedelta(days=(today - datetime.now(UTC).date()).days)
    clock.set_shift(shift)
    # The processes the tests start (`portal worker`, `portal web`) keep the same clock.
    os.environ["PORTAL_CLOCK_SHIFT_DAYS"] = str(shift.days)


def clock_shift() -> timedelta:
    return timedelta(seconds=clock.shift_seconds())


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    url = os.environ.get("PORTAL_TEST_DATABASE_URL")
    if not url:
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'portal.db'}"
        return
    schema = f"test_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(url)
    with admin.begin() as connection:
        connection.execute(sa.text(f"CREATE SCHEMA {schema}"))
    separator = "&" if "?" in url else "?"
    yield f"{url}{separator}options=-csearch_path%3D{schema}"
    with admin.begin() as connection:
        connection.execute(sa.text(f"DROP SCHEMA {schema} CASCADE"))
    admin.dispose()


@pytest.fixture(scope="session")
def database(database_url: str) -> Iterator[Database]:
    upgrade(database_url)
    db = Database(database_url)
    yield db
    db.dispose()


@pytest.fixture(autouse=True)
def clean_database(request: pytest.FixtureRequest) -> Iterator[None]:
    if "database" not in request.fixturenames:
        yield
        return
    db: Database = request.getfixturevalue("database")
    # Workflows of earlier tests may still be writing (timers, retries): one statement that
    # locks every table leaves them no gap between two deletes; a deadlock with one of them
    # is simply tried again.
    for attempt in range(5):
        try:
            _empty_tables(db)
            break
        except sa.exc.OperationalError:
            if attempt == 4:
                raise
            time.sleep(0.2)
    yield


def _empty_tables(db: Database) -> None:
    with db.session() as session:
        if session.bind is not None and session.bind.dialect.name == "postgresql":
            names = ", ".join(table.name for table in Base.metadata.sorted_tables)
            session.execute(sa.text(f"TRUNCATE TABLE {names} CASCADE"))
            return
        session.execute(
            sa.update(sa.table("accounts", sa.column("billing_contact_id"))).values(
                billing_contact_id=None
            )
        )
        for table in reversed(Base.metadata.sorted_tables):
            session.execute(table.delete())


@pytest.fixture
def demo(database: Database) -> None:
    with database.session() as session:
        seed_demo(session)


@pytest.fixture(scope="session")
def temporal_address(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    port = free_port()
    log = tmp_path_factory.mktemp("temporal") / "server.log"
    process = start_temporal(port, None, None, log)
    yield f"127.0.0.1:{port}"
    process.terminate()
    process.wait(timeout=10)


class WorkerThread:
    """A real worker on its own event loop, as `portal worker` runs it."""

    def __init__(
        self, settings: TemporalSettings, database: Database, portal_settings: Settings
    ) -> None:
        self.settings = settings
        self.portal_settings = portal_settings
        self.database = database
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.worker: Worker | None = None
        self.client: Client | None = None

    def start(self) -> None:
        self.thread.start()
        asyncio.run_coroutine_threadsafe(self._start(), self.loop).result(20)

    async def _start(self) -> None:
        self.client = await connect(self.settings)
        self.worker = build_worker(
            self.client, self.database, self.settings.task_queue, self.portal_settings
        )
        self._run = asyncio.ensure_future(self.worker.run())

    def end_earlier_workflows(self) -> None:
        """Workflows an earlier test left running (a subscription's lives as long as it does)
        would act on this test's rows (SQLite gives the same ids again), or hold their ids on
        the task queue of a worker that test stopped (tests/test_faults.py)."""
        asyncio.run_coroutine_threadsafe(self._end_running(), self.loop).result(30)

    async def _end_running(self) -> None:
        assert self.client is not None
        async for execution in self.client.list_workflows("ExecutionStatus='Running'"):
            handle = self.client.get_workflow_handle(execution.id, run_id=execution.run_id)
            with contextlib.suppress(RPCError):  # it ended meanwhile
                await handle.terminate("left by an earlier test")

    def stop(self) -> None:
        if self.worker is not None:
            asyncio.run_coroutine_threadsafe(self.worker.shutdown(), self.loop).result(30)
        self.loop.call_soon_threadsafe(self.loop.stop)


@pytest.fixture(scope="session")
def temporal_settings(temporal_address: str) -> TemporalSettings:
    return TemporalSettings(address=temporal_address, task_queue=f"test-{uuid.uuid4().hex[:8]}")


@pytest.fixture(scope="session")
def mailbox() -> Iterator[Any]:
    """A real SMTP server on 127.0.0.1 that keeps what the worker sends."""
    from aiosmtpd.controller import Controller

    from tests.mail.support import Recorder

    recorder = Recorder()
    controller = Controller(recorder, hostname="127.0.0.1", port=free_port())
    controller.start()
    recorder.smtp = SmtpSettings(host="127.0.0.1", port=controller.port, timeout_seconds=5)
    yield recorder
    controller.stop()


@pytest.fixture(scope="session")
def worker(
    temporal_settings: TemporalSettings,
    database: Database,
    database_url: str,
    tmp_path_factory: pytest.TempPathFactory,
    mailbox: Any,
) -> Iterator[WorkerThread]:
    settings = dataclasses.replace(
        make_settings(database_url, temporal_settings, tmp_path_factory.mktemp("worker")),
        smtp=mailbox.smtp,
    )
    thread = WorkerThread(temporal_settings, database, settings)
    thread.start()
    yield thread
    thread.stop()


@pytest.fixture(scope="session")
def bridge(temporal_settings: TemporalSettings) -> TemporalBridge:
    return TemporalBridge(temporal_settings)


METRICS_TOKEN = "test-metrics-token"


def make_settings(database_url: str, temporal: TemporalSettings, data_dir: Path) -> Settings:
    return Settings(
        data_dir=data_dir,
        database_url=database_url,
        secret_key="test-secret-key",
        temporal=temporal,
        timers=TimerSettings(
            review_sla=3600, escalation_sla=4 * 3600, info_timeout=14 * 86400, webhook_retry=1
        ),
        base_url="http://127.0.0.1:5000",
        development=True,
        clock_shift=clock_shift(),
        metrics_token=METRICS_TOKEN,
    )


@pytest.fixture
def app(
    database: Database,
    database_url: str,
    temporal_settings: TemporalSettings,
    bridge: TemporalBridge,
    tmp_path: Path,
) -> Flask:
    settings = make_settings(database_url, temporal_settings, tmp_path)
    return create_app(settings, database=database, bridge=bridge, TESTING=True)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def running(worker: WorkerThread, request: pytest.FixtureRequest) -> WorkerThread:
    """Demo data plus a live worker: what an end-to-end test needs."""
    worker.end_earlier_workflows()
    request.getfixturevalue("demo")  # after: no earlier workflow sees the new rows
    return worker


@pytest.fixture
def server(app: Flask) -> Iterator[str]:
    """The portal served over HTTP on 127.0.0.1, many requests at once (threads)."""
    live = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=live.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{live.server_port}"
    live.shutdown()
    thread.join(timeout=10)
    live.server_close()
