"""The one clock every business date and time comes from.

Business time is UTC: a quote is valid through its last day in UTC, a renewal falls due at
00:00 UTC of its date. It is the real time plus a shift that is zero in production; development
and the tests move it (`PORTAL_CLOCK_SHIFT_DAYS`, the tests' `--today`) to see the portal on
another date, and in development an account's sandbox clock moves it further for that account
alone (`for_account`, docs/design.md §7). Workflows cannot read this module (their time is
`workflow.now()`), so the shift travels in their inputs: `shift_seconds()` is what they add.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, date, datetime, timedelta

_shift = timedelta(0)
# The sandbox clock of the account being worked on, beyond the process's shift.
_account_shift: ContextVar[int] = ContextVar("portal_account_clock", default=0)


@contextmanager
def for_account(shift_seconds: int) -> Iterator[None]:
    """Inside the block, business time is the account's (its sandbox clock moved it ahead)."""
    token = _account_shift.set(shift_seconds)
    try:
        yield
    finally:
        _account_shift.reset(token)


def set_shift(shift: timedelta) -> None:
    """Called once per process, by the app factory and the worker, from the settings."""
    global _shift
    _shift = shift


def shift_seconds() -> int:
    """Business time minus real time, for the account being worked on if any."""
    return int(_shift.total_seconds()) + _account_shift.get()


def process_shift_seconds() -> int:
    """The process's own shift, before any account's sandbox clock."""
    return int(_shift.total_seconds())


def shift_of_account(sandbox_seconds: int) -> int:
    """Business time minus real time for an account whose sandbox clock is that far ahead:
    what its workflows add to `workflow.now()`."""
    return process_shift_seconds() + sandbox_seconds


def now() -> datetime:
    """The business time: timezone-aware, in UTC."""
    return datetime.now(UTC) + _shift + timedelta(seconds=_account_shift.get())


def today() -> date:
    """The business date (UTC)."""
    return now().date()
