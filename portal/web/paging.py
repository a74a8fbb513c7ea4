"""Cursor pagination of the API's lists: `?limit=` (1 to MAX_LIMIT, DEFAULT_LIMIT by default)
and the opaque `?cursor=` of the page before give the next page and its `next_cursor` (null on
the last one); nothing is cut off silently. `?updated_since=<ISO 8601>` lists what was written
at or after that moment, oldest first, so a client that keeps the last `updated_at` it saw
keeps in sync; without it, lists run newest first (purchase orders: in their own order)."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Generic, TypeVar

import sqlalchemy as sa
from pydantic import BaseModel, Field
from sqlalchemy import orm

from portal.db import row_id
from portal.errors import ValidationFailed
from portal.i18n import _l

DEFAULT_LIMIT = 50
MAX_LIMIT = 200

T = TypeVar("T")


@dataclass(frozen=True)
class ListArgs:
    limit: int = DEFAULT_LIMIT
    updated_since: datetime | None = None
    # The last row of the page before: its id, and its updated_at when listing by it.
    after_id: int | None = None
    after_updated: datetime | None = None


@dataclass(frozen=True)
class Page(Generic[T]):
    items: Sequence[T]
    next_cursor: str | None


class ListQuery(BaseModel):
    """The list arguments every list takes; a list with filters of its own extends it."""

    limit: int = Field(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT, description="Items per page")
    cursor: str | None = Field(None, max_length=200, description="next_cursor of the page before")
    updated_since: datetime | None = Field(
        None, description="Only what was written at or after this moment, oldest first"
    )


def list_args(query: ListQuery) -> ListArgs:
    """The list arguments of a validated query string, or a 400 for a cursor not ours."""
    since = query.updated_since
    if since is not None and since.tzinfo is None:
        since = since.replace(tzinfo=UTC)
    after_id, after_updated = _cursor(query.cursor, since is not None)
    return ListArgs(query.limit, since, after_id, after_updated)


def page_of(
    session: orm.Session,
    query: sa.Select[T],
    model: Any,
    args: ListArgs,
    oldest_first: bool = False,
) -> Page[T]:
    """One page of `query` (rows of `model`, which has `id`, and `updated_at` or, for rows
    never changed once written, `created_at`); by id, newest first unless `oldest_first` (a
    short list read in its own order: purchase orders)."""
    written = model.updated_at if hasattr(model, "updated_at") else model.created_at
    if args.updated_since is not None:
        query = query.where(written >= args.updated_since)
        if args.after_id is not None and args.after_updated is not None:
            query = query.where(
                sa.or_(
                    written > args.after_updated,
                    sa.and_(written == args.after_updated, model.id > args.after_id),
                )
            )
        query = query.order_by(None).order_by(written, model.id)
    elif oldest_first:
        if args.after_id is not None:
            query = query.where(model.id > args.after_id)
        query = query.order_by(None).order_by(model.id)
    else:
        if args.after_id is not None:
            query = query.where(model.id < args.after_id)
        query = query.order_by(None).order_by(model.id.desc())
    rows = list(session.scalars(query.limit(args.limit + 1)))
    shown = rows[: args.limit]
    more = len(rows) > args.limit
    last = shown[-1] if shown and more else None
    return Page(shown, _encode(last, args.updated_since is not None) if last is not None else None)


def _moment(raw: str, field: str) -> datetime:
    try:
        moment = datetime.fromisoformat(raw)
    except ValueError:
        message = str(_l("A moment such as 2027-01-31T09:00:00Z."))
        raise ValidationFailed(message, {field: message}) from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _encode(row: Any, by_update: bool) -> str:
    written = row.updated_at if hasattr(row, "updated_at") else row.created_at
    key: list[Any] = [row.id, written.isoformat() if by_update else None]
    return base64.urlsafe_b64encode(json.dumps(key).encode()).decode().rstrip("=")


def _cursor(raw: str | None, by_update: bool) -> tuple[int | None, datetime | None]:
    if raw is None:
        return None, None
    try:
        decoded = json.loads(base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)))
        after_id, after_updated = decoded
        wanted = row_id(after_id)
        if wanted is None or (by_update and not isinstance(after_updated, str)):
            raise ValueError(raw)
        return wanted, _moment(after_updated, "cursor") if by_update else None
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError, ValidationFailed):
        message = str(_l("Give back the next_cursor of the page before, with the same filters."))
        raise ValidationFailed(message, {"cursor": message}) from None
