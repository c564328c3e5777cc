"""Privacy: consent records, the data export's limits, and erasure with pseudonymous analytics.

Erasure keeps analytics only under pseudonyms: an HMAC of the id with a random salt that lives
in the erasure record while the erasure runs (so a re-run after a crash gives the same
pseudonyms, and one person stays one distinct owner in k-anonymity counts) and is deleted with
it. Afterwards nobody, holding the old id or not, can link a pseudonym back to the person.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import date, datetime, time
from enum import Enum, StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict

from domain.errors import InvalidInput
from domain.events import DomainEvent
from domain.ids import new_id
from domain.notifications.model import NotificationPreferences

CONFIRM_DELETION = "DELETE"
EXPORT_CAP = 10_000  # items per collection in an export; more are reported as truncated
RAW_TELEMETRY_DAYS = 90  # raw events in an export; older ones only as a summary
HISTORY_CAP = 100  # consent records returned through the API (the export has them all)
VISIBLE_TOKEN_CHARS = 4


class ConsentPurpose(StrEnum):
    USAGE_BASED_TIPS = "USAGE_BASED_TIPS"
    MARKETING = "MARKETING"
    TELEMETRY_ANALYTICS = "TELEMETRY_ANALYTICS"
    PUSH_NOTIFICATIONS = "PUSH_NOTIFICATIONS"


class ConsentSource(StrEnum):
    APP = "APP"  # recordConsent: the owner's answer on a consent screen
    PREFERENCES = "PREFERENCES"  # the owner's notification preferences
    ADMIN = "ADMIN"  # changed by an administrator on the owner's behalf


class Consent(BaseModel):
    """One record of the append-only history: the newest per purpose is the current answer."""

    model_config = ConfigDict(frozen=True)
    id: str
    owner_id: str
    purpose: ConsentPurpose
    granted: bool
    at: datetime
    source: ConsentSource


@dataclass(frozen=True, slots=True)
class ConsentState:
    """A purpose's current answer; `at` and `source` are None when nothing was ever recorded."""

    purpose: ConsentPurpose
    granted: bool
    at: datetime | None
    source: ConsentSource | None


def consent(owner_id: str, purpose: ConsentPurpose, granted: bool, source: ConsentSource,
            now: datetime) -> Consent:
    return Consent(id=new_id(now), owner_id=owner_id, purpose=ConsentPurpose(purpose),
                   granted=granted, at=now, source=source)


def tips_consent_change(owner_id: str, before: NotificationPreferences,
                        after: NotificationPreferences, source: ConsentSource,
                        now: datetime) -> Consent | None:
    """The record a preference change owes the history: one when `allowUsageBasedTips` moved."""
    if before.allow_usage_based_tips == after.allow_usage_based_tips:
        return None
    return consent(owner_id, ConsentPurpose.USAGE_BASED_TIPS, after.allow_usage_based_tips,
                   source, now)


def current_consents(latest: list[Consent],
                     preferences: NotificationPreferences) -> list[ConsentState]:
    """Every purpose's current state. Usage-based tips are read from the notification
    preference (what the notification policy obeys); the history dates and explains it."""
    newest = {c.purpose: c for c in sorted(latest, key=lambda c: (c.at, c.id))}
    states = []
    for purpose in ConsentPurpose:
        record = newest.get(purpose)
        granted = record.granted if record else False
        if purpose is ConsentPurpose.USAGE_BASED_TIPS:
            granted = preferences.allow_usage_based_tips
        if record is not None and record.granted == granted:
            states.append(ConsentState(purpose, granted, record.at, record.source))
        else:
            states.append(ConsentState(purpose, granted, None, None))
    return states


@dataclass(frozen=True, slots=True)
class ConsentRecorded(DomainEvent):
    owner_id: str
    purpose: ConsentPurpose
    granted: bool


def check_confirmation(text: str) -> None:
    if text != CONFIRM_DELETION:
        raise InvalidInput(f'type {CONFIRM_DELETION} to confirm: deleting an account cannot be '
                           'undone', field="confirm")


@dataclass(frozen=True, slots=True)
class Erasure:
    """An erasure under way: what it must find again if it is re-run after a crash."""

    owner_id: str
    salt: str
    vehicle_ids: tuple[str, ...]
    vins: tuple[str, ...]
    started_at: datetime

    def pseudonym(self, value: str) -> str:
        return pseudonym(self.salt, value)


@dataclass(frozen=True, slots=True)
class ErasedCollection:
    collection: str
    deleted: int = 0
    anonymised: int = 0


@dataclass(frozen=True, slots=True)
class AccountErased(DomainEvent):
    owner_id: str
    cancelled_appointments: int


def new_salt() -> str:
    return secrets.token_hex(32)


def pseudonym(salt: str, value: str) -> str:
    """24 hex characters, like an id: stable for one salt, unlinkable once the salt is gone."""
    return hmac.new(bytes.fromhex(salt), value.encode(), hashlib.sha256).hexdigest()[:24]


def anonymous_id(salt: str, value: str) -> str:
    """A new id for a re-keyed document: a time-ordered id keeps its time (the first 12
    characters are the creation millisecond) and gets a pseudonymous tail."""
    tail = pseudonym(salt, value)
    return value[:12] + tail[:12] if _is_id(value) else tail


def _is_id(value: str) -> bool:
    return len(value) == 24 and all(c in "0123456789abcdef" for c in value)


def masked_token(token: str) -> str:
    """A push token in an export: enough to recognise a device, not to send to it."""
    return "*" * max(len(token) - VISIBLE_TOKEN_CHARS, 0) + token[-VISIBLE_TOKEN_CHARS:]


def jsonable(value: Any) -> Any:
    """Stored values as plain JSON: times as ISO 8601 strings, `_id` as `id`."""
    if isinstance(value, dict):
        return {("id" if key == "_id" else str(key)): jsonable(item)
                for key, item in value.items() if key != "schemaVersion"}
    if isinstance(value, list | tuple):
        return [jsonable(item) for item in value]
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)
