"""The one clock every business date and time comes from.

Business time is UTC: a quote is valid through its last day in UTC, a renewal falls due at
00:00 UTC of its date. It is the real time plus a shift that is zero in production; development
and the tests move it (`PORTAL_CLOCK_SHIFT_DAYS`, the tests' `--today`) to see the portal on
another date. Workflows cannot read this module (their time is `workflow.now()`), so the shift
travels in their inputs: `shift_seconds()` is what they add to `workflow.now()`.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

_shift = timedelta(0)


def set_shift(shift: timedelta) -> None:
    """Called once per process, by the app factory and the worker, from the settings."""
    global _shift
    _shift = shift


def shift_seconds() -> int:
    return int(_shift.total_seconds())


def now() -> datetime:
    """The business time: timezone-aware, in UTC."""
    return datetime.now(UTC) + _shift


def today() -> date:
    """The business date (UTC)."""
    return now().date()
