"""Battery health: below a threshold, or ageing faster than expected."""

from __future__ import annotations

from domain.battery import BatteryFadingFasterThanExpected, BatteryHealthBelowThreshold
from domain.notifications.model import Candidate, Kind, Priority
from domain.notifications.rules.facts import APP, DAY, Facts, Proposal, Rules


def health_below_threshold(event: BatteryHealthBelowThreshold, facts: Facts) -> list[Proposal]:
    # SoH estimates wobble around a line; one notice per threshold a year is enough.
    return [Candidate(
        kind=Kind.BATTERY_HEALTH_LOW, owner_id=facts.owner.id, vehicle_id=event.vehicle_id,
        priority=Priority.HIGH, dedup_key=f"{event.vehicle_id}:soh-below:{event.threshold:g}",
        dedup_window=365 * DAY,
        params={"vehicle": facts.vehicle_name, "soh": event.state_of_health_percent,
                "threshold": event.threshold},
        deep_link=f"{APP}vehicles/{event.vehicle_id}/battery",
        data={"stateOfHealthPercent": event.state_of_health_percent,
              "thresholdPercent": event.threshold})]


def fading_fast(event: BatteryFadingFasterThanExpected, facts: Facts) -> list[Proposal]:
    return [Candidate(
        kind=Kind.BATTERY_FADING_FAST, owner_id=facts.owner.id, vehicle_id=event.vehicle_id,
        priority=Priority.NORMAL, dedup_key=f"{event.vehicle_id}:fading-fast",
        dedup_window=90 * DAY,
        params={"vehicle": facts.vehicle_name, "fade": event.fade_percent_per_year or 0.0},
        deep_link=f"{APP}vehicles/{event.vehicle_id}/battery",
        data={"fadePercentPerYear": event.fade_percent_per_year,
              "stateOfHealthPercent": event.state_of_health_percent})]


RULES: Rules = {
    BatteryHealthBelowThreshold: [health_below_threshold],
    BatteryFadingFasterThanExpected: [fading_fast],
}
