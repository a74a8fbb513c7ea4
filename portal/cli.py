"""`portal`: run the portal, its worker and the embedded Temporal server; manage accounts."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import click

from portal.config import Settings
from portal.db import Database
from portal.errors import PortalError


def _settings() -> Settings:
    return Settings.from_env()


@click.group()
def main() -> None:
    """Corporate Billing Portal."""


@main.command("init-db")
def init_db() -> None:
    """Apply the database migrations."""
    from portal.migrate import upgrade

    settings = _settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    upgrade(settings.database_url)
    click.echo("database is up to date")


@main.command("seed-demo")
def seed_demo() -> None:
    """Create the demo accounts and people (idempotent)."""
    from portal.demo import seed_demo as seed

    with Database(_settings().database_url).session() as session:
        created = seed(session)
    click.echo("demo data created" if created else "demo data already present")


@main.command("create-account")
@click.option("--name", required=True)
@click.option("--country", required=True, help="ISO code, e.g. US")
@click.option("--kind", type=click.Choice(["corporate", "standard"]), default="corporate")
def create_account(name: str, country: str, kind: str) -> None:
    """Create an account; prints its id."""
    from portal.accounts import operations as accounts

    try:
        with Database(_settings().database_url).session() as session:
            account = accounts.create_account(session, name, country, kind)
    except PortalError as error:
        raise click.ClickException(_describe(error)) from None
    click.echo(account.id)


@main.command("create-user")
@click.option("--email", required=True)
@click.option("--name", required=True)
@click.option(
    "--role",
    required=True,
    type=click.Choice(["billing_contact", "member", "technician", "supervisor"]),
)
@click.option("--account", "account_id", type=int, default=None)
def create_user(email: str, name: str, role: str, account_id: int | None) -> None:
    """Create a user, reading the password from standard input; prints the new id."""
    from portal.accounts import operations as accounts

    password = sys.stdin.readline().rstrip("\n")
    try:
        with Database(_settings().database_url).session() as session:
            user = accounts.create_user(session, email, name, role, password, account_id)
    except PortalError as error:
        raise click.ClickException(_describe(error)) from None
    click.echo(user.id)


def _describe(error: PortalError) -> str:
    details = "; ".join(f"{field}: {message}" for field, message in error.fields.items())
    return f"{error.message} {details}".strip()


@main.command()
@click.option("--host", default="127.0.0.1")
@click.option("--port", default=5000, type=int)
@click.option("--workers", default=2, type=int, help="gunicorn worker processes")
@click.option("--threads", default=4, type=int, help="threads per worker process")
def web(host: str, port: int, workers: int, threads: int) -> None:
    """Serve the web app with gunicorn."""
    from portal.observability.logs import configure_logging
    from portal.serving import serve_web

    configure_logging()
    serve_web(_settings(), f"{host}:{port}", workers, threads)


@main.command()
@click.option("--concurrency", default=20, type=int, help="activities run at once")
@click.option("--workflow-tasks", default=50, type=int, help="workflow tasks run at once")
@click.option("--autoscale/--no-autoscale", default=True, help="autoscaling task pollers")
@click.option(
    "--metrics-port", default=0, type=int, help="Prometheus port (SDK; +1 portal); 0 = off"
)
def worker(concurrency: int, workflow_tasks: int, autoscale: bool, metrics_port: int) -> None:
    """Run a Temporal worker for request workflows and activities (several may run side by side)."""
    from portal.observability.logs import configure_logging
    from portal.serving import run_worker

    configure_logging()
    asyncio.run(run_worker(_settings(), concurrency, workflow_tasks, autoscale, metrics_port))


@main.command()
@click.argument("email")
def code(email: str) -> None:
    """The current two-step sign-in code of a demo technician or supervisor."""
    from portal.demo import DEMO_TOTP_SECRETS, demo_code

    email = email.strip().lower()
    if email not in DEMO_TOTP_SECRETS:
        known = ", ".join(DEMO_TOTP_SECRETS)
        raise click.ClickException(f"only the demo's staff have a published key: {known}")
    click.echo(demo_code(email))


@main.command()
@click.option("--web-port", default=5000, type=int)
@click.option("--temporal-port", default=7233, type=int)
@click.option("--ui-port", default=8233, type=int)
@click.option("--data-dir", default="./instance", type=click.Path(file_okay=False, path_type=Path))
@click.option("--no-demo", is_flag=True, help="do not create the demo data")
def dev(web_port: int, temporal_port: int, ui_port: int, data_dir: Path, no_demo: bool) -> None:
    """Temporal dev server, migrations, demo data, worker and web app: the portal on one machine.

    A child that stops on its own is started again; one that stops 5 times within a minute
    stops everything (exit 1)."""
    from portal.demo import seed_demo as seed
    from portal.dev_banner import banner
    from portal.devserver import PortTaken, ensure_free, listening, start_temporal
    from portal.migrate import upgrade
    from portal.supervisor import GaveUp, Supervisor

    data_dir = data_dir.resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    try:
        for port, what in ((web_port, "web"), (temporal_port, "temporal"), (ui_port, "ui")):
            ensure_free(port, what)
    except PortTaken as error:
        raise click.ClickException(str(error)) from None
    env = {
        **os.environ,
        "PORTAL_DATA_DIR": str(data_dir),
        "PORTAL_TEMPORAL_ADDRESS": f"127.0.0.1:{temporal_port}",
        "PORTAL_TEMPORAL_UI_URL": f"http://127.0.0.1:{ui_port}",
        "PORTAL_BASE_URL": os.environ.get("PORTAL_BASE_URL", f"http://127.0.0.1:{web_port}"),
    }
    if not env.get("PORTAL_SECRET_KEY"):
        env["PORTAL_SECRET_KEY"] = _dev_secret(data_dir)
    if not env.get("PORTAL_METRICS_TOKEN"):
        env["PORTAL_METRICS_TOKEN"] = _dev_secret(data_dir, "metrics_token")
    os.environ.update(env)
    settings = _settings()
    # Ctrl-C reaches this process alone (the children have sessions of their own), which stops
    # them in order: no child sees it first and makes its stop look like a crash. Installed
    # even when SIGINT came ignored (started in the background by a script); a service
    # manager's SIGTERM does the same.
    signal.signal(signal.SIGINT, _raise_keyboard_interrupt)
    signal.signal(signal.SIGTERM, _raise_keyboard_interrupt)
    supervisor = Supervisor(click.echo)
    portal = [sys.executable, "-m", "portal.cli"]

    def child(*role: str) -> Callable[[], subprocess.Popen[bytes]]:
        return lambda: subprocess.Popen([*portal, *role], env=env, start_new_session=True)  # noqa: S603

    failed = False
    try:
        log = data_dir / "temporal.log"
        temporal_db = data_dir / "temporal.db"
        supervisor.start(
            "Temporal",
            lambda: start_temporal(temporal_port, ui_port, temporal_db, log, own_session=True),
        )
        upgrade(settings.database_url)
        database = Database(settings.database_url)
        if not no_demo:
            with database.session() as session:
                seed(session)
        supervisor.start("portal worker", child("worker"))
        supervisor.start("portal web", child("web", "--port", str(web_port)))
        supervisor.wait_until(lambda: listening(web_port), 60, f"the web app (port {web_port})")
        with database.session() as session:
            for line in banner(None if no_demo else session, web_port, ui_port, data_dir):
                click.echo(line)
        database.dispose()
        supervisor.watch()
    except KeyboardInterrupt:
        click.echo("\nstopping…")
    except (GaveUp, TimeoutError, FileNotFoundError) as error:
        click.echo(f"{error}; stopping everything", err=True)
        failed = True
    finally:
        supervisor.stop()
    if failed:
        sys.exit(1)


def _raise_keyboard_interrupt(_signum: int, _frame: object) -> None:
    raise KeyboardInterrupt


def _dev_secret(data_dir: Path, name: str = "secret_key") -> str:
    """A secret kept in the data dir, so dev sessions survive restarts; never used in production."""
    import secrets

    path = data_dir / name
    if not path.exists():
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()


if __name__ == "__main__":
    main()
