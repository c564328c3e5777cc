"""Points on Earth in the API."""

from __future__ import annotations

import strawberry


@strawberry.type(description="A point on Earth, WGS84 degrees.")
class GeoPoint:
    lat: float = strawberry.field(description="Latitude, -90..90.")
    lng: float = strawberry.field(description="Longitude, -180..180.")


@strawberry.input(description="A point on Earth, WGS84 degrees.")
class GeoPointInput:
    lat: float = strawberry.field(description="Latitude, -90..90.")
    lng: float = strawberry.field(description="Longitude, -180..180.")
