"""Production processes for real: `portal web` under gunicorn with several workers (each with
its own Temporal client made after the fork), `portal worker`; both stop cleanly on SIGTERM."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import urllib.request
from pathlib import Path

from portal.config import TemporalSettings
from portal.db import Database
from portal.devserver import wait_for_port
from tests.conftest import free_port


def environment(database_url: str, temporal: TemporalSettings, data_dir: Path) -> dict[str, str]:
    return {
        **os.environ,
        "PORTAL_DATABASE_URL": database_url,
        "PORTAL_TEMPORAL_ADDRESS": temporal.address,
        "PORTAL_TEMPORAL_TASK_QUEUE": f"{temporal.task_queue}-serving",
        "PORTAL_DATA_DIR": str(data_dir),
        "PORTAL_SECRET_KEY": "serving-test",
        "PORTAL_METRICS_TOKEN": "serving-metrics",
    }


def get(url: str, headers: dict[str, str] | None = None) -> tuple[int, str]:
    call = urllib.request.Request(url, headers=headers or {})  # noqa: S310 - 127.0.0.1 only
    with urllib.request.urlopen(call, timeout=10) as response:  # noqa: S310 - 127.0.0.1 only
        return response.status, response.read().decode()


def test_gunicorn_workers_answer_and_stop_gracefully(
    database: Database, database_url: str, temporal_settings: TemporalSettings, tmp_path: Path
) -> None:
    port = free_port()
    web = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "portal.cli",
            "web",
            "--port",
            str(port),
            "--workers",
            "2",
            "--threads",
            "2",
        ],
        env=environment(database_url, temporal_settings, tmp_path),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        wait_for_port(port, timeout=30)
        statuses = [get(f"http://127.0.0.1:{port}/healthz") for _ in range(12)]
        assert {status for status, _ in statuses} == {200}
        assert all('"temporal":"ok"' in body for _, body in statuses)
        scraper = {"Authorization": "Bearer serving-metrics"}
        status, metrics = get(f"http://127.0.0.1:{port}/metrics", scraper)
        assert status == 200
        # Both processes' observations, summed by the multiprocess registry.
        counted = (
            'portal_http_request_duration_seconds_count{method="GET",route="/healthz",status="200"}'
        )
        assert f"{counted} 12.0" in metrics
    finally:
        web.send_signal(signal.SIGTERM)
        output, _ = web.communicate(timeout=30)
    assert web.returncode == 0, output
    assert '"message": "Shutting down: Master"' in output


def test_worker_process_stops_cleanly_on_sigterm(
    database: Database, database_url: str, temporal_settings: TemporalSettings, tmp_path: Path
) -> None:
    worker = subprocess.Popen(
        [sys.executable, "-m", "portal.cli", "worker", "--concurrency", "4"],
        env=environment(database_url, temporal_settings, tmp_path),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert worker.stdout is not None
        assert "worker polling task queue" in worker.stdout.readline()
    finally:
        worker.send_signal(signal.SIGTERM)
        output, _ = worker.communicate(timeout=90)
    assert worker.returncode == 0, output
