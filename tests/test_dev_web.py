"""What `portal dev` serves and prints besides its children: the icon, a gunicorn control socket
per instance, a port check that only a listener fails, the logins as the database has them."""

from __future__ import annotations

import os
import signal
import socket
import stat
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

from portal.config import TemporalSettings
from portal.db import Database
from portal.demo import seed_demo
from portal.dev_banner import demo_login_lines
from portal.devserver import PortTaken, ensure_free
from portal.models import Account, User
from portal.serving import WebApplication, control_socket
from tests.conftest import free_port, make_settings
from tests.support import wait_for


def test_the_icon_is_served_to_anyone(
    database: Database, database_url: str, tmp_path: Path
) -> None:
    """The app as gunicorn loads it, signed out."""
    settings = make_settings(database_url, TemporalSettings(address="127.0.0.1:1"), tmp_path)
    client = WebApplication(settings, {}).load().test_client()
    icon = client.get("/favicon.ico")
    assert icon.status_code == 200
    assert icon.content_type.startswith("image/")
    assert icon.data[:4] == b"\0\0\1\0"  # an ICO file's header
    assert "default-src 'self'" in icon.headers["Content-Security-Policy"]
    page = client.get("/login").get_data(as_text=True)
    assert '<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">' in page
    svg = client.get("/static/favicon.svg")
    assert svg.status_code == 200 and svg.content_type.startswith("image/svg+xml")
    assert client.get("/static/portal.css").status_code == 200  # still its own URL


def test_two_instances_have_control_sockets_of_their_own(tmp_path: Path) -> None:
    home = tmp_path / "home"  # where gunicorn's default would be: nothing may appear there
    home.mkdir()
    data_dirs = [tmp_path / "one", tmp_path / "two"]
    webs: list[subprocess.Popen[bytes]] = []
    env = {key: value for key, value in os.environ.items() if key != "PORTAL_DATABASE_URL"}
    env |= {"HOME": str(home), "XDG_RUNTIME_DIR": str(home), "PORTAL_SECRET_KEY": "dev-web-test"}
    try:
        for data_dir in data_dirs:
            data_dir.mkdir()
            command = [sys.executable, "-m", "portal.cli", "web", "--port", str(free_port())]
            webs.append(
                subprocess.Popen(
                    [*command, "--workers", "1"],
                    env={**env, "PORTAL_DATA_DIR": str(data_dir)},
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
            )
        sockets = [data_dir / "gunicorn.ctl" for data_dir in data_dirs]
        wait_for(lambda: all(path.exists() for path in sockets), 30, "both control sockets")
        assert all(stat.S_ISSOCK(path.stat().st_mode) for path in sockets)
        assert all(answers(path) for path in sockets)
        assert not list(home.rglob("*.ctl"))

        # The first one's stop removes its own socket, not the other's.
        webs[0].send_signal(signal.SIGTERM)
        assert webs[0].wait(timeout=30) == 0
        assert not sockets[0].exists()
        assert answers(sockets[1])
    finally:
        for web in webs:
            if web.poll() is None:
                web.kill()
                web.wait()


def answers(path: Path) -> bool:
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as probe:
        return probe.connect_ex(str(path)) == 0


def test_no_control_socket_where_its_path_would_be_too_long() -> None:
    assert control_socket(Path("/srv/portal")) == {"control_socket": "/srv/portal/gunicorn.ctl"}
    assert control_socket(Path("/" + "d" * 100)) == {"control_socket_disable": True}


def test_a_port_in_time_wait_is_free_and_a_listened_one_is_not() -> None:
    with socket.socket() as server:
        server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        server.bind(("127.0.0.1", 0))
        server.listen()
        port = server.getsockname()[1]
        with socket.create_connection(("127.0.0.1", port), timeout=5) as client:
            accepted, _ = server.accept()
            with pytest.raises(PortTaken, match=f"port {port} \\(web\\) is already in use"):
                ensure_free(port, "web")
            accepted.close()  # the server's side closes first: it is the one left in TIME_WAIT
            assert client.recv(1) == b""
    with socket.socket() as naive, pytest.raises(OSError):
        naive.bind(("127.0.0.1", port))  # what the check did before: "in use" for a minute
    ensure_free(port, "web")


def test_the_banner_names_the_logins_as_they_are_now(database: Database) -> None:
    with database.session() as session:
        seed_demo(session)
        acme = session.scalars(sa.select(Account).where(Account.name == "Acme Corporation")).one()
        alice = session.get(User, acme.billing_contact_id)
        assert alice is not None
        dana = User(
            email="dana@acme.example",
            name="Dana Ross",
            role="billing_contact",
            account_id=acme.id,
            password_hash="set by her invitation",
        )
        session.add(dana)
        session.flush()
        acme.billing_contact_id, alice.role = dana.id, "member"
    with database.session() as session:
        lines = [line.split() for line in demo_login_lines(session)]
    assert lines[:3] == [
        ["dana@acme.example", "billing_contact", "Acme", "Corporation", "(own", "password)"],
        ["alice@acme.example", "member", "Acme", "Corporation"],
        ["bob@acme.example", "member", "Acme", "Corporation"],
    ]
    assert ["peter@initech.example", "billing_contact", "Initech", "LLC", "(standard)"] in lines
    assert lines[-3:] == [
        ["tess@logmein.example", "technician"],
        ["theo@logmein.example", "technician"],
        ["sam@logmein.example", "supervisor"],
    ]
