"""Re-engagement: an owner who has not opened the app for a long time."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from domain.events import DomainEvent
from domain.notifications.model import Candidate, Kind, Priority
from domain.notifications.rules.facts import APP, DAY, Facts, Proposal, Rules

LAPSED_AFTER = timedelta(days=60)


@dataclass(frozen=True, slots=True)
class OwnerLapsed(DomainEvent):
    """Found by a periodic sweep: no app activity for `LAPSED_AFTER`."""

    owner_id: str
    vehicle_id: str | None
    inactive_days: int


def re_engage(event: OwnerLapsed, facts: Facts) -> list[Proposal]:
    return [Candidate(
        kind=Kind.RE_ENGAGEMENT, owner_id=facts.owner.id, vehicle_id=event.vehicle_id,
        priority=Priority.LOW, dedup_key=f"{facts.owner.id}:re-engagement",
        dedup_window=30 * DAY,
        params={"vehicle": facts.vehicle_name or "Volta", "name": facts.owner.name.split()[0]},
        deep_link=f"{APP}home", data={"inactiveDays": event.inactive_days})]


RULES: Rules = {OwnerLapsed: [re_engage]}
