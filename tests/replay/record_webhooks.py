"""Records the histories of `WebhookDeliveryWorkflow` (`python -m tests.replay.record_webhooks`):
one delivered after a refused attempt, one given up after three days of a receiver that stays
down. A real time-skipping dev server, a real worker, a temporary SQLite database, a receiver
on 127.0.0.1."""

from __future__ import annotations

import asyncio
import os
import tempfile
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from activities.worker import build_worker
from portal.config import Settings
from portal.db import Database
from portal.demo import seed_demo
from portal.migrate import upgrade
from portal.models import Account, WebhookDelivery, WebhookEndpoint
from tests.conftest import free_port
from tests.support import time_skipping_server
from workflows.webhook_workflow import WebhookDeliveryWorkflow, workflow_id_of_delivery

HERE = Path(__file__).resolve().parent
PATHS = {
    "recorded-delivered": "webhook_delivered_after_a_refusal",
    "recorded-given-up": "webhook_given_up_after_three_days",
}


class RefusingOnce(BaseHTTPRequestHandler):
    answered: list[int] = []

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers["Content-Length"]))
        status = 200 if self.answered else 500
        self.answered.append(status)
        self.send_response(status)
        self.end_headers()

    def log_message(self, *_args: Any) -> None:
        pass


def seeded(receiver_port: int) -> Database:
    directory = tempfile.mkdtemp()
    os.environ["PORTAL_DATA_DIR"] = directory
    url = f"sqlite:///{directory}/record.db"
    upgrade(url)
    database = Database(url)
    with database.session() as session:
        seed_demo(session)
    with database.session() as session:
        acme = session.scalar(sa.select(Account.id).where(Account.name == "Acme Corporation"))
        assert acme is not None
        for key, port in (
            ("recorded-delivered", receiver_port),
            ("recorded-given-up", free_port()),
        ):
            endpoint = WebhookEndpoint(
                account_id=acme,
                url=f"http://127.0.0.1:{port}/hooks",
                events=["request.updated"],
                secret="s" * 64,
            )
            session.add(endpoint)
            session.flush()
            payload = {"event": "request.updated", "data": {}}
            session.add(
                WebhookDelivery(
                    endpoint_id=endpoint.id,
                    delivery_key=key,
                    event="request.updated",
                    payload=payload,
                )
            )
    return database


async def record(database: Database) -> None:
    env = await time_skipping_server()
    try:
        async with build_worker(env.client, database, "record-webhooks", Settings.from_env()):
            for key, name in PATHS.items():
                handle = env.client.get_workflow_handle_for(
                    WebhookDeliveryWorkflow.run, workflow_id_of_delivery(key)
                )
                await started(handle)
                outcome = None
                for _ in range(100):
                    try:
                        outcome = await asyncio.wait_for(asyncio.shield(handle.result()), 0.3)
                        break
                    except TimeoutError:
                        forwarded = env.fast_forward(handle, timedelta(hours=1))
                        if asyncio.iscoroutine(forwarded):
                            await forwarded
                print(name, outcome)
                history = await handle.fetch_history()
                (HERE / f"{name}.json").write_text(history.to_json())
    finally:
        await env.shutdown()


async def started(handle: Any) -> None:
    """Once the worker's dispatcher has started it."""
    for _ in range(400):
        try:
            await handle.describe()
            return
        except Exception:
            await asyncio.sleep(0.05)


def main() -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), RefusingOnce)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        asyncio.run(record(seeded(server.server_port)))
    finally:
        server.shutdown()


if __name__ == "__main__":
    main()
