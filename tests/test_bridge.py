"""One Temporal client per process: usable from many threads, and made anew after a fork."""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor

from portal.config import TemporalSettings
from portal.gateway import TemporalBridge


def test_one_client_serves_many_threads(temporal_settings: TemporalSettings) -> None:
    bridge = TemporalBridge(temporal_settings)
    with ThreadPoolExecutor(8) as pool:
        assert all(pool.map(lambda _: bridge.check(), range(16)))
    clients = {id(bridge.run(_client)) for _ in range(3)}
    assert len(clients) == 1


async def _client(client: object) -> object:
    return client


def test_a_forked_child_gets_its_own_client(temporal_settings: TemporalSettings) -> None:
    bridge = TemporalBridge(temporal_settings)
    assert bridge.check()
    child = os.fork()
    if child == 0:  # the child: a gunicorn worker after the master imported the app
        try:
            # A new runtime and connection in the child: give a loaded machine time.
            bridge.run(lambda client: client.service_client.check_health(), timeout=30)
        except BaseException:
            os._exit(1)
        os._exit(0)
    _, status = os.waitpid(child, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert bridge.check(), "the parent's client still works"
