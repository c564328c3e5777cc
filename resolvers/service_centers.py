"""Service centers: where they are, when they are open, and their free slots."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, time
from typing import TYPE_CHECKING, Annotated, Self
from zoneinfo import ZoneInfo

import strawberry
from strawberry import relay
from strawberry.types import Info

from domain import service_centers
from domain.access import can_manage_center, ensure
from domain.appointments import AppointmentStatus
from domain.availability import Slot
from domain.charging_stats import window
from domain.errors import InvalidInput
from domain.geo import point
from domain.pagination import page_request, position_key
from domain.service_centers import ServiceType
from resolvers.context import Context
from resolvers.geo import GeoPoint, GeoPointInput
from resolvers.relay import connection, local_id
from services import service_centers as center_service

if TYPE_CHECKING:
    from resolvers.appointments import Appointment

AppointmentRef = Annotated["Appointment", strawberry.lazy("resolvers.appointments")]
strawberry.enum(ServiceType, description="A service a center performs; durations add up.")
strawberry.enum(AppointmentStatus, description="Where an appointment is in its lifecycle.")


@strawberry.type(description="Opening hours for one weekday, in the center's local time.")
class OpeningHours:
    weekday: int = strawberry.field(description="0 = Monday ... 6 = Sunday.")
    opens: time = strawberry.field(description="Opening time.")
    closes: time = strawberry.field(description="Closing time.")


@strawberry.type(description="A bookable start time with the capacity still free.")
class ServiceSlot:
    start: datetime = strawberry.field(description="Start, in the center's local time.")
    end: datetime = strawberry.field(description="End of the chosen services.")
    remaining_bays: int = strawberry.field(description="Bays still free for the whole visit.")
    remaining_ev_technicians: int = strawberry.field(
        description="EV-certified technicians still free for the whole visit.")
    loaners_left: int = strawberry.field(description="Loaner cars still free that day.")

    @classmethod
    def from_domain(cls, slot: Slot, zone: ZoneInfo) -> Self:
        return cls(start=slot.start.astimezone(zone), end=slot.end.astimezone(zone),
                   remaining_bays=slot.remaining_bays,
                   remaining_ev_technicians=slot.remaining_ev_technicians,
                   loaners_left=slot.loaners_left)


@strawberry.type(description="A service center of the brand's network.")
class ServiceCenter(relay.Node):
    id: relay.NodeID[str]
    name: str = strawberry.field(description="Name.")
    location: GeoPoint = strawberry.field(description="Where it is.")
    address: str = strawberry.field(description="Postal address.")
    timezone: str = strawberry.field(description="IANA timezone of its opening hours.")
    opening_hours: list[OpeningHours] = strawberry.field(description="Weekly opening hours.")
    bays: int = strawberry.field(description="Workshop bays.")
    ev_certified_technicians: int = strawberry.field(
        description="Technicians certified for high-voltage work.")
    offers_mobile_service: bool = strawberry.field(description="Comes to the owner's address.")
    loaner_vehicles: int = strawberry.field(description="Loaner cars.")
    distance_km: float | None = strawberry.field(
        description="Great-circle distance from `near` in serviceCenters; null elsewhere.")

    @classmethod
    def from_domain(cls, c: service_centers.ServiceCenter, distance: float | None = None) -> Self:
        return cls(id=c.id, name=c.name, location=GeoPoint(lat=c.location.lat,
                                                            lng=c.location.lng),
                   address=c.address, timezone=c.timezone,
                   opening_hours=[OpeningHours(weekday=h.weekday, opens=h.opens, closes=h.closes)
                                  for h in c.opening_hours],
                   bays=c.bays, ev_certified_technicians=c.ev_certified_technicians,
                   offers_mobile_service=c.offers_mobile_service,
                   loaner_vehicles=c.loaner_vehicles,
                   distance_km=round(distance, 2) if distance is not None else None)

    @strawberry.field(description="The center's appointments, newest first: its SERVICE_STAFF "
                                  "and ADMIN only.")
    async def appointments(
        self, info: Info[Context, None], first: int | None = None, after: str | None = None,
        from_: Annotated[datetime | None, strawberry.argument(name="from")] = None,
        to: datetime | None = None, status: AppointmentStatus | None = None,
    ) -> relay.Connection[AppointmentRef]:
        from resolvers.appointments import Appointment

        ensure(can_manage_center(info.context.actor, self.id), "see this center's appointments")
        page = await info.context.loaders.appointments_by_center.load(
            (self.id, (page_request(first, after), window(from_, to), status)))
        return connection(page, Appointment.from_domain, key=lambda a: a.id)

    @classmethod
    async def resolve_nodes(  # type: ignore[override]  # async form of the overloads
        cls, *, info: Info[Context, None], node_ids: Iterable[str], required: bool = False
    ) -> list[Self | None]:
        info.context.actor  # noqa: B018  # any signed-in user may see the network
        found = await info.context.loaders.center.load_many(list(node_ids))
        return [cls.from_domain(center) if center else None for center in found]


@strawberry.type
class ServiceCenterQuery:
    @strawberry.field(description="Service centers within radiusKm of `near`, nearest first.")
    async def service_centers(self, info: Info[Context, None], near: GeoPointInput,
                              radius_km: float = 50.0, first: int | None = None,
                              after: str | None = None) -> relay.Connection[ServiceCenter]:
        info.context.actor  # noqa: B018  # signed-in users only
        page = await center_service.centers_near_page(
            info.context.deps, point(near.lat, near.lng, "near"), radius_km,
            page_request(first, after))
        return connection(page, lambda pair: ServiceCenter.from_domain(*pair),
                          key=lambda pair: position_key(pair[0].id))

    @strawberry.field(description="Free start times at a center for the chosen services, in "
                                  "its local time; at most 31 days per query.")
    async def available_service_slots(
        self, info: Info[Context, None], center_id: strawberry.ID,
        from_: Annotated[datetime, strawberry.argument(name="from")], to: datetime,
        service_types: list[ServiceType], loaner_requested: bool = False,
    ) -> list[ServiceSlot]:
        info.context.actor  # noqa: B018  # signed-in users only
        center_key = local_id(center_id, "ServiceCenter", "centerId")
        slots = await center_service.free_slots(info.context.deps, center_key, from_, to,
                                                frozenset(service_types), loaner_requested)
        [center] = await info.context.loaders.center.load_many([center_key])
        if center is None:
            raise InvalidInput("unknown center", field="centerId")
        zone = ZoneInfo(center.timezone)
        return [ServiceSlot.from_domain(slot, zone) for slot in slots]
