"""The `portal` command line: accounts and users from the shell, a clear error for a taken port."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

from portal.accounts.security import verify_password
from portal.db import Database
from portal.models import Account, User
from tests.test_package import alive, descendants, distinct_free_ports, listening, wait_for_text


def portal(
    args: list[str], database_url: str, tmp_path: Path, stdin: str = ""
) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PORTAL_DATABASE_URL": database_url, "PORTAL_DATA_DIR": str(tmp_path)}
    return subprocess.run(
        [sys.executable, "-m", "portal.cli", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )


def test_create_account_and_billing_contact(
    database: Database, database_url: str, tmp_path: Path
) -> None:
    made = portal(
        ["create-account", "--name", "Initrode", "--country", "us"], database_url, tmp_path
    )
    assert made.returncode == 0, made.stderr
    account_id = int(made.stdout.strip())

    user = portal(
        [
            "create-user",
            "--email",
            "Pat@Initrode.example",
            "--name",
            "Pat",
            "--role",
            "billing_contact",
            "--account",
            str(account_id),
        ],
        database_url,
        tmp_path,
        stdin="correct horse battery\n",
    )
    assert user.returncode == 0, user.stderr
    user_id = int(user.stdout.strip())

    with database.session() as session:
        account = session.get(Account, account_id)
        created = session.get(User, user_id)
        assert account is not None and created is not None
        assert (account.country, account.kind, account.billing_contact_id) == (
            "US",
            "corporate",
            user_id,
        )
        assert created.email == "pat@initrode.example"
        assert verify_password(created.password_hash, "correct horse battery")
        assert "correct horse" not in created.password_hash


def test_bad_input_is_a_clear_error_and_stores_nothing(
    database: Database, database_url: str, tmp_path: Path
) -> None:
    bad_country = portal(
        ["create-account", "--name", "X", "--country", "USA"], database_url, tmp_path
    )
    assert bad_country.returncode != 0
    assert "country" in bad_country.stderr
    short_password = portal(
        ["create-user", "--email", "t@logmein.example", "--name", "T", "--role", "technician"],
        database_url,
        tmp_path,
        stdin="short\n",
    )
    assert short_password.returncode != 0
    assert "password" in short_password.stderr
    with database.session() as session:
        assert session.scalar(sa.select(sa.func.count(Account.id))) == 0
        assert session.scalar(sa.select(sa.func.count(User.id))) == 0


def test_seed_demo_is_idempotent(database: Database, database_url: str, tmp_path: Path) -> None:
    first = portal(["seed-demo"], database_url, tmp_path)
    second = portal(["seed-demo"], database_url, tmp_path)
    assert first.returncode == 0 and second.returncode == 0, first.stderr + second.stderr
    assert "already present" in second.stdout
    with database.session() as session:
        emails = set(session.scalars(sa.select(User.email)))
        assert {
            "alice@acme.example",
            "bob@acme.example",
            "chloe@globex.example",
            "tess@logmein.example",
            "theo@logmein.example",
            "sam@logmein.example",
            "peter@initech.example",
        } == emails
        kinds = {
            name: kind for name, kind in session.execute(sa.select(Account.name, Account.kind))
        }
        assert kinds == {
            "Acme Corporation": "corporate",
            "Globex SARL": "corporate",
            "Initech LLC": "standard",
        }


def test_dev_refuses_a_taken_port_in_one_line(tmp_path: Path, database_url: str) -> None:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        result = portal(
            ["dev", "--web-port", str(port), "--data-dir", str(tmp_path)], database_url, tmp_path
        )
    assert result.returncode != 0
    assert f"port {port} (web) is already in use" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize("whole_group", [False, True], ids=["to-portal", "ctrl-c-to-the-group"])
def test_dev_stops_on_sigint_even_started_with_it_ignored(
    tmp_path: Path, database_url: str, whole_group: bool
) -> None:
    """Started in the background by a script (SIGINT ignored, as a shell does), and as Ctrl-C in
    a terminal (the whole process group): everything stops, exit 0, no process or port left."""
    web, temporal, ui = distinct_free_ports(3)
    command = [str(Path(sys.executable).with_name("portal")), "dev", "--web-port", str(web)]
    command += ["--temporal-port", str(temporal), "--ui-port", str(ui)]
    command += ["--data-dir", str(tmp_path / "instance")]
    out = tmp_path / "stdout.log"
    env = {**os.environ, "PORTAL_DATABASE_URL": database_url}
    with out.open("wb") as stdout:
        dev = subprocess.Popen(
            command,
            env=env,
            stdout=stdout,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN),
        )
    children: set[int] = set()
    try:
        wait_for_text(out, f"Portal:       http://127.0.0.1:{web}", dev, timeout=90)
        children = descendants(dev.pid)
        if whole_group:
            os.killpg(dev.pid, signal.SIGINT)
        else:
            dev.send_signal(signal.SIGINT)
        assert dev.wait(timeout=40) == 0, out.read_text()
        assert "stopping" in out.read_text() and "a child process stopped" not in out.read_text()
        assert not [pid for pid in children if alive(pid)]
        assert not [port for port in (web, temporal, ui) if listening(port)]
    finally:
        if dev.poll() is None:
            dev.kill()
            dev.wait()
        for pid in children:
            if alive(pid):
                os.kill(pid, signal.SIGKILL)
