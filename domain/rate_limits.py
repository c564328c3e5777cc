"""Fixed-window rate limits: a caller may make `limit` requests per window."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from domain.errors import DomainError

WINDOW = timedelta(minutes=1)


class RateLimited(DomainError):
    code = "RATE_LIMITED"

    def __init__(self, retry_after_seconds: int) -> None:
        super().__init__(f"too many requests: try again in {retry_after_seconds} s")
        self.retry_after_seconds = retry_after_seconds


@dataclass(frozen=True, slots=True)
class Window:
    start: datetime
    end: datetime


def window_at(now: datetime, length: timedelta = WINDOW) -> Window:
    seconds = length.total_seconds()
    start = datetime.fromtimestamp(math.floor(now.timestamp() / seconds) * seconds, UTC)
    return Window(start, start + length)


def check(count: int, limit: int, window: Window, now: datetime) -> None:
    """Raises RateLimited past the limit, with the seconds until the window ends."""
    if limit > 0 and count > limit:
        raise RateLimited(max(1, math.ceil((window.end - now).total_seconds())))
