"""Idle and absolute session limits, as plain arithmetic over the injectable clock's times."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

OK, WARN, EXPIRED = "ok", "warn", "expired"


@dataclass(frozen=True)
class TimerState:
    status: str
    seconds_left: int
    reason: str


class SessionTimer:
    """`touch()` on every key; `state(now)` says whether to warn (countdown) or end the session."""

    def __init__(self, idle_seconds: int, warning_seconds: int, limit_seconds: int, now: datetime) -> None:
        self.idle_seconds = idle_seconds
        self.warning_seconds = warning_seconds
        self.limit_seconds = limit_seconds
        self.last_activity = now
        self.started: datetime | None = None

    def touch(self, now: datetime) -> None:
        self.last_activity = now

    def start(self, now: datetime) -> None:
        """A participant signed in: the absolute limit counts from here."""
        self.started = now
        self.last_activity = now

    def stop(self, now: datetime) -> None:
        self.started = None
        self.last_activity = now

    def state(self, now: datetime) -> TimerState:
        idle_left = self.idle_seconds - (now - self.last_activity).total_seconds()
        reason, left = "idle", idle_left
        if self.started is not None:
            limit_left = self.limit_seconds - (now - self.started).total_seconds()
            if limit_left < idle_left:
                reason, left = "session_limit", limit_left
        if left <= 0:
            return TimerState(EXPIRED, 0, reason)
        if left <= self.warning_seconds:
            return TimerState(WARN, int(left + 0.999), reason)
        return TimerState(OK, int(left), reason)
