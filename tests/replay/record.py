"""Records tests/replay/*.json again from real runs: `python -m tests.replay.record [NAME...]`.

A real Temporal dev server (and, for the paths with timers, the time-skipping dev server), a
real worker (`activities.worker.build_worker`) and a migrated SQLite database with the demo
data, in a temporary directory. Requests are driven through the JSON API with Flask's test
client, the contract that stays while the portal's internals move; the Temporal client only
fast-forwards timers, waits and fetches the histories. Each history is saved once its workflow
has reached the state its path is about: closed, or waiting where a running request would wait
for days or months. Every file is written at the end, only when every path was recorded.

Business time is the real date (`portal.clock` with no shift), so it can be run on any day;
`NAME...` (scenario names, see `SCENARIOS`) records only those, leaving the other files alone.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import sys
import tempfile
import time
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from activities.worker import build_worker
from portal.config import Settings, TemporalSettings, TimerSettings
from portal.db import Database
from portal.demo import seed_demo
from portal.devserver import temporal_binary
from portal.migrate import upgrade
from tests.replay.recording import Api, RecordingError, Run
from tests.replay.scenarios.catalogue import SCENARIOS, Scenario
from tests.support import time_skipping_server
from workflows.search import ALL_KEYS

HERE = Path(__file__).resolve().parent
TASK_QUEUE = "record-histories"


def public(name: str, *modules: str) -> Any:
    """`name` from the first of `modules` that has it (the portal's modules are being moved)."""
    for module_name in modules:
        try:
            module = importlib.import_module(module_name)
        except ImportError:
            continue
        found = getattr(module, name, None)
        if found is not None:
            return found
    raise ImportError(f"{name} is in none of {', '.join(modules)}")


def create_app(settings: Settings, database: Database, bridge: Any) -> Any:
    factory = public("create_app", "portal.app", "portal")
    return factory(settings, database=database, bridge=bridge)


def temporal_bridge(settings: TemporalSettings) -> Any:
    return public("TemporalBridge", "portal.gateway", "portal.temporal_bridge")(settings)


async def portal_client(settings: TemporalSettings) -> Client:
    """A client made as `portal worker` makes its own (with the portal's interceptor)."""
    connect = public("connect", "portal.gateway", "portal.temporal_bridge")
    client: Client = await connect(settings)
    return client


# -- running ---------------------------------------------------------------------------------


def settings_for(database_url: str, address: str, data_dir: Path, attempts: int) -> Settings:
    return Settings(
        data_dir=data_dir,
        database_url=database_url,
        secret_key="record-histories",
        temporal=TemporalSettings(address=address, task_queue=TASK_QUEUE),
        timers=TimerSettings(apply_attempts=attempts),
        base_url="http://127.0.0.1:5000",
        development=True,
        clock_shift=timedelta(0),
    )


async def start_server(time_skipping: bool) -> WorkflowEnvironment:
    if time_skipping:
        # Virtual time moves only when a path fast-forwards it, never on its own.
        return await time_skipping_server()
    return await WorkflowEnvironment.start_local(
        dev_server_existing_path=temporal_binary(),
        search_attributes=ALL_KEYS,
        dev_server_extra_args=["--headless"],
    )


async def run_on_one_server(
    scenarios: Sequence[Scenario],
    time_skipping: bool,
    database: Database,
    database_url: str,
    data_dir: Path,
    tokens: dict[str, str],
    histories: dict[str, str],
) -> None:
    env = await start_server(time_skipping)
    try:
        address = env.client.service_client.config.target_host
        settings = settings_for(database_url, address, data_dir, TimerSettings.apply_attempts)
        impatient = settings_for(database_url, address, data_dir, 2)
        bridge = temporal_bridge(settings.temporal)
        run = Run(
            env=env,
            api=Api(create_app(settings, database, bridge), tokens),
            impatient_api=Api(create_app(impatient, database, bridge), tokens),
            database=database,
            histories=histories,
        )
        worker_client = await portal_client(settings.temporal)
        async with build_worker(worker_client, database, TASK_QUEUE, settings):
            for scenario in scenarios:
                started = time.monotonic()
                await scenario.run(run)
                missing = set(scenario.files) - set(histories)
                if missing:
                    raise RecordingError(f"{scenario.name} did not save {sorted(missing)}")
                print(f"  {scenario.name}: {time.monotonic() - started:.1f} s", flush=True)
    finally:
        await env.shutdown()


async def record(scenarios: Sequence[Scenario]) -> dict[str, str]:
    histories: dict[str, str] = {}
    tokens: dict[str, str] = {}
    with tempfile.TemporaryDirectory(prefix="record-histories-") as tmp:
        data_dir = Path(tmp)
        database_url = f"sqlite:///{data_dir / 'portal.db'}"
        upgrade(database_url)
        database = Database(database_url)
        try:
            with database.session() as session:
                seed_demo(session)
            for time_skipping in (False, True):
                chosen = [s for s in scenarios if s.time_skipping == time_skipping]
                if chosen:
                    server = "time-skipping dev server" if time_skipping else "dev server"
                    print(f"{server}:", flush=True)
                    await run_on_one_server(
                        chosen, time_skipping, database, database_url, data_dir, tokens, histories
                    )
        finally:
            database.dispose()
    return histories


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument(
        "names",
        nargs="*",
        metavar="NAME",
        help="scenarios to record (default: all): " + ", ".join(s.name for s in SCENARIOS),
    )
    names = parser.parse_args(argv).names
    unknown = set(names) - {s.name for s in SCENARIOS}
    if unknown:
        parser.error(f"unknown scenario(s): {', '.join(sorted(unknown))}")
    scenarios = [s for s in SCENARIOS if not names or s.name in names]
    started = time.monotonic()
    histories = asyncio.run(record(scenarios))
    for scenario in scenarios:
        for name, covers in scenario.files.items():
            (HERE / f"{name}.json").write_text(histories[name] + "\n", encoding="utf-8")
            print(f"tests/replay/{name}.json: {covers}")
    print(
        f"{len(histories)} histories recorded in {time.monotonic() - started:.0f} s "
        f"({datetime.now(UTC):%Y-%m-%d})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
