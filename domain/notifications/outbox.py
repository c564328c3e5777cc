"""The push outbox's rules: who claims an item, when a failed delivery is tried again, when it is
given up, and which failures are worth retrying.

The store applies the same transitions atomically; these functions are the reference for them
and what the unit tests pin.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from domain.errors import DomainError
from domain.notifications.model import Channel, OutboxItem, OutboxStatus

# A worker that died on an item (after the claim, before the outcome) never recorded a failure.
# Such items are tried again after the lease, but only this many times beyond `max_attempts`,
# so an item that kills the worker every time cannot keep it busy forever.
CRASH_ALLOWANCE = 2
ERROR_LIMIT = 500  # characters of a failure kept on the item


@dataclass(frozen=True, slots=True)
class OutboxPolicy:
    max_attempts: int = 8
    first_delay: timedelta = timedelta(seconds=30)
    max_delay: timedelta = timedelta(hours=1)
    # Up to this share of a delay is cut at random, so items that failed together (a gateway
    # outage) do not all come back in the same second.
    jitter: float = 0.2
    # Longer than the gateway timeout: an item is only claimed again when its worker is gone.
    lease: timedelta = timedelta(minutes=2)

    def __post_init__(self) -> None:
        if self.max_attempts < 1 or not 0 <= self.jitter < 1 or self.first_delay <= timedelta():
            raise ValueError("max_attempts >= 1, 0 <= jitter < 1 and a positive first delay")


class DeliveryFailed(DomainError):
    """The gateway did not accept an item. `retryable`: the same request may succeed later."""

    code = "DELIVERY_FAILED"

    def __init__(self, message: str, *, retryable: bool,
                 retry_after: timedelta | None = None) -> None:
        super().__init__(message)
        self.retryable = retryable
        self.retry_after = retry_after


@dataclass(frozen=True, slots=True)
class Failure:
    """What an attempt's failure means for the item: try again at `retry_at`, or give up."""

    error: str
    retry_at: datetime | None = field(default=None)


def retryable_status(status: int) -> bool:
    """A client error is the request's fault and fails the same way again, except a timeout
    (408) and throttling (429); server errors are the gateway's trouble and may pass."""
    return status in (408, 429) or status >= 500


def needs_device(channel: Channel) -> bool:
    """Push goes to the owner's devices; e-mail is addressed by the gateway itself."""
    return channel is Channel.PUSH


def backoff(policy: OutboxPolicy, attempts: int,
            rng: Callable[[], float] | None = None) -> timedelta:
    """The wait after the `attempts`-th failure: first_delay doubled each time, capped;
    `rng` (0 <= x < 1) cuts up to `jitter` of it, None keeps it exact."""
    exponent = min(max(attempts - 1, 0), 32)  # 2**32 * 30 s is far past any cap
    delay = min(policy.first_delay * (1 << exponent), policy.max_delay)
    return delay * (1 - policy.jitter * rng()) if rng is not None else delay


def is_due(item: OutboxItem, now: datetime) -> bool:
    """What a claim selects: pending, due, and not leased to a worker right now."""
    return (item.status is OutboxStatus.PENDING and item.due_at <= now
            and (item.locked_until is None or item.locked_until <= now))


def claimed(item: OutboxItem, now: datetime, lease: timedelta) -> OutboxItem:
    return item.model_copy(update={"attempts": item.attempts + 1, "locked_until": now + lease})


def abandoned(item: OutboxItem, policy: OutboxPolicy) -> bool:
    """Claimed more often than any outcome allows: workers keep dying on it."""
    return item.attempts > policy.max_attempts + CRASH_ALLOWANCE


def assess(item: OutboxItem, now: datetime, error: DeliveryFailed, policy: OutboxPolicy,
           rng: Callable[[], float] | None = None) -> Failure:
    """After a failed attempt of a claimed item: retry later or give up (dead letter)."""
    message = error.message[:ERROR_LIMIT]
    if not error.retryable or item.attempts >= policy.max_attempts:
        return Failure(message)
    delay = backoff(policy, item.attempts, rng)
    if error.retry_after is not None:  # the gateway said when; never beyond our own cap
        delay = min(max(delay, error.retry_after), policy.max_delay)
    return Failure(message, now + delay)


def sent(item: OutboxItem, now: datetime) -> OutboxItem:
    return _settled(item, OutboxStatus.SENT, sent_at=now, last_error=None)


def skipped(item: OutboxItem, reason: str) -> OutboxItem:
    return _settled(item, OutboxStatus.SKIPPED, last_error=reason)


def dead(item: OutboxItem, error: str) -> OutboxItem:
    return _settled(item, OutboxStatus.DEAD, last_error=error[:ERROR_LIMIT])


def retry_later(item: OutboxItem, due_at: datetime, error: str) -> OutboxItem:
    return _settled(item, OutboxStatus.PENDING, due_at=due_at, last_error=error[:ERROR_LIMIT])


def failed(item: OutboxItem, now: datetime, error: DeliveryFailed, policy: OutboxPolicy,
           rng: Callable[[], float] | None = None) -> OutboxItem:
    failure = assess(item, now, error, policy, rng)
    if failure.retry_at is None:
        return dead(item, failure.error)
    return retry_later(item, failure.retry_at, failure.error)


def _settled(item: OutboxItem, status: OutboxStatus, **changes: object) -> OutboxItem:
    return item.model_copy(update={"status": status, "locked_until": None, **changes})
