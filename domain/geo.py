"""Points on the Earth and distances between them (great-circle, in kilometres)."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable

from pydantic import BaseModel, ConfigDict

from domain.errors import InvalidInput

EARTH_RADIUS_KM = 6371.0088


class GeoPoint(BaseModel):
    model_config = ConfigDict(frozen=True)
    lat: float
    lng: float


def point(lat: float, lng: float, field: str = "location") -> GeoPoint:
    if not (-90 <= lat <= 90 and -180 <= lng <= 180):
        raise InvalidInput(f"{field} must have lat in -90..90 and lng in -180..180", field=field)
    return GeoPoint(lat=lat, lng=lng)


def distance_km(a: GeoPoint, b: GeoPoint) -> float:
    """Haversine distance; good to about 0.5% anywhere on Earth."""
    phi1, phi2 = math.radians(a.lat), math.radians(b.lat)
    d_phi, d_lambda = phi2 - phi1, math.radians(b.lng - a.lng)
    h = math.sin(d_phi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(d_lambda / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(min(1.0, h)))


KM_PER_DEGREE = 111.32


def box_around(center: GeoPoint, radius_km: float) -> tuple[float, float, float, float]:
    """(south, west, north, east) enclosing the circle: a cheap indexed prefilter."""
    lat_span = radius_km / KM_PER_DEGREE
    lng_span = radius_km / (KM_PER_DEGREE * max(math.cos(math.radians(center.lat)), 0.01))
    return (center.lat - lat_span, center.lng - lng_span, center.lat + lat_span,
            center.lng + lng_span)


def nearest[T](items: Iterable[T], near: GeoPoint, radius_km: float,
               where: Callable[[T], GeoPoint], key: Callable[[T], str]
               ) -> list[tuple[T, float]]:
    """Items within the radius with their distance, nearest first (ties by key)."""
    found = [(item, distance_km(near, where(item))) for item in items]
    return sorted(((item, d) for item, d in found if d <= radius_km),
                  key=lambda pair: (pair[1], key(pair[0])))
