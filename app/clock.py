"""The one source of "now", so that SLA clocks, merge audits and tests agree on time.

Tests and simulations replace it with :class:`FixedClock`; nothing else calls
``datetime.now`` directly.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class FixedClock:
    def __init__(self, at: datetime) -> None:
        self._at = at

    def now(self) -> datetime:
        return self._at

    def advance(self, delta: timedelta) -> None:
        self._at += delta


_clock: Clock = SystemClock()


def now() -> datetime:
    return _clock.now()


def now_iso() -> str:
    return _clock.now().isoformat(timespec="milliseconds")


def now_ms() -> int:
    return int(_clock.now().timestamp() * 1000)


def set_clock(clock: Clock) -> Clock:
    """Install ``clock`` and hand back the previous one so callers can restore it."""
    global _clock
    previous, _clock = _clock, clock
    return previous
