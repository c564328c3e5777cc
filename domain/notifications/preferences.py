"""Changing notification preferences: a partial update, validated field by field."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import time

from domain import validation
from domain.errors import InvalidInput
from domain.notifications.model import Category, Channel, NotificationPreferences, QuietHours
from domain.owners import Owner

MAX_PER_DAY = 50


@dataclass(frozen=True, slots=True)
class PreferenceChanges:
    """None leaves a field as it is. Quiet hours with start == end switch them off."""

    channels: tuple[Channel, ...] | None = None
    quiet_hours: tuple[time, time] | None = None
    timezone: str | None = None
    locale: str | None = None
    muted_categories: tuple[Category, ...] | None = None
    max_per_day: int | None = None
    allow_usage_based_tips: bool | None = None


@dataclass(frozen=True, slots=True)
class Settings:
    preferences: NotificationPreferences
    locale: str
    timezone: str


def apply(owner: Owner, changes: PreferenceChanges) -> Settings:
    current = owner.notification_preferences
    updates: dict[str, object] = {}
    if changes.channels is not None:
        # The inbox always receives everything; channels choose what else is used.
        updates["channels"] = tuple(dict.fromkeys((Channel.IN_APP, *changes.channels)))
    if changes.quiet_hours is not None:
        start, end = changes.quiet_hours
        updates["quiet_hours"] = None if start == end else QuietHours(start=start, end=end)
    if changes.muted_categories is not None:
        updates["muted_categories"] = tuple(dict.fromkeys(changes.muted_categories))
    if changes.max_per_day is not None:
        if not 1 <= changes.max_per_day <= MAX_PER_DAY:
            raise InvalidInput(f"maxPerDay must be between 1 and {MAX_PER_DAY}",
                               field="maxPerDay")
        updates["max_per_day"] = changes.max_per_day
    if changes.allow_usage_based_tips is not None:
        updates["allow_usage_based_tips"] = changes.allow_usage_based_tips
    return Settings(
        preferences=current.model_copy(update=updates),
        locale=validation.locale_tag(changes.locale) if changes.locale else owner.locale,
        timezone=(validation.timezone_name(changes.timezone) if changes.timezone
                  else owner.timezone))
