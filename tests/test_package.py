"""The package as `pip install .` makes it: a wheel built from this checkout, installed into a
fresh virtualenv where the checkout is out of sight, runs `portal dev` from another folder, so
the templates, static files, translations and migrations it serves all come from the wheel.

No download: the new virtualenv sees the dependencies already installed in this one (not the
project's own editable install), and finds the `temporal` binary on PATH, where a full install
would have put it beside its python."""

from __future__ import annotations

import http.cookiejar
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import sysconfig
import time
import urllib.parse
import urllib.request
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest

from portal.devserver import temporal_binary
from tests.conftest import free_port

REPO = Path(__file__).resolve().parent.parent
PROJECT = "corporate_billing_portal"
TOP_LEVEL = ("portal", "workflows", "activities")


@dataclass(frozen=True)
class Installed:
    venv: Path
    site_packages: Path
    env: dict[str, str]

    @property
    def python(self) -> Path:
        return self.venv / "bin" / "python"


def copy_checkout(destination: Path) -> Path:
    """The files a clean checkout holds (tracked, or new and not ignored), as they are now.

    The wheel is built from this copy: building in the checkout would leave build/ and stale
    files there, and would pick up ignored ones (compiled catalogues, bytecode)."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=REPO,
        capture_output=True,
        check=True,
    ).stdout.decode()
    for name in filter(None, listed.split("\0")):
        source = REPO / name
        if source.is_file():  # not deleted in the working tree
            target = destination / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
    return destination


def dependencies_without_the_project(destination: Path) -> Path:
    """This virtualenv's site-packages, minus the project (its editable finder and .pth, its
    metadata, or its packages if installed for real): a folder of links to everything else."""
    destination.mkdir()
    for folder in {Path(sysconfig.get_path("purelib")), Path(sysconfig.get_path("platlib"))}:
        for entry in folder.iterdir():
            name = entry.name
            if (
                name.startswith(("__editable__", PROJECT))
                or name.endswith(".pth")
                or name in TOP_LEVEL
                or (destination / name).exists()
            ):
                continue
            (destination / name).symlink_to(entry)
    return destination


def run(args: list[str | Path], cwd: Path, env: dict[str, str]) -> str:
    done = subprocess.run(
        [str(arg) for arg in args], cwd=cwd, env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, f"{args}\n{done.stdout}\n{done.stderr}"
    return done.stdout


def clean_environment(path: str) -> dict[str, str]:
    """No PORTAL_* of the suite's (database, clock...), nothing pointing Python at the checkout."""
    inherited = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("PORTAL_", "PYTHON", "PIP_")) and key != "VIRTUAL_ENV"
    }
    return {**inherited, "PATH": path}


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    """A new virtualenv with the wheel installed, and the environment to run it in."""
    tmp = tmp_path_factory.mktemp("package")
    tools = tmp / "tools"
    tools.mkdir()
    (tools / "temporal").symlink_to(temporal_binary())
    env = clean_environment(f"{tools}{os.pathsep}{os.environ.get('PATH', os.defpath)}")

    source = copy_checkout(tmp / "source")
    pip_wheel = [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation"]
    run([*pip_wheel, "--no-index", "-w", tmp / "dist", "."], source, env)
    (wheel,) = (tmp / "dist").glob(f"{PROJECT}-*.whl")
    # Every file of the packages' folders in the checkout, code or not (script.py.mako too,
    # which only `alembic revision` reads), is in the wheel.
    with zipfile.ZipFile(wheel) as archive:
        shipped = set(archive.namelist())
    files = (path for name in TOP_LEVEL for path in (source / name).rglob("*") if path.is_file())
    missing = sorted({path.relative_to(source).as_posix() for path in files} - shipped)
    assert not missing, f"not in the wheel (pyproject.toml's package-data): {missing}"

    venv = tmp / "venv"
    run([sys.executable, "-m", "venv", "--without-pip", venv], tmp, env)
    python = venv / "bin" / "python"
    purelib = "import sysconfig; print(sysconfig.get_path('purelib'))"
    site_packages = Path(run([python, "-c", purelib], tmp, env).strip())
    deps = dependencies_without_the_project(tmp / "dependencies")
    (site_packages / "dependencies.pth").write_text(f"{deps}\n")
    # pip is one of those dependencies; run by the new venv's python, it installs there.
    pip_install: list[str | Path] = [python, "-m", "pip", "install", "-q", "--no-deps"]
    run(
        [*pip_install, "--no-index", "--no-compile", "--disable-pip-version-check", wheel], tmp, env
    )

    # Only the wheel's copy can be imported: not the checkout, not its editable install.
    show = "; ".join(f"import {name}; print({name}.__file__)" for name in TOP_LEVEL)
    where = run([python, "-c", show], tmp, env).split()
    assert len(where) == len(TOP_LEVEL)
    assert all(Path(file).is_relative_to(site_packages) for file in where), where
    return Installed(venv, site_packages, env)


def distinct_free_ports(count: int) -> list[int]:
    ports: set[int] = set()
    while len(ports) < count:
        ports.add(free_port())
    return sorted(ports)


def descendants(pid: int) -> set[int]:
    """Every process below pid (Linux /proc), found while they are still its descendants."""
    parents: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # gone meanwhile
        parents[int(stat.parent.name)] = int(fields[1])
    found: set[int] = set()
    frontier = {pid}
    while frontier:
        frontier = {child for child, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"  # a zombie is dead, only waiting to be reaped


def listening(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


def wait_for_text(log: Path, text: str, process: subprocess.Popen[bytes], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while text not in log.read_text():
        assert process.poll() is None, f"portal dev exited ({process.returncode})"
        assert time.monotonic() < deadline, f"no {text!r} after {timeout:.0f}s"
        time.sleep(0.1)


def csrf_token(page: str) -> str:
    found = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
    assert found, page
    return found.group(1)


def test_the_wheel_runs_portal_dev_from_outside_the_checkout(
    installed: Installed, tmp_path: Path
) -> None:
    web, temporal, ui = distinct_free_ports(3)
    command = [str(installed.venv / "bin" / "portal"), "dev", "--web-port", str(web)]
    command += ["--temporal-port", str(temporal), "--ui-port", str(ui)]
    command += ["--data-dir", str(tmp_path / "instance")]
    out, err = tmp_path / "stdout.log", tmp_path / "stderr.log"
    with out.open("wb") as stdout, err.open("wb") as stderr:
        dev = subprocess.Popen(
            command,
            cwd=tmp_path,
            env=installed.env,
            stdout=stdout,
            stderr=stderr,
            start_new_session=True,
        )
    children: set[int] = set()
    try:
        base = f"http://127.0.0.1:{web}"
        wait_for_text(out, f"Portal:       {base}", dev, timeout=60)

        # Templates, and the database the wheel's migrations made: alice signs in, sees her account.
        browser = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
        )
        with browser.open(f"{base}/login", timeout=10) as response:
            token = csrf_token(response.read().decode())
        form = {"csrf_token": token, "email": "alice@acme.example", "password": "demo-password"}
        with browser.open(f"{base}/login", urllib.parse.urlencode(form).encode(), 10) as response:
            assert response.url == f"{base}/"
            assert "Acme Corporation" in response.read().decode()

        with browser.open(f"{base}/static/portal.css", timeout=10) as response:
            assert response.read() == (REPO / "portal" / "static" / "portal.css").read_bytes()

        # French, from the wheel's .po (no .mo is shipped: the portal compiled it at start).
        french = urllib.request.Request(f"{base}/login", headers={"Accept-Language": "fr"})  # noqa: S310
        with urllib.request.urlopen(french, timeout=10) as response:  # noqa: S310 - 127.0.0.1
            page = response.read().decode()
        assert '<html lang="fr">' in page
        assert "Se connecter" in page

        children = descendants(dev.pid)
        assert children, "portal dev started no process"
        dev.send_signal(signal.SIGINT)
        assert dev.wait(timeout=30) == 0
        assert "stopping" in out.read_text()
        assert not [pid for pid in children if alive(pid)]
        assert not [port for port in (web, temporal, ui) if listening(port)]
    finally:
        print(out.read_text(), err.read_text()[-5000:], sep="\n")  # shown if the test fails
        if dev.poll() is None:
            os.killpg(dev.pid, signal.SIGKILL)
            dev.wait()
        for pid in children:
            if alive(pid):
                os.kill(pid, signal.SIGKILL)


def test_the_wheel_on_a_read_only_file_system(installed: Installed, tmp_path: Path) -> None:
    """As in a container with a read-only image: no catalogue can be compiled beside the .po
    files, yet the app starts and serves pages, and mails are translated (in memory)."""
    if sys.platform != "linux" or shutil.which("unshare") is None:
        pytest.skip("needs Linux mount namespaces")
    if subprocess.run(["unshare", "-m", "true"], capture_output=True).returncode != 0:
        pytest.skip("no permission to make a mount namespace")
    package = installed.site_packages / "portal"
    for mo in package.glob("translations/*/LC_MESSAGES/*.mo"):
        mo.unlink()  # compiled by an earlier run of the portal
    script = (
        "from portal.app import create_app\n"
        "from portal.notifications.catalogs import translations_for\n"
        "page = create_app().test_client().get('/login', headers={'Accept-Language': 'fr'})\n"
        "assert page.status_code == 200, page.status_code\n"
        "assert b'<html lang=\"fr\">' in page.data\n"
        "print(translations_for('fr').gettext('Sign in'))\n"
    )
    # The bind mount exists only in this command's own mount namespace.
    shell = (
        'mount --bind "$1" "$1" && mount -o remount,bind,ro "$1" "$1" || exit 77; exec "$2" -c "$3"'
    )
    done = subprocess.run(
        ["unshare", "-m", "sh", "-c", shell, "sh", str(package), str(installed.python), script],
        cwd=tmp_path,
        env={**installed.env, "PORTAL_DATA_DIR": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    if done.returncode == 77:
        pytest.skip(f"cannot mount read-only: {done.stderr.strip()}")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "Se connecter"
    assert "cannot compile" in done.stderr and "pybabel compile" in done.stderr
    assert not list(package.glob("translations/*/LC_MESSAGES/*.mo"))
