"""The public charging network: stations near a point, and OCPI imports."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Self

import strawberry
from strawberry import relay
from strawberry.scalars import JSON
from strawberry.types import Info

from domain import stations
from domain.geo import point
from domain.pagination import page_request, position_key
from resolvers.context import Context
from resolvers.geo import GeoPoint, GeoPointInput
from resolvers.relay import connection
from resolvers.user_errors import UserError, user_error
from services import charging_stations as station_service


@strawberry.type(description="One connector of a station.")
class Connector:
    type: str = strawberry.field(description="OCPI connector standard, e.g. IEC_62196_T2_COMBO.")
    power_type: str = strawberry.field(description="AC_1_PHASE, AC_3_PHASE or DC.")
    max_power_kw: float = strawberry.field(description="Maximum power, kW.")


@strawberry.type(description="A public charging station (an OCPI Location).")
class ChargingStation(relay.Node):
    id: relay.NodeID[str]
    name: str = strawberry.field(description="Name (or address when unnamed).")
    operator: str | None = strawberry.field(description="Charge point operator.")
    location: GeoPoint = strawberry.field(description="Where.")
    address: str = strawberry.field(description="Street address.")
    city: str = strawberry.field(description="City.")
    connectors: list[Connector] = strawberry.field(description="Connectors.")
    price_per_kwh: float | None = strawberry.field(description="Energy price, if known.")
    currency: str | None = strawberry.field(description="Currency of the price.")
    distance_km: float | None = strawberry.field(description="From `near`, in searches.")

    @classmethod
    def from_domain(cls, s: stations.ChargingStation, distance: float | None = None) -> Self:
        return cls(id=s.id, name=s.name, operator=s.operator,
                   location=GeoPoint(lat=s.location.lat, lng=s.location.lng), address=s.address,
                   city=s.city, connectors=[Connector(type=c.type, power_type=c.power_type,
                                                      max_power_kw=c.max_power_kw)
                                            for c in s.connectors],
                   price_per_kwh=s.price_per_kwh, currency=s.currency,
                   distance_km=round(distance, 2) if distance is not None else None)

    @classmethod
    async def resolve_nodes(  # type: ignore[override]  # async form of the overloads
        cls, *, info: Info[Context, None], node_ids: Iterable[str], required: bool = False
    ) -> list[Self | None]:
        info.context.actor  # noqa: B018  # signed-in users only
        found = await info.context.deps.stations.get_many(list(node_ids))
        return [cls.from_domain(s) if s else None for s in found]


@strawberry.type(description="One location that could not be imported.")
class RejectedLocation:
    index: int = strawberry.field(description="Position in `locations`.")
    error: UserError = strawberry.field(description="What is wrong with it.")


@strawberry.type(description="The result of importChargingStations.")
class ImportChargingStationsPayload:
    imported: int = strawberry.field(description="New stations.")
    updated: int = strawberry.field(description="Stations replaced by newer data.")
    rejected: list[RejectedLocation] = strawberry.field(description="Locations refused.")


@strawberry.type
class ChargingStationQuery:
    @strawberry.field(description="Stations within radiusKm of `near` with at least minPowerKw, "
                                  "nearest first.")
    async def charging_stations(self, info: Info[Context, None], near: GeoPointInput,
                                radius_km: float = 25.0, min_power_kw: float = 0.0,
                                first: int | None = None, after: str | None = None
                                ) -> relay.Connection[ChargingStation]:
        info.context.actor  # noqa: B018  # signed-in users only
        page = await station_service.stations_near(
            info.context.deps, point(near.lat, near.lng, "near"), radius_km, min_power_kw,
            page_request(first, after))
        return connection(page, lambda pair: ChargingStation.from_domain(*pair),
                          key=lambda pair: position_key(pair[0].id))


@strawberry.type
class ChargingStationMutation:
    @strawberry.mutation(description="Imports OCPI 2.2.1 Location objects (up to 1,000); "
                                     "stations are replaced by id. ADMIN only.")
    async def import_charging_stations(self, info: Info[Context, None], locations: list[JSON]
                                       ) -> ImportChargingStationsPayload:
        c = info.context
        documents = [doc if isinstance(doc, dict) else {} for doc in locations]
        result = await station_service.import_locations(c.deps, c.actor, documents)
        return ImportChargingStationsPayload(
            imported=result.imported, updated=result.updated,
            rejected=[RejectedLocation(index=i, error=user_error(e)) for i, e in result.rejected])
