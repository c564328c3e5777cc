"""Finding service centers and their free slots."""

from __future__ import annotations

from datetime import datetime, timedelta

from domain import availability
from domain.availability import Slot
from domain.errors import InvalidInput, NotFound
from domain.geo import GeoPoint, box_around, nearest
from domain.pagination import Page, PageRequest, page_after, position_key
from domain.service_centers import ServiceCenter, ServiceType
from domain.validation import utc
from services.deps import Deps

MAX_RADIUS_KM = 500.0
MAX_SLOT_RANGE = timedelta(days=31)


async def centers_near(deps: Deps, near: GeoPoint,
                       radius_km: float) -> list[tuple[ServiceCenter, float]]:
    """Centers within the radius, nearest first, with their great-circle distance."""
    if not 0 < radius_km <= MAX_RADIUS_KM:
        raise InvalidInput(f"radiusKm must be in (0, {MAX_RADIUS_KM:g}]", field="radiusKm")
    candidates = await deps.centers.in_box(*box_around(near, radius_km))
    return nearest(candidates, near, radius_km, lambda c: c.location, lambda c: c.id)


async def centers_near_page(deps: Deps, near: GeoPoint, radius_km: float,
                            request: PageRequest) -> Page[tuple[ServiceCenter, float]]:
    """A page of the nearest-first list; the cursor names the last center seen."""
    found = await centers_near(deps, near, radius_km)
    return page_after(found, [position_key(center.id) for center, _ in found], request)


async def free_slots(deps: Deps, center_id: str, start: datetime, end: datetime,
                     types: frozenset[ServiceType], loaner: bool) -> list[Slot]:
    start, end = utc(start, "from"), utc(end, "to")
    if not timedelta(0) < end - start <= MAX_SLOT_RANGE:
        raise InvalidInput("`to` must be after `from`, at most 31 days later", field="to")
    if not types:
        raise InvalidInput("choose at least one service type", field="serviceTypes")
    [center] = await deps.centers.get_many([center_id])
    if center is None:
        raise NotFound("service center not found", field="centerId")
    usage = await deps.capacity.usage(center.id,
                                      availability.capacity_months(center, start, end))
    return availability.available_slots(center, usage, start, end, types, loaner, deps.clock())
