"""The public charging network: OCPI imports and nearby search."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from domain import stations
from domain.access import Principal, ensure
from domain.errors import DomainError, InvalidInput
from domain.geo import GeoPoint, box_around, nearest
from domain.pagination import Page, PageRequest, page_after, position_key
from domain.stations import ChargingStation
from services.deps import Deps

MAX_IMPORT = 1000
MAX_RADIUS_KM = 300.0


@dataclass(frozen=True, slots=True)
class ImportResult:
    imported: int = 0
    updated: int = 0
    rejected: list[tuple[int, DomainError]] = field(default_factory=list)


async def import_locations(deps: Deps, actor: Principal,
                           documents: Sequence[Mapping[str, Any]]) -> ImportResult:
    """OCPI Location objects in; each bad one is reported by its index, the rest are stored."""
    ensure(actor.is_admin, "import charging stations")
    if len(documents) > MAX_IMPORT:
        raise InvalidInput(f"at most {MAX_IMPORT} locations per call", field="locations")
    parsed: list[ChargingStation] = []
    rejected: list[tuple[int, DomainError]] = []
    for index, document in enumerate(documents):
        try:
            parsed.append(stations.from_ocpi_location(document))
        except DomainError as error:
            rejected.append((index, error))
    imported, updated = await deps.stations.upsert_many(parsed)
    return ImportResult(imported, updated, rejected)


async def stations_near(deps: Deps, near: GeoPoint, radius_km: float, min_power_kw: float,
                        request: PageRequest) -> Page[tuple[ChargingStation, float]]:
    """Nearest first within the radius; the cursor names the last station seen."""
    if not 0 < radius_km <= MAX_RADIUS_KM:
        raise InvalidInput(f"radiusKm must be in (0, {MAX_RADIUS_KM:g}]", field="radiusKm")
    if not 0 <= min_power_kw <= 1000:
        raise InvalidInput("minPowerKw must be between 0 and 1000", field="minPowerKw")
    candidates = await deps.stations.in_box(*box_around(near, radius_km), min_power_kw)
    found = nearest(candidates, near, radius_km, lambda s: s.location, lambda s: s.id)
    return page_after(found, [position_key(s.id) for s, _ in found], request)
