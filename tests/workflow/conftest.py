"""The time-skipping dev server every test of tests/workflow shares (harness.py)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest

from tests.support import time_skipping_server
from tests.workflow.harness import Harness


@pytest.fixture(scope="package")
def harness() -> Iterator[Harness]:
    """One time-skipping dev server for the package, on one event loop that every test reuses."""
    with asyncio.Runner() as runner:
        env = runner.run(time_skipping_server())
        try:
            yield Harness(runner, env)
        finally:
            runner.run(env.shutdown())
