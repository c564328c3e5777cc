"""Owners: the people who drive and look after the vehicles."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from pydantic import BaseModel, ConfigDict

from domain import validation
from domain.errors import InvalidInput
from domain.ids import new_id
from domain.journey import OwnershipStage
from domain.notifications.model import NotificationPreferences
from domain.tariffs import HomeTariff

MAX_NAME = 100


class Owner(BaseModel):
    model_config = ConfigDict(frozen=True)
    id: str
    name: str
    email: str
    locale: str = "en"
    timezone: str = "UTC"
    home_tariff: HomeTariff | None = None
    notification_preferences: NotificationPreferences = NotificationPreferences()
    last_active_at: datetime | None = None  # the owner's last app use (re-engagement)
    region: str | None = None  # country code, e.g. DE: analytics group by it
    # As of the last stage sweep: the stage and model of the owner's newest vehicle.
    stage: OwnershipStage | None = None
    primary_model_id: str | None = None
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class OwnerRegistration:
    name: str
    email: str
    locale: str = "en"
    timezone: str = "UTC"
    region: str | None = None


def register(data: OwnerRegistration, now: datetime) -> Owner:
    """A new owner from raw input; raises InvalidInput/InvalidEmail on the first bad field."""
    return Owner(
        id=new_id(now),
        name=validation.bounded(data.name, "name", max_len=MAX_NAME),
        email=validation.email_address(data.email),
        locale=validation.locale_tag(data.locale),
        timezone=validation.timezone_name(data.timezone),
        region=region_code(data.region),
        created_at=now,
        updated_at=now,
    )


def search_term(value: str | None) -> str | None:
    return validation.optional_bounded(value, "search", max_len=MAX_NAME)


def region_code(value: str | None) -> str | None:
    """A region is a country code (ISO 3166-1 alpha-2, e.g. DE): analytics group by it."""
    if value is None:
        return None
    code = value.strip().upper()
    if len(code) != 2 or not code.isascii() or not code.isalpha():
        raise InvalidInput("region must be a two-letter country code, e.g. DE", field="region")
    return code
