"""The outbox's rules: backoff, dead-lettering, which failures retry, and item transitions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from domain.errors import InvalidInput
from domain.notifications import outbox
from domain.notifications.devices import push_device
from domain.notifications.model import (
    Category,
    Channel,
    Kind,
    Notification,
    OutboxItem,
    OutboxStatus,
    Priority,
    PushPlatform,
    outbox_items,
)
from domain.notifications.outbox import DeliveryFailed, OutboxPolicy

NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
POLICY = OutboxPolicy(max_attempts=4)
RETRYABLE = DeliveryFailed("HTTP 503", retryable=True)
PERMANENT = DeliveryFailed("HTTP 400", retryable=False)


def _item(**fields: object) -> OutboxItem:
    values: dict[str, object] = {
        "id": "n1:PUSH", "notification_id": "n1", "owner_id": "o1", "channel": Channel.PUSH,
        "payload": {"title": "Hi"}, "due_at": NOW, "created_at": NOW, **fields}
    return OutboxItem.model_validate(values)


def test_backoff_doubles_from_thirty_seconds_up_to_an_hour() -> None:
    delays = [outbox.backoff(OutboxPolicy(), n) for n in range(1, 10)]
    assert [d.total_seconds() for d in delays] == [30, 60, 120, 240, 480, 960, 1920, 3600, 3600]


def test_backoff_never_overflows_on_absurd_attempt_counts() -> None:
    assert outbox.backoff(OutboxPolicy(), 10_000) == timedelta(hours=1)


@pytest.mark.parametrize(("draw", "seconds"), [(0.0, 120.0), (0.5, 108.0), (0.999, 96.024)])
def test_jitter_only_shortens_a_delay_by_up_to_its_share(draw: float, seconds: float) -> None:
    delay = outbox.backoff(OutboxPolicy(jitter=0.2), 3, lambda: draw)
    assert delay.total_seconds() == pytest.approx(seconds)


def test_jitter_never_exceeds_the_cap() -> None:
    assert outbox.backoff(OutboxPolicy(), 30, lambda: 0.0) == timedelta(hours=1)


@pytest.mark.parametrize("fields", [{"max_attempts": 0}, {"jitter": 1.0}, {"jitter": -0.1},
                                    {"first_delay": timedelta()}])
def test_a_policy_refuses_nonsense(fields: dict[str, object]) -> None:
    with pytest.raises(ValueError, match="max_attempts"):
        OutboxPolicy(**fields)  # type: ignore[arg-type]


@pytest.mark.parametrize(("status", "retryable"), [
    (400, False), (401, False), (403, False), (404, False), (410, False), (422, False),
    (408, True), (429, True), (500, True), (502, True), (503, True), (504, True),
])
def test_client_errors_except_timeout_and_throttling_are_final(status: int,
                                                               retryable: bool) -> None:
    assert outbox.retryable_status(status) is retryable


def test_a_due_unleased_pending_item_is_claimable() -> None:
    assert outbox.is_due(_item(), NOW)
    assert not outbox.is_due(_item(due_at=NOW + timedelta(seconds=1)), NOW)
    assert not outbox.is_due(_item(locked_until=NOW + timedelta(seconds=1)), NOW)
    assert outbox.is_due(_item(locked_until=NOW), NOW)  # the lease ran out
    assert not outbox.is_due(_item(status=OutboxStatus.SENT), NOW)


def test_a_claim_counts_an_attempt_and_leases_the_item() -> None:
    item = outbox.claimed(_item(attempts=2), NOW, timedelta(minutes=2))
    assert item.attempts == 3
    assert item.locked_until == NOW + timedelta(minutes=2)
    assert not outbox.is_due(item, NOW + timedelta(minutes=1))
    assert outbox.is_due(item, NOW + timedelta(minutes=2))


def test_a_retryable_failure_comes_back_after_the_backoff() -> None:
    item = outbox.claimed(_item(), NOW, POLICY.lease)
    after = outbox.failed(item, NOW, RETRYABLE, POLICY)
    assert after.status is OutboxStatus.PENDING
    assert after.due_at == NOW + timedelta(seconds=30)
    assert after.locked_until is None
    assert after.last_error == "HTTP 503"


def test_the_last_allowed_attempt_failing_makes_the_item_dead() -> None:
    item = _item(attempts=POLICY.max_attempts)
    after = outbox.failed(item, NOW, RETRYABLE, POLICY)
    assert after.status is OutboxStatus.DEAD
    assert after.last_error == "HTTP 503"


def test_a_permanent_failure_is_dead_at_once() -> None:
    assert outbox.failed(_item(attempts=1), NOW, PERMANENT, POLICY).status is OutboxStatus.DEAD


def test_retry_after_from_the_gateway_stretches_the_delay_up_to_the_cap() -> None:
    throttled = DeliveryFailed("HTTP 429", retryable=True, retry_after=timedelta(minutes=10))
    assert outbox.assess(_item(attempts=1), NOW, throttled, POLICY).retry_at == (
        NOW + timedelta(minutes=10))
    forever = DeliveryFailed("HTTP 429", retryable=True, retry_after=timedelta(days=1))
    assert outbox.assess(_item(attempts=1), NOW, forever, POLICY).retry_at == (
        NOW + timedelta(hours=1))


def test_long_errors_are_cut() -> None:
    after = outbox.failed(_item(attempts=1), NOW, DeliveryFailed("x" * 5000, retryable=True),
                          POLICY)
    assert len(after.last_error or "") == outbox.ERROR_LIMIT


def test_sent_and_skipped_release_the_lease() -> None:
    item = outbox.claimed(_item(), NOW, POLICY.lease)
    sent = outbox.sent(item, NOW)
    assert (sent.status, sent.sent_at, sent.locked_until) == (OutboxStatus.SENT, NOW, None)
    skipped = outbox.skipped(item, "no device")
    assert (skipped.status, skipped.last_error) == (OutboxStatus.SKIPPED, "no device")


def test_an_item_its_workers_keep_dying_on_is_abandoned_after_a_few_extra_claims() -> None:
    limit = POLICY.max_attempts + outbox.CRASH_ALLOWANCE
    assert not outbox.abandoned(_item(attempts=limit), POLICY)
    assert outbox.abandoned(_item(attempts=limit + 1), POLICY)


def test_only_push_needs_a_device() -> None:
    assert outbox.needs_device(Channel.PUSH)
    assert not outbox.needs_device(Channel.EMAIL)


def test_outbox_items_skip_the_inbox_and_key_each_channel() -> None:
    notification = Notification(
        id="n9", owner_id="o1", vehicle_id=None, kind=Kind.SERVICE_DUE,
        category=Category.SERVICE, priority=Priority.NORMAL, title="Service due", body="Book it",
        locale="en", deep_link=None, data={}, dedup_key="k",
        channels=(Channel.IN_APP, Channel.PUSH, Channel.EMAIL), created_at=NOW,
        deliver_after=NOW)
    items = outbox_items(notification, NOW)
    assert [item.id for item in items] == ["n9:PUSH", "n9:EMAIL"]
    assert all(item.payload["title"] == "Service due" for item in items)


def test_a_device_token_is_trimmed_and_checked() -> None:
    device = push_device("o1", "  abcdefgh  ", "IOS", NOW)
    assert (device.token, device.platform) == ("abcdefgh", PushPlatform.IOS)
    assert push_device("o1", "t" * 4096, PushPlatform.WEB, NOW).platform is PushPlatform.WEB


@pytest.mark.parametrize(("token", "platform", "field"), [
    ("short", "IOS", "token"), ("t" * 4097, "IOS", "token"), ("abc\ndefgh", "IOS", "token"),
    ("abcdefgh", "BLACKBERRY", "platform"),
])
def test_a_bad_device_is_refused(token: str, platform: str, field: str) -> None:
    with pytest.raises(InvalidInput) as raised:
        push_device("o1", token, platform, NOW)
    assert raised.value.field == field

