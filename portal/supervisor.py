"""`portal dev`'s children, watched: one that stops on its own is started again after a pause
that doubles each time, until it has stopped too often within a minute; then everything stops,
since a child that cannot stay up needs a person, not more restarts.

Each child has a session of its own (Ctrl-C reaches only `portal dev`, which stops them in
order), so whatever a dead child leaves behind (gunicorn's workers, still holding the web port
once their master is gone) is found and ended through its process group."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from types import FrameType
from typing import NoReturn

Start = Callable[[], "subprocess.Popen[bytes]"]
POLL = 0.2  # seconds between two looks at the children: a crash is noticed that fast


class GaveUp(Exception):
    """A child stopped too often: `portal dev` stops everything and says which one."""


@dataclass(frozen=True)
class Policy:
    limit: int = 5  # stops within `window` seconds that end everything
    window: float = 60.0
    first_pause: float = 0.5
    longest_pause: float = 8.0

    def pause(self, stops: int) -> float:
        return float(min(self.first_pause * 2 ** (stops - 1), self.longest_pause))


@dataclass
class Child:
    name: str
    start: Start
    process: subprocess.Popen[bytes] | None = None
    stops: deque[float] = field(default_factory=deque)
    restart_at: float | None = None


def describe(returncode: int) -> str:
    if returncode < 0:
        try:
            return f"killed by {signal.Signals(-returncode).name}"
        except ValueError:
            return f"killed by signal {-returncode}"
    return f"exit {returncode}"


class Supervisor:
    def __init__(self, say: Callable[[str], None], policy: Policy | None = None) -> None:
        self.say = say
        self.policy = policy or Policy()
        self.children: list[Child] = []

    def start(self, name: str, start: Start) -> Child:
        """Start a child now; a failure to start is the caller's (nothing runs yet to restart)."""
        child = Child(name, start)
        child.process = start()
        self.children.append(child)
        return child

    def check(self) -> None:
        """Notice the children that stopped; start again those whose pause is over."""
        now = time.monotonic()
        for child in self.children:
            if child.restart_at is not None:
                if now >= child.restart_at:
                    self._restart(child)
                continue
            process = child.process
            if process is not None and process.poll() is not None:
                _end_group(process.pid)
                self._stopped(child, describe(process.returncode), now)

    def wait_until(self, ready: Callable[[], bool], timeout: float, what: str) -> None:
        """Wait for `ready`, restarting whatever crashes meanwhile."""
        deadline = time.monotonic() + timeout
        while not ready():
            self.check()
            if time.monotonic() > deadline:
                raise TimeoutError(f"{what} did not answer within {timeout:.0f} s")
            time.sleep(POLL)

    def watch(self) -> NoReturn:
        """Until a signal (KeyboardInterrupt) or GaveUp."""
        while True:
            self.check()
            time.sleep(POLL)

    def stop(self, grace: float = 10.0) -> None:
        """The last started first (the web app, the worker, then the Temporal server the worker
        reports its last tasks to): SIGTERM, SIGKILL after `grace` seconds or at a second Ctrl-C.
        No process of theirs is left."""
        hurry = False

        def _hurry(_signum: int, _frame: FrameType | None) -> None:
            nonlocal hurry
            hurry = True

        previous = {sig: signal.signal(sig, _hurry) for sig in (signal.SIGINT, signal.SIGTERM)}
        try:
            for child in reversed(self.children):
                process, child.restart_at = child.process, None
                if process is None:
                    continue
                if process.poll() is None:
                    process.send_signal(signal.SIGTERM)
                deadline = time.monotonic() + grace
                while process.poll() is None and not hurry and time.monotonic() < deadline:
                    time.sleep(0.05)
                if process.poll() is None:
                    process.kill()
                    process.wait()
                _end_group(process.pid)
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)

    def _stopped(self, child: Child, how: str, now: float) -> None:
        stops = child.stops
        stops.append(now)
        while stops[0] <= now - self.policy.window:
            stops.popleft()
        if len(stops) >= self.policy.limit:
            raise GaveUp(
                f"{child.name} stopped {len(stops)} times within {self.policy.window:.0f} s "
                f"(last: {how})"
            )
        pause = self.policy.pause(len(stops))
        child.restart_at = now + pause
        self.say(f"{child.name} stopped ({how}); restarting it in {pause:g} s")

    def _restart(self, child: Child) -> None:
        child.restart_at = None
        try:
            child.process = child.start()
        except Exception as error:  # e.g. Temporal not answering in time: counts as a stop
            child.process = None
            self._stopped(child, f"could not start: {error}", time.monotonic())
            return
        self.say(f"{child.name} restarted (pid {child.process.pid})")


def _end_group(pgid: int) -> None:
    """SIGKILL what is left of a child's session (its leader started it, so its id is the
    group's); the kernel keeps that id from a new process while any member lives."""
    with contextlib.suppress(ProcessLookupError, PermissionError):  # nothing left
        os.killpg(pgid, signal.SIGKILL)
