"""Trips with charging stops: a reminder to charge to the planned SoC the night before."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from domain.notifications.model import Candidate, Kind, Priority
from domain.notifications.policy import local_time
from domain.notifications.rules.facts import APP, DAY, Facts, Proposal, Rules
from domain.trips import TripPlanned

EVENING = time(19)
MIN_NOTICE = timedelta(hours=3)  # closer to departure a charge cannot make a difference


def charge_before_trip(event: TripPlanned, facts: Facts) -> list[Proposal]:
    if event.depart_at is None or event.depart_at - facts.now < MIN_NOTICE:
        return []
    evening = _evening_before(event.depart_at, facts)
    return [Candidate(
        kind=Kind.TRIP_CHARGE_REMINDER, owner_id=facts.owner.id, vehicle_id=event.vehicle_id,
        priority=Priority.NORMAL,
        dedup_key=f"{event.vehicle_id}:trip:{event.depart_at.isoformat()}",
        dedup_window=2 * DAY,
        params={"vehicle": facts.vehicle_name, "soc": event.departure_soc,
                "stops": event.charging_stops, "depart": facts.local(event.depart_at)},
        deep_link=f"{APP}vehicles/{event.vehicle_id}/charging",
        data={"departAt": event.depart_at.isoformat(), "targetSocPercent": event.departure_soc,
              "chargingStops": event.charging_stops},
        deliver_at=max(evening, facts.now), expires_at=event.depart_at)]


def _evening_before(depart_at: datetime, facts: Facts) -> datetime:
    """19:00 local on the day before departure (or on the day, for an evening departure)."""
    local = facts.local(depart_at)
    day = local.date() - (timedelta(days=1) if local.time() < time(21) else timedelta())
    return local_time(day, EVENING, facts.zone)


RULES: Rules = {TripPlanned: [charge_before_trip]}
