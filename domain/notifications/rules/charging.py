"""Charging habits (only with the owner's consent to usage-based tips) and onboarding nudges."""

from __future__ import annotations

from datetime import timedelta

from domain.charging import ChargingSessionRecorded, LocationType
from domain.events import VehicleRegistered
from domain.notifications.model import Candidate, Kind, Priority, Withdrawal
from domain.notifications.rules.facts import APP, DAY, Facts, Proposal, Rules

DC_SHARE_TIP = 0.5  # over half the energy from DC fast chargers
HIGH_SOC_TIP_SESSIONS = 10
MIN_CYCLES = 5.0  # too little history says nothing about habits
ONBOARDING = timedelta(days=90)
GUIDE_AFTER = timedelta(days=3)
PUBLIC = frozenset({LocationType.PUBLIC_AC, LocationType.PUBLIC_DC})


def habits(event: ChargingSessionRecorded, facts: Facts) -> list[Proposal]:
    """Tips from the battery's stress figures; the policy drops them without consent."""
    health = facts.health
    if health is None or health.equivalent_full_cycles < MIN_CYCLES:
        return []
    tips: list[Proposal] = []
    share = health.dc_fast_energy_share
    if share is not None and share >= DC_SHARE_TIP:
        tips.append(_tip(event, facts, Kind.TIP_DC_FAST_SHARE, {"share": round(share * 100)}))
    if health.high_soc_sessions >= HIGH_SOC_TIP_SESSIONS:
        tips.append(_tip(event, facts, Kind.TIP_HIGH_SOC, {"count": health.high_soc_sessions}))
    return tips


def first_public_charge_done(event: ChargingSessionRecorded, facts: Facts) -> list[Proposal]:
    vehicle = facts.vehicle
    if (event.location_type not in PUBLIC or vehicle is None
            or event.at - vehicle.delivered_at > ONBOARDING):
        return []
    return [Withdrawal(facts.owner.id, _guide_key(event.vehicle_id))]


def public_charging_guide(event: VehicleRegistered, facts: Facts) -> list[Proposal]:
    """Three days after delivery, unless a public charge came first (it withdraws the guide)."""
    vehicle = facts.vehicle
    if vehicle is None or facts.now - vehicle.delivered_at >= ONBOARDING:
        return []
    return [Candidate(
        kind=Kind.ONBOARDING_PUBLIC_CHARGING, owner_id=facts.owner.id, vehicle_id=vehicle.id,
        priority=Priority.LOW, dedup_key=_guide_key(vehicle.id), dedup_window=ONBOARDING,
        params={"vehicle": facts.vehicle_name}, deep_link=f"{APP}guides/public-charging",
        deliver_at=max(vehicle.delivered_at + GUIDE_AFTER, facts.now),
        expires_at=vehicle.delivered_at + ONBOARDING, withdraw_key=_guide_key(vehicle.id))]


def _tip(event: ChargingSessionRecorded, facts: Facts, kind: Kind,
         numbers: dict[str, int]) -> Candidate:
    return Candidate(
        kind=kind, owner_id=facts.owner.id, vehicle_id=event.vehicle_id, priority=Priority.LOW,
        dedup_key=f"{event.vehicle_id}:{kind.value}", dedup_window=60 * DAY,
        params={"vehicle": facts.vehicle_name, **numbers},
        deep_link=f"{APP}vehicles/{event.vehicle_id}/battery", data=dict(numbers))


def _guide_key(vehicle_id: str) -> str:
    return f"{vehicle_id}:guide:public-charging"


RULES: Rules = {
    ChargingSessionRecorded: [habits, first_public_charge_done],
    VehicleRegistered: [public_charging_guide],
}
