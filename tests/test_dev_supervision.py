"""`portal dev` keeps its children up and comes back at once: a killed worker is started again
(and one that keeps dying stops everything), a stop leaves nothing behind, and a start right
after a stop, on the same ports still in TIME_WAIT, works and names the logins as they are now."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlalchemy as sa

from portal.db import Database
from portal.models import Account, User
from portal.supervisor import GaveUp, Policy, Supervisor
from tests.support import wait_for
from tests.test_package import alive, descendants, distinct_free_ports, listening, wait_for_text


@dataclass
class Dev:
    process: subprocess.Popen[bytes]
    out: Path
    ports: tuple[int, ...]

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.ports[0]}"

    def text(self) -> str:
        return self.out.read_text()

    def wait_for(self, text: str, timeout: float = 60) -> None:
        wait_for_text(self.out, text, self.process, timeout)

    def child(self, role: str) -> int:
        """The pid of the `portal <role>` child."""
        return self._find(lambda command: command[1:4] == [b"-m", b"portal.cli", role.encode()])

    def child_named(self, program: str) -> int:
        return self._find(lambda command: Path(command[0].decode()).name == program)

    def _find(self, matches: Callable[[list[bytes]], bool]) -> int:
        for pid in descendants(self.process.pid):
            try:
                command = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
            except OSError:
                continue
            if matches(command):
                return pid
        raise AssertionError(f"no such child below {self.process.pid}")

    def stop(self) -> None:
        """Ctrl-C: exit 0, no process and no listening port left."""
        children = descendants(self.process.pid)
        self.process.send_signal(signal.SIGINT)
        assert self.process.wait(timeout=40) == 0, self.text()
        assert not [pid for pid in children if alive(pid)]
        assert not [port for port in self.ports if listening(port)]


@contextmanager
def portal_dev(data_dir: Path, ports: tuple[int, ...], log: Path) -> Iterator[Dev]:
    """`portal dev` on its own SQLite database in `data_dir`, up (its banner printed)."""
    web, temporal, ui = ports
    command = [str(Path(sys.executable).with_name("portal")), "dev", "--web-port", str(web)]
    command += ["--temporal-port", str(temporal), "--ui-port", str(ui), "--data-dir", str(data_dir)]
    env = {key: value for key, value in os.environ.items() if key != "PORTAL_DATABASE_URL"}
    with log.open("wb") as stdout:
        process = subprocess.Popen(
            command, env=env, stdout=stdout, stderr=subprocess.STDOUT, start_new_session=True
        )
    dev = Dev(process, log, ports)
    seen: set[int] = set()
    try:
        dev.wait_for("Press Ctrl-C to stop.", timeout=90)
        seen = descendants(process.pid)
        yield dev
        seen |= descendants(process.pid) if process.poll() is None else set()
    finally:
        print(dev.text()[-5000:])  # shown if the test fails
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        for pid in seen:
            if alive(pid):
                os.kill(pid, signal.SIGKILL)


def get(url: str) -> tuple[int, str, bytes]:
    with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 - 127.0.0.1 only
        return response.status, response.headers["Content-Type"], response.read()


def test_a_killed_worker_is_started_again(tmp_path: Path) -> None:
    ports = tuple(distinct_free_ports(3))
    with portal_dev(tmp_path / "instance", ports, tmp_path / "dev.log") as dev:
        dev.wait_for("worker polling task queue")
        worker = dev.child("worker")
        os.kill(worker, signal.SIGKILL)
        dev.wait_for("portal worker stopped (killed by SIGKILL); restarting it")
        dev.wait_for("portal worker restarted (pid ")
        found = re.search(r"portal worker restarted \(pid (\d+)\)", dev.text())
        assert found is not None
        again = int(found.group(1))
        assert again != worker and alive(again) and dev.child("worker") == again
        polling = "worker polling task queue"
        wait_for(lambda: dev.text().count(polling) == 2, 60, "the new worker polling")
        assert get(f"{dev.base}/login")[0] == 200  # the rest never stopped
        dev.stop()
        assert "stopping" in dev.text()


def test_started_again_at_once_on_the_same_ports_with_todays_logins(tmp_path: Path) -> None:
    ports = tuple(distinct_free_ports(3))
    data_dir = tmp_path / "instance"
    with portal_dev(data_dir, ports, tmp_path / "first.log") as dev:
        # Connections the servers close first leave their ports in TIME_WAIT; a Temporal server
        # killed (and started again) closes all of its own.
        for _ in range(3):
            assert get(f"{dev.base}/login")[0] == 200
        os.kill(dev.child_named("temporal"), signal.SIGKILL)
        dev.wait_for("Temporal stopped (killed by SIGKILL); restarting it")
        dev.wait_for("Temporal restarted (pid ")
        status, content_type, icon = get(f"{dev.base}/favicon.ico")
        assert status == 200 and content_type.startswith("image/") and icon
        assert "alice@acme.example       billing_contact  Acme Corporation" in dev.text()
        dev.stop()

    # Alice hands Acme's billing to Bob (what an approved contact change does) while it is down.
    database = Database(f"sqlite:///{data_dir / 'portal.db'}")
    with database.session() as session:
        acme = session.scalars(sa.select(Account).where(Account.name == "Acme Corporation")).one()
        bob = session.scalars(sa.select(User).where(User.email == "bob@acme.example")).one()
        alice = session.get(User, acme.billing_contact_id)
        assert alice is not None
        acme.billing_contact_id, bob.role, alice.role = bob.id, "billing_contact", "member"
    database.dispose()

    with portal_dev(data_dir, ports, tmp_path / "second.log") as dev:
        logins = dev.text().split("Demo logins")[1]
        acme_lines = [line.split() for line in logins.splitlines() if "Acme" in line]
        assert acme_lines == [
            ["bob@acme.example", "billing_contact", "Acme", "Corporation"],
            ["alice@acme.example", "member", "Acme", "Corporation"],
        ]
        assert "already in use" not in dev.text()
        dev.stop()


def test_a_child_that_keeps_stopping_stops_everything(tmp_path: Path) -> None:
    said: list[str] = []
    supervisor = Supervisor(said.append, Policy(limit=3, first_pause=0.01, longest_pause=0.02))
    crashing = [sys.executable, "-c", "import sys; sys.exit(3)"]
    steady = [sys.executable, "-c", "import time; time.sleep(60)"]
    keeps = supervisor.start("steady", lambda: subprocess.Popen(steady))
    supervisor.start("crashing", lambda: subprocess.Popen(crashing))
    try:
        with pytest.raises(GaveUp, match=r"crashing stopped 3 times within 60 s \(last: exit 3\)"):
            supervisor.watch()
    finally:
        supervisor.stop()
    assert said[0] == "crashing stopped (exit 3); restarting it in 0.01 s"
    assert sum("restarting" in line for line in said) == 2
    assert keeps.process is not None and keeps.process.poll() is not None  # stopped too


def test_what_a_dead_child_leaves_in_its_session_is_ended(tmp_path: Path) -> None:
    """As gunicorn's workers, still holding the port once their master was killed."""
    said: list[str] = []
    supervisor = Supervisor(said.append)
    pid_file = tmp_path / "left.pid"
    script = f'sleep 60 & echo $! > "{pid_file}"; exec sleep 60'
    child = supervisor.start(
        "master",
        lambda: subprocess.Popen(["sh", "-c", script], start_new_session=True),
    )
    try:
        wait_for(lambda: pid_file.exists() and pid_file.read_text().strip(), 10, "the grandchild")
        left = int(pid_file.read_text())
        assert child.process is not None
        os.kill(child.process.pid, signal.SIGKILL)
        supervisor.wait_until(lambda: bool(said), 10, "the supervisor")
        assert said == ["master stopped (killed by SIGKILL); restarting it in 0.5 s"]
        wait_for(lambda: not alive(left), 10, "the grandchild ended")
    finally:
        supervisor.stop()
    assert child.process is not None and child.process.poll() is not None
