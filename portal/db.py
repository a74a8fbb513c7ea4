"""Engine and sessions, shared by the web app, the worker's activities and the CLI."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa
from sqlalchemy import orm

# Row ids are INTEGER columns: 32 bits on PostgreSQL.
MAX_ROW_ID = 2**31 - 1


def row_id(value: Any) -> int | None:
    """An id as a URL, a form or a JSON body gives it, or None when it names no row: not a
    whole number, or beyond what an id column holds (the database would refuse the query)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        value = value.strip()
        if not value.isdigit() or len(value) > 10:
            return None
        value = int(value)
    if isinstance(value, int) and 0 < value <= MAX_ROW_ID:
        return value
    return None


class Base(orm.DeclarativeBase):
    metadata = sa.MetaData(
        naming_convention={
            "ix": "ix_%(column_0_label)s",
            "uq": "uq_%(table_name)s_%(column_0_name)s",
            "ck": "ck_%(table_name)s_%(constraint_name)s",
            "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
            "pk": "pk_%(table_name)s",
        }
    )


def _enable_sqlite_rules(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    # WAL lets the worker write while web requests read.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


class Database:
    def __init__(self, url: str, **engine_options: Any) -> None:
        if url.startswith("sqlite"):
            engine_options.setdefault("connect_args", {"check_same_thread": False, "timeout": 10})
        else:
            engine_options.setdefault("pool_pre_ping", True)
        self.engine = sa.create_engine(url, **engine_options)
        if url.startswith("sqlite"):
            sa.event.listen(self.engine, "connect", _enable_sqlite_rules)
        self.sessionmaker = orm.sessionmaker(self.engine, expire_on_commit=False)

    @contextmanager
    def session(self) -> Iterator[orm.Session]:
        """A unit of work: committed when the block ends, rolled back on error."""
        with self.sessionmaker() as session, session.begin():
            yield session

    def dispose(self) -> None:
        self.engine.dispose()
