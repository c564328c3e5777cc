"""Consent, mutes, quiet hours (across midnight, time zones, DST), the daily cap and expiry."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from domain.notifications.model import (
    Candidate,
    Category,
    Kind,
    NotificationPreferences,
    Priority,
    QuietHours,
)
from domain.notifications.policy import Suppressed, schedule

NIGHT = QuietHours(start=time(22), end=time(7))


def candidate(kind: Kind = Kind.SERVICE_DUE, priority: Priority = Priority.NORMAL,
              **fields: object) -> Candidate:
    return Candidate(kind=kind, owner_id="o", vehicle_id="v", priority=priority,
                     dedup_key="k", dedup_window=timedelta(days=1), **fields)  # type: ignore[arg-type]


def prefs(**fields: object) -> NotificationPreferences:
    return NotificationPreferences(**{"quiet_hours": NIGHT, **fields})


def at(hour: int, minute: int = 0, day: int = 10) -> datetime:
    return datetime(2026, 3, day, hour, minute, tzinfo=UTC)


def test_outside_quiet_hours_it_is_delivered_now() -> None:
    decision = schedule(candidate(), prefs(), "UTC", at(12), [])
    assert decision.deliver_after == at(12)


def test_late_evening_is_deferred_to_the_morning_after_midnight() -> None:
    decision = schedule(candidate(), prefs(), "UTC", at(23, 30), [])
    assert decision.deliver_after == at(7, day=11)
    assert decision.suppressed is None


def test_early_morning_is_deferred_to_the_same_morning() -> None:
    assert schedule(candidate(), prefs(), "UTC", at(3), []).deliver_after == at(7)


def test_quiet_hours_are_read_in_the_owner_time_zone() -> None:
    # 21:00 UTC is 22:00 in Berlin (CET, +1): quiet there, and over at 07:00 local = 06:00 UTC.
    decision = schedule(candidate(), prefs(), "Europe/Berlin", at(21), [])
    assert decision.deliver_after == at(6, day=11)
    # 21:00 UTC is 16:00 in New York (EST, -5): not quiet.
    assert schedule(candidate(), prefs(), "America/New_York", at(21), []).deliver_after == at(21)


def test_a_window_within_one_day_ends_the_same_day() -> None:
    siesta = prefs(quiet_hours=QuietHours(start=time(13), end=time(15)))
    assert schedule(candidate(), siesta, "UTC", at(14), []).deliver_after == at(15)
    assert schedule(candidate(), siesta, "UTC", at(16), []).deliver_after == at(16)


def test_quiet_hours_end_right_on_a_dst_change() -> None:
    # Berlin springs forward on 29 March 2026: 07:00 local is then 05:00 UTC, not 06:00.
    decision = schedule(candidate(), prefs(), "Europe/Berlin",
                        datetime(2026, 3, 28, 23, tzinfo=UTC), [])
    assert decision.deliver_after == datetime(2026, 3, 29, 5, tzinfo=UTC)


def test_critical_bypasses_quiet_hours_and_mutes() -> None:
    muted = prefs(muted_categories=(Category.VEHICLE_ALERT,))
    decision = schedule(candidate(Kind.FAULT_DETECTED, Priority.CRITICAL), muted, "UTC",
                        at(2), [])
    assert decision.deliver_after == at(2)


def test_high_priority_does_not_bypass_quiet_hours() -> None:
    decision = schedule(candidate(Kind.FAULT_DETECTED, Priority.HIGH), prefs(), "UTC", at(2), [])
    assert decision.deliver_after == at(7)


def test_a_muted_category_is_not_sent() -> None:
    muted = prefs(muted_categories=(Category.SERVICE,))
    assert schedule(candidate(), muted, "UTC", at(12), []).suppressed is Suppressed.MUTED


def test_usage_based_tips_need_consent() -> None:
    tip = candidate(Kind.TIP_DC_FAST_SHARE, Priority.LOW)
    assert schedule(tip, prefs(), "UTC", at(12), []).suppressed is Suppressed.NO_CONSENT
    agreed = prefs(allow_usage_based_tips=True)
    assert schedule(tip, agreed, "UTC", at(12), []).deliver_after == at(12)


def test_over_the_daily_cap_it_waits_for_the_next_day() -> None:
    booked = [at(8), at(9), at(10)]
    decision = schedule(candidate(), prefs(max_per_day=3), "UTC", at(12), booked)
    assert decision.deliver_after == at(7, day=11)  # the next day, after its quiet hours


def test_the_cap_counts_local_days() -> None:
    # In Tokyo (+9) 20:00 UTC on the 9th is already the 10th: those count for the 10th.
    booked = [at(20, day=9), at(21, day=9)]
    decision = schedule(candidate(), prefs(max_per_day=2, quiet_hours=None), "Asia/Tokyo",
                        at(1), booked)
    assert decision.deliver_after == datetime(2026, 3, 10, 15, tzinfo=UTC)  # midnight, Tokyo


def test_critical_ignores_the_cap() -> None:
    booked = [at(8), at(9)]
    decision = schedule(candidate(Kind.FAULT_DETECTED, Priority.CRITICAL), prefs(max_per_day=2),
                        "UTC", at(12), booked)
    assert decision.deliver_after == at(12)


def test_a_deferral_past_expiry_drops_it() -> None:
    soon = candidate(expires_at=at(23, 45))
    assert schedule(soon, prefs(), "UTC", at(23, 30), []).suppressed is Suppressed.EXPIRED


def test_a_reminder_is_scheduled_for_its_own_time() -> None:
    reminder = candidate(Kind.APPOINTMENT_REMINDER, deliver_at=at(9, day=12))
    assert schedule(reminder, prefs(), "UTC", at(12), []).deliver_after == at(9, day=12)


def test_a_cap_full_every_day_gives_up_after_a_week() -> None:
    booked = [at(12, day=day) for day in range(10, 20)]
    decision = schedule(candidate(), prefs(max_per_day=1), "UTC", at(12), booked)
    assert decision.suppressed is Suppressed.CAPPED
