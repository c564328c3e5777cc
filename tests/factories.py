"""Arranging data for tests through the domain constructors and the repositories."""

from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from strawberry.relay import to_base64

from domain import owners, vehicles
from domain.owners import Owner
from domain.vehicles import Vehicle
from services.deps import Deps

_VIN_CHARS = "ABCDEFGHJKLMNPRSTUVWXYZ0123456789"


def random_vin() -> str:
    return "".join(random.choices(_VIN_CHARS, k=17))


def gid(type_name: str, node_id: str) -> str:
    return to_base64(type_name, node_id)


async def add_owner(deps: Deps, name: str = "Ana Costa", email: str | None = None) -> Owner:
    data = owners.OwnerRegistration(name=name, email=email or f"{uuid.uuid4().hex}@example.com")
    owner = owners.register(data, deps.clock())
    await deps.owners.add(owner)
    return owner


async def add_vehicle(deps: Deps, owner: Owner, *, vin: str | None = None,
                      model_id: str = "volta-one", odometer_km: float = 1000) -> Vehicle:
    data = vehicles.VehicleRegistration(
        owner_id=owner.id, vin=vin or random_vin(), model_id=model_id,
        delivered_at=datetime.now(UTC) - timedelta(days=100), odometer_km=odometer_km)
    vehicle = vehicles.register(data, deps.clock())
    await deps.vehicles.add(vehicle)
    return vehicle


def session_input(vehicle: Vehicle, n: int = 0, **fields: Any) -> dict[str, Any]:
    """A plausible home AC session for `vehicle`, n days before now, as GraphQL input."""
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(days=n + 1, hours=2)
    return {"vehicleId": gid("Vehicle", vehicle.id), "externalId": f"ext-{n}",
            "startedAt": start.isoformat(), "endedAt": (start + timedelta(hours=4)).isoformat(),
            "locationType": "HOME", "energyDeliveredKwh": 20.0, "socStartPercent": 30,
            "socEndPercent": 60, **fields}
