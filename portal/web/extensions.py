"""What a web request reaches through the app: its database session, the Temporal gateway and
the settings. The worker never imports this module."""

from __future__ import annotations

from flask import Flask, current_app, g
from sqlalchemy import orm

from portal import clock
from portal.config import Settings
from portal.db import Database
from portal.gateway import TemporalBridge
from portal.models import User


def init_app(app: Flask, settings: Settings, database: Database, bridge: TemporalBridge) -> None:
    app.extensions["portal_settings"] = settings
    app.extensions["portal_db"] = database
    app.extensions["portal_bridge"] = bridge
    app.teardown_appcontext(_close_session)


def settings_of(app: Flask) -> Settings:
    settings: Settings = app.extensions["portal_settings"]
    return settings


def get_settings() -> Settings:
    return settings_of(current_app)


def get_database() -> Database:
    database: Database = current_app.extensions["portal_db"]
    return database


def get_bridge() -> TemporalBridge:
    bridge: TemporalBridge = current_app.extensions["portal_bridge"]
    return bridge


def get_session() -> orm.Session:
    """The session of the current web request, closed at teardown."""
    if "db_session" not in g:
        g.db_session = get_database().sessionmaker()
    session: orm.Session = g.db_session
    return session


def _close_session(_exc: BaseException | None) -> None:
    session: orm.Session | None = g.pop("db_session", None)
    if session is not None:
        session.close()
    clock_of_account = g.pop("account_clock", None)
    if clock_of_account is not None:
        clock_of_account.__exit__(None, None, None)


def use_account_clock(user: User) -> None:
    """The rest of this web request runs at the user's account's business time (its sandbox
    clock, in development); staff, who belong to no account, keep the portal's."""
    account = user.account
    if account is None or not account.clock_shift_seconds or "account_clock" in g:
        return
    entered = clock.for_account(account.clock_shift_seconds)
    entered.__enter__()
    g.account_clock = entered
