"""The clock port: the current time, real (:class:`SystemClock`) or fixed (:class:`FixedClock`)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    """Port: the current time (aware)."""

    def now(self) -> datetime:
        """Return the current time."""


class SystemClock:
    """The real clock, in UTC."""

    def now(self) -> datetime:
        """Return the current UTC time."""
        return datetime.now(UTC)


class FixedClock:
    """A clock that says the time it is set to (tests, replays, deterministic runs)."""

    def __init__(self, now: datetime) -> None:
        if now.tzinfo is None:
            raise ValueError("FixedClock needs an aware datetime")
        self.current = now

    def now(self) -> datetime:
        """Return the set time."""
        return self.current

    def advance(self, delta: timedelta) -> None:
        """Move the clock forward by ``delta``."""
        self.current += delta
