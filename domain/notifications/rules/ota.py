"""Software updates: offered, a reminder before the chosen time, installed, failed."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

from domain.notifications.model import Candidate, Kind, Priority, Withdrawal
from domain.notifications.rules.facts import APP, DAY, Facts, Proposal, Rules, booking_link
from domain.notifications.texts import language
from domain.ota import (
    Criticality,
    UpdateEvent,
    UpdateFailed,
    UpdateInstalled,
    UpdateOffered,
    UpdateScheduled,
)

REMIND_BEFORE = timedelta(hours=1)
URGENT = frozenset({Criticality.SECURITY, Criticality.SAFETY})


def offered(event: UpdateOffered, facts: Facts) -> list[Proposal]:
    urgent = facts.release is not None and facts.release.criticality in URGENT
    return [_candidate(event, facts, Kind.UPDATE_OFFERED,
                       Priority.CRITICAL if urgent else Priority.NORMAL,
                       dedup_key=f"{event.update_id}:offered")]


def scheduled_reminder(event: UpdateScheduled, facts: Facts) -> list[Proposal]:
    """Withdraws the reminder for an earlier time; a new time gets its own reminder."""
    proposals: list[Proposal] = [_withdraw_reminder(event)]
    if event.scheduled_for is not None and event.scheduled_for > facts.now:
        proposals.append(_candidate(
            event, facts, Kind.UPDATE_REMINDER, Priority.NORMAL,
            dedup_key=f"{event.update_id}:reminder:{event.scheduled_for.isoformat()}",
            deliver_at=event.scheduled_for - REMIND_BEFORE, expires_at=event.scheduled_for,
            time=facts.local(event.scheduled_for).strftime("%H:%M")))
    return proposals


def installed(event: UpdateInstalled, facts: Facts) -> list[Proposal]:
    return [_withdraw_reminder(event),
            _candidate(event, facts, Kind.UPDATE_INSTALLED, Priority.LOW,
                       dedup_key=f"{event.update_id}:installed")]


def failed(event: UpdateFailed, facts: Facts) -> list[Proposal]:
    concern = f"Software update {event.version} failed: {event.failure_reason or 'unknown'}"
    candidate = _candidate(event, facts, Kind.UPDATE_FAILED, Priority.HIGH,
                           dedup_key=f"{event.update_id}:failed:{event.status.value}")
    return [_withdraw_reminder(event),
            replace(candidate, deep_link=booking_link(event.vehicle_id, concern),
                    data={**candidate.data, "concern": concern})]


def _candidate(event: UpdateEvent, facts: Facts, kind: Kind, priority: Priority, *,
               dedup_key: str, deliver_at: datetime | None = None,
               expires_at: datetime | None = None,
               **extra: str) -> Candidate:
    release = facts.release
    notes = _notes(facts) if release else ""
    minutes = release.estimated_install_minutes if release else 0
    return Candidate(
        kind=kind, owner_id=facts.owner.id, vehicle_id=event.vehicle_id, priority=priority,
        dedup_key=dedup_key, dedup_window=3650 * DAY,
        params={"vehicle": facts.vehicle_name, "version": event.version, "notes": notes,
                "minutes": minutes, **extra},
        deep_link=f"{APP}vehicles/{event.vehicle_id}/updates/{event.update_id}",
        data={"updateId": event.update_id, "version": event.version,
              "status": event.status.value},
        deliver_at=deliver_at, expires_at=expires_at,
        withdraw_key=f"{event.update_id}:reminder" if kind is Kind.UPDATE_REMINDER else None)


def _notes(facts: Facts) -> str:
    assert facts.release is not None
    notes = facts.release.notes
    lang = language(facts.owner.locale)
    return notes.get(lang) or notes.get("en") or next(iter(notes.values()), "")


def _withdraw_reminder(event: UpdateEvent) -> Withdrawal:
    return Withdrawal(event.owner_id, f"{event.update_id}:reminder")


RULES: Rules = {
    UpdateOffered: [offered],
    UpdateScheduled: [scheduled_reminder],
    UpdateInstalled: [installed],
    UpdateFailed: [failed],
}
