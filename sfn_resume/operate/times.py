"""Instants as the items hold them (epoch milliseconds), shown to people (UTC to the second, and how far from now)
and in JSON (ISO 8601 UTC, to the millisecond)."""

from __future__ import annotations

import datetime
import time


def now_ms() -> int:
    return int(time.time() * 1000)


def _datetime(ms: int) -> datetime.datetime:
    return datetime.datetime.fromtimestamp(ms / 1000, tz=datetime.timezone.utc)


def epoch_ms(instant: datetime.datetime | None) -> int | None:
    return None if instant is None else int(instant.timestamp() * 1000)


def iso(ms: int | None) -> str | None:
    """An instant for JSON: ISO 8601 in UTC, to the millisecond."""
    return None if ms is None else _datetime(ms).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def duration(seconds: float) -> str:
    for unit, size, up_to in (("s", 1, 120), ("min", 60, 120 * 60), ("h", 3600, 48 * 3600)):
        if seconds < up_to:
            return f"{seconds / size:.0f} {unit}"
    return f"{seconds / 86400:.0f} d"


def at(ms: int | None, now: int) -> str:
    """An instant for people: UTC to the second, and how far from `now`."""
    if ms is None:
        return "an unknown time"
    delta = (ms - now) / 1000
    relative = f"in {duration(delta)}" if delta >= 0 else f"{duration(-delta)} ago"
    return f"{_datetime(ms).strftime('%Y-%m-%dT%H:%M:%SZ')} ({relative})"
