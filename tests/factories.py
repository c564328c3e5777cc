"""Arranging data for tests through the domain constructors and the repositories."""

from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from strawberry.relay import to_base64

from domain import owners, vehicles
from domain.geo import GeoPoint
from domain.ids import new_id
from domain.owners import Owner
from domain.service_centers import OpeningHours, ServiceCenter
from domain.vehicles import Vehicle
from services.deps import Deps

_VIN_CHARS = "ABCDEFGHJKLMNPRSTUVWXYZ0123456789"


def random_vin() -> str:
    return "".join(random.choices(_VIN_CHARS, k=17))


def gid(type_name: str, node_id: str) -> str:
    return to_base64(type_name, node_id)


async def add_owner(deps: Deps, name: str = "Ana Costa", email: str | None = None,
                    region: str | None = None) -> Owner:
    data = owners.OwnerRegistration(name=name, email=email or f"{uuid.uuid4().hex}@example.com",
                                    region=region)
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


def opening_hours(opens: str = "08:00", closes: str = "18:00",
                  weekdays: range = range(7)) -> tuple[OpeningHours, ...]:
    return tuple(OpeningHours(weekday=day, opens=time.fromisoformat(opens),
                              closes=time.fromisoformat(closes)) for day in weekdays)


async def add_center(deps: Deps, *, bays: int = 2, ev_technicians: int = 2, loaners: int = 1,
                     timezone: str = "Europe/Berlin", mobile: bool = True,
                     lat: float = 52.52, lng: float = 13.40) -> ServiceCenter:
    center = ServiceCenter(
        id=new_id(datetime.now(UTC)), name="Volta Service Berlin", region="DE",
        location=GeoPoint(lat=lat, lng=lng), address="Alexanderplatz 1, Berlin",
        timezone=timezone, opening_hours=opening_hours(), bays=bays,
        ev_certified_technicians=ev_technicians, offers_mobile_service=mobile,
        loaner_vehicles=loaners)
    await deps.centers.add_many([center])
    return center


def next_weekday_at(hour: int, timezone: str = "Europe/Berlin", days_ahead: int = 7) -> datetime:
    """A local wall-clock time some days ahead, as an aware datetime."""
    day = (datetime.now(UTC) + timedelta(days=days_ahead)).date()
    return datetime.combine(day, time(hour), tzinfo=ZoneInfo(timezone))
