"""Live telemetry: faults that call for a visit, and a low battery at night with no charge."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import time, timedelta

from domain.notifications.model import Candidate, Kind, Priority
from domain.notifications.rules.facts import APP, DAY, Facts, Proposal, Rules, booking_link
from domain.telemetry import FaultCodesReported, VehicleStatusReported

LOW_SOC_PERCENT = 20.0
NIGHT_FROM, NIGHT_UNTIL = time(20), time(23, 59, 59)
FRESH = timedelta(hours=1)  # older telemetry no longer says what the car is doing now


@dataclass(frozen=True, slots=True)
class Fault:
    description: str
    safety: bool = False


# The codes the app explains; others are reported by code. Safety faults are CRITICAL.
FAULTS: dict[str, Fault] = {
    "P0AA6": Fault("High-voltage isolation fault", safety=True),
    "P0A0D": Fault("High-voltage interlock circuit open", safety=True),
    "P0A7F": Fault("Battery pack deterioration"),
    "P0C78": Fault("Drive motor inverter overheating", safety=True),
    "P1A10": Fault("Battery coolant pump fault"),
    "P0D27": Fault("On-board charger fault"),
    "U0100": Fault("Lost communication with the drive unit"),
    "C0035": Fault("Wheel speed sensor fault"),
    "B1325": Fault("12 V battery low"),
}


def faults(event: FaultCodesReported, facts: Facts) -> list[Proposal]:
    return [_fault(event, facts, code) for code in event.codes[:3]]  # three are plenty


def _fault(event: FaultCodesReported, facts: Facts, code: str) -> Candidate:
    fault = FAULTS.get(code, Fault(f"Vehicle fault {code}"))
    concern = f"Fault code {code}: {fault.description}"
    return Candidate(
        kind=Kind.FAULT_DETECTED, owner_id=facts.owner.id, vehicle_id=event.vehicle_id,
        priority=Priority.CRITICAL if fault.safety else Priority.HIGH,
        dedup_key=f"{event.vehicle_id}:fault:{code}", dedup_window=7 * DAY,
        variant="CRITICAL" if fault.safety else None,
        params={"vehicle": facts.vehicle_name, "code": code, "fault": fault.description},
        deep_link=booking_link(event.vehicle_id, concern),
        data={"faultCode": code, "concern": concern, "safety": fault.safety})


def low_charge_at_night(event: VehicleStatusReported, facts: Facts) -> list[Proposal]:
    if (event.soc_percent is None or event.soc_percent > LOW_SOC_PERCENT
            or event.charging is not False or facts.now - event.at > FRESH):
        return []
    local = facts.local(event.at)
    if not NIGHT_FROM <= local.time() <= NIGHT_UNTIL:
        return []
    return [Candidate(
        kind=Kind.LOW_CHARGE_AT_NIGHT, owner_id=facts.owner.id, vehicle_id=event.vehicle_id,
        priority=Priority.NORMAL, dedup_key=f"{event.vehicle_id}:low-night:{local.date()}",
        dedup_window=DAY / 2,
        params={"vehicle": facts.vehicle_name, "soc": event.soc_percent,
                "range_km": event.range_km or 0.0},
        deep_link=f"{APP}vehicles/{event.vehicle_id}/charging",
        data={"socPercent": event.soc_percent, "rangeKm": event.range_km},
        # After quiet hours begin it would arrive in the morning, too late to help.
        expires_at=event.at + timedelta(hours=3))]


RULES: Rules = {
    FaultCodesReported: [faults],
    VehicleStatusReported: [low_charge_at_night],
}
