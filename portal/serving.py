"""Production processes: the web app under gunicorn, the Temporal worker with its metrics."""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
from pathlib import Path
from typing import Any

from gunicorn import glogging
from gunicorn.app.base import BaseApplication

from portal.config import Settings
from portal.db import Database
from portal.observability.logs import JsonFormatter


class JsonGunicornLogger(glogging.Logger):
    """gunicorn's own messages in the same JSON lines as the app's."""

    def setup(self, cfg: Any) -> None:
        super().setup(cfg)
        for log in (self.error_log, self.access_log):
            for handler in log.handlers:
                handler.setFormatter(JsonFormatter())


class WebApplication(BaseApplication):
    """gunicorn with our options; each worker process builds its own app after the fork, so its
    Temporal client and database pool are its own."""

    def __init__(self, settings: Settings, options: dict[str, Any]) -> None:
        self.settings = settings
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Any:
        from portal.app import create_app
        from portal.web import favicon

        app = create_app(self.settings)
        favicon.init_app(app)
        return app


def serve_web(settings: Settings, bind: str, workers: int, threads: int) -> None:
    # Several processes share one metrics registry through files; stale files would lie.
    metrics_dir = settings.data_dir / "prometheus"
    shutil.rmtree(metrics_dir, ignore_errors=True)
    metrics_dir.mkdir(parents=True, exist_ok=True)
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(metrics_dir)
    options = {
        "bind": bind,
        "workers": workers,
        "threads": threads,
        "worker_class": "gthread",
        "graceful_timeout": 20,
        "timeout": 60,
        "accesslog": None,
        "logger_class": JsonGunicornLogger,
        "child_exit": _mark_process_dead,
        **control_socket(settings.data_dir),
    }
    WebApplication(settings, options).run()


# What a Unix socket's path may hold (sun_path, less its final NUL), on Linux and the BSDs alike.
UNIX_PATH_MAX = 103


def control_socket(data_dir: Path) -> dict[str, Any]:
    """gunicorn's control socket in this instance's data dir: its default is one per user
    ($XDG_RUNTIME_DIR or ~/.gunicorn), which a second instance would take over and remove on
    stopping. Where the path is too long for a socket, none: gunicorn would only warn."""
    path = data_dir / "gunicorn.ctl"
    if len(os.fsencode(path)) > UNIX_PATH_MAX:
        return {"control_socket_disable": True}
    return {"control_socket": str(path)}


def _mark_process_dead(_server: Any, worker: Any) -> None:
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)  # type: ignore[no-untyped-call]


async def run_worker(
    settings: Settings, concurrency: int, workflow_tasks: int, autoscale: bool, metrics_port: int
) -> None:
    """Poll until SIGINT/SIGTERM, then finish in-flight tasks (graceful shutdown)."""
    from temporalio.runtime import PrometheusConfig, Runtime, TelemetryConfig

    from activities.worker import build_worker
    from portal.gateway import connect

    runtime = None
    if metrics_port:
        from prometheus_client import start_http_server

        # The SDK's own metrics on one port, the portal's (requests by type) on the next.
        telemetry = TelemetryConfig(
            metrics=PrometheusConfig(bind_address=f"127.0.0.1:{metrics_port}")
        )
        runtime = Runtime(telemetry=telemetry)
        start_http_server(metrics_port + 1, addr="127.0.0.1")
    client = await connect(settings.temporal, runtime)
    database = Database(settings.database_url)
    task_queue = settings.temporal.task_queue
    worker = build_worker(
        client, database, task_queue, settings, concurrency, workflow_tasks, autoscale
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    async with worker:
        # Said once SIGTERM is handled: a supervisor may stop us from then on.
        print(f"worker polling task queue {task_queue!r}", flush=True)
        await stop.wait()
