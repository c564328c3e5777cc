"""Demo inboxes: what the rules say about the seeded fleet today, so every demo owner's app has
real notifications (service due from the odometer, some faults, a lapsed owner's nudge)."""

from __future__ import annotations

import random

from domain.events import DomainEvent
from domain.notifications.rules.engagement import OwnerLapsed
from domain.notifications.rules.telemetry import FAULTS
from domain.pagination import PageRequest
from domain.telemetry import FaultCodesReported, VehicleStatusReported
from domain.vehicles import Vehicle
from services.deps import Deps
from services.notifications import notify

FAULT_SHARE = 0.1
LAPSED_SHARE = 0.1


async def seed_demo_notifications(deps: Deps, seed: int, owners: int = 100) -> int:
    """Runs the real rules on events about the first `owners` demo owners; returns how many
    notifications they produced."""
    page = await deps.owners.page(PageRequest(first=owners), None)
    vehicle_pages = await deps.vehicles.pages_by_owner([o.id for o in page.items],
                                                      PageRequest(first=10))
    rng = random.Random(seed)
    events: list[DomainEvent] = []
    for owner, vehicles in zip(page.items, vehicle_pages, strict=True):
        for vehicle in vehicles.items:
            events += _vehicle_events(deps, vehicle, rng)
        if vehicles.items and rng.random() < LAPSED_SHARE:
            events.append(OwnerLapsed(at=deps.clock(), owner_id=owner.id,
                                      vehicle_id=vehicles.items[0].id, inactive_days=75))
    return len(await notify(deps, events))


def _vehicle_events(deps: Deps, vehicle: Vehicle, rng: random.Random) -> list[DomainEvent]:
    now = deps.clock()
    events: list[DomainEvent] = [VehicleStatusReported(
        at=now, vehicle_id=vehicle.id, owner_id=vehicle.owner_id,
        soc_percent=round(rng.uniform(25, 85)), charging=False,
        odometer_km=vehicle.odometer_km, range_km=None)]
    if rng.random() < FAULT_SHARE:
        events.append(FaultCodesReported(at=now, vehicle_id=vehicle.id,
                                         owner_id=vehicle.owner_id,
                                         codes=(rng.choice(sorted(FAULTS)),)))
    return events
