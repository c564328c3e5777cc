"""When (and whether) a proposed notification reaches the owner: consent, mutes, quiet hours, cap.

Only CRITICAL (safety, security) bypasses quiet hours, mutes and the cap; nothing else does.
Quiet hours and the cap defer a notification, they never drop it, unless it would expire first.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from domain.notifications.model import (
    CATEGORY,
    USAGE_BASED,
    Candidate,
    NotificationPreferences,
    Priority,
    QuietHours,
)

MAX_DEFER_DAYS = 7  # a full cap every day for a week: give up rather than pile up


class Suppressed(StrEnum):
    NO_CONSENT = "NO_CONSENT"
    MUTED = "MUTED"
    EXPIRED = "EXPIRED"
    CAPPED = "CAPPED"


@dataclass(frozen=True, slots=True)
class Schedule:
    """A decision: deliver at `deliver_after`, or not at all (`suppressed`)."""

    deliver_after: datetime | None
    suppressed: Suppressed | None = None


def schedule(candidate: Candidate, prefs: NotificationPreferences, timezone: str,
             now: datetime, booked: Sequence[datetime]) -> Schedule:
    """`booked`: when the owner's other non-critical notifications are (to be) delivered."""
    if (choice := suppressed_by_choice(candidate, prefs)) is not None:
        return Schedule(None, choice)
    at = max(candidate.deliver_at or now, now)
    if candidate.priority is not Priority.CRITICAL:
        found = _first_free_time(at, prefs, ZoneInfo(timezone), booked)
        if found is None:
            return Schedule(None, Suppressed.CAPPED)
        at = found
    if candidate.expires_at is not None and at >= candidate.expires_at:
        return Schedule(None, Suppressed.EXPIRED)
    return Schedule(at)


def _first_free_time(at: datetime, prefs: NotificationPreferences, zone: ZoneInfo,
                     booked: Sequence[datetime]) -> datetime | None:
    """The first time outside quiet hours on a local day that is still under the cap."""
    per_day: dict[date, int] = {}
    for moment in booked:
        day = moment.astimezone(zone).date()
        per_day[day] = per_day.get(day, 0) + 1
    for _ in range(MAX_DEFER_DAYS + 1):
        at = after_quiet_hours(at, prefs.quiet_hours, zone)
        day = at.astimezone(zone).date()
        if per_day.get(day, 0) < prefs.max_per_day:
            return at
        at = local_midnight(day + timedelta(days=1), zone)
    return None


def in_quiet_hours(at: datetime, quiet: QuietHours | None, zone: ZoneInfo) -> bool:
    if quiet is None or quiet.start == quiet.end:
        return False
    clock = at.astimezone(zone).time()
    if quiet.start < quiet.end:
        return quiet.start <= clock < quiet.end
    return clock >= quiet.start or clock < quiet.end


def after_quiet_hours(at: datetime, quiet: QuietHours | None, zone: ZoneInfo) -> datetime:
    """`at` itself outside quiet hours, else the local time the window ends."""
    if quiet is None or not in_quiet_hours(at, quiet, zone):
        return at
    local = at.astimezone(zone)
    end_day = local.date()
    if quiet.start > quiet.end and local.time() >= quiet.start:
        end_day += timedelta(days=1)  # the window spans midnight: it ends tomorrow
    return local_time(end_day, quiet.end, zone)


def local_time(day: date, clock: time, zone: ZoneInfo) -> datetime:
    """A local wall-clock time as UTC. A time a DST change skips maps to just after the gap
    (fold=0 reads it with the offset before the change); a repeated time, to its first pass."""
    return datetime.combine(day, clock, tzinfo=zone).astimezone(UTC)


def local_midnight(day: date, zone: ZoneInfo) -> datetime:
    return local_time(day, time(0), zone)


def booking_span(now: datetime) -> tuple[datetime, datetime]:
    """The span of `booked` times `schedule` needs, in any time zone: the owner's local today
    (which may have begun up to a day ago) and the days it may defer to."""
    return now - timedelta(days=1), now + timedelta(days=MAX_DEFER_DAYS + 2)


def suppressed_by_choice(candidate: Candidate, prefs: NotificationPreferences
                         ) -> Suppressed | None:
    """The owner's own choices (consent, mutes), checked before anything is claimed."""
    if candidate.kind in USAGE_BASED and not prefs.allow_usage_based_tips:
        return Suppressed.NO_CONSENT
    if (candidate.priority is not Priority.CRITICAL
            and CATEGORY[candidate.kind] in prefs.muted_categories):
        return Suppressed.MUTED
    return None
