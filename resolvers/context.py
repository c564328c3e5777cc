"""The per-request context: who is asking, the use-case dependencies and fresh DataLoaders."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Awaitable, Callable, Hashable, Sequence
from dataclasses import dataclass, field
from typing import Any

from strawberry.dataloader import DataLoader

from domain.access import Principal
from domain.appointments import Appointment, AppointmentStatus
from domain.battery import BatteryState
from domain.charging import ChargingSession
from domain.charging_stats import SessionFilter, StatsRow, StatsWindow
from domain.ota import Counts, SoftwareRelease, UpdateCampaign, VehicleUpdate
from domain.owners import Owner
from domain.pagination import Page, PageRequest
from domain.service_centers import ServiceCenter, ServiceType
from domain.service_schedule import LastService
from domain.telemetry import VehicleStatus
from domain.vehicles import Vehicle
from resolvers.errors import Unauthenticated
from services.deps import Deps

type Fetch[E, V] = Callable[[list[str], E], Awaitable[Sequence[V]]]


def keyed_loader[E: Hashable, V](fetch: Fetch[E, V]) -> DataLoader[tuple[str, E], V]:
    """A loader for keys (parent id, arguments): one fetch per distinct arguments in a batch."""

    async def load(keys: Sequence[tuple[str, E]]) -> list[V]:
        ids_by_extra: dict[E, list[str]] = defaultdict(list)
        for parent_id, extra in keys:
            ids_by_extra[extra].append(parent_id)
        found: dict[tuple[str, E], V] = {}
        for extra, ids in ids_by_extra.items():
            values = await fetch(ids, extra)
            found.update({(parent_id, extra): value
                          for parent_id, value in zip(ids, values, strict=True)})
        return [found[key] for key in keys]

    return DataLoader(load)


@dataclass
class Loaders:
    """One set per request, so cached objects never outlive the request that read them."""

    deps: Deps
    owner: DataLoader[str, Owner | None] = field(init=False)
    vehicle: DataLoader[str, Vehicle | None] = field(init=False)
    battery: DataLoader[str, BatteryState | None] = field(init=False)
    vehicle_status: DataLoader[str, VehicleStatus | None] = field(init=False)
    charging_session: DataLoader[str, ChargingSession | None] = field(init=False)
    vehicles_by_owner: DataLoader[tuple[str, PageRequest], Page[Vehicle]] = field(init=False)
    charging_sessions: DataLoader[tuple[str, tuple[PageRequest, SessionFilter]],
                                  Page[ChargingSession]] = field(init=False)
    charging_stats: DataLoader[tuple[str, tuple[StatsWindow, str]],
                               list[StatsRow]] = field(init=False)
    center: DataLoader[str, ServiceCenter | None] = field(init=False)
    appointment: DataLoader[str, Appointment | None] = field(init=False)
    last_services: DataLoader[str, dict[ServiceType, LastService]] = field(init=False)
    next_appointment: DataLoader[str, Appointment | None] = field(init=False)
    appointments_by_vehicle: DataLoader[tuple[str, PageRequest],
                                        Page[Appointment]] = field(init=False)
    appointments_by_center: DataLoader[
        tuple[str, tuple[PageRequest, StatsWindow, AppointmentStatus | None]],
        Page[Appointment]] = field(init=False)

    release: DataLoader[str, SoftwareRelease | None] = field(init=False)
    campaign: DataLoader[str, UpdateCampaign | None] = field(init=False)
    campaign_counts: DataLoader[str, Counts] = field(init=False)
    vehicle_update: DataLoader[str, VehicleUpdate | None] = field(init=False)
    open_updates: DataLoader[str, list[VehicleUpdate]] = field(init=False)
    update_pages: DataLoader[tuple[str, PageRequest], Page[VehicleUpdate]] = field(init=False)

    def __post_init__(self) -> None:
        deps = self.deps
        self.release = DataLoader(deps.ota.releases)
        self.campaign = DataLoader(deps.ota.campaigns)
        self.campaign_counts = DataLoader(deps.ota.counts)
        self.vehicle_update = DataLoader(deps.ota.updates)
        self.open_updates = DataLoader(deps.ota.open_for_vehicles)
        self.update_pages = keyed_loader(deps.ota.update_pages)
        self.owner = DataLoader(deps.owners.get_many)
        self.vehicle = DataLoader(deps.vehicles.get_many)
        self.battery = DataLoader(deps.battery.get_many)
        self.vehicle_status = DataLoader(deps.telemetry.statuses)
        self.charging_session = DataLoader(deps.charging.get_many)
        self.vehicles_by_owner = keyed_loader(deps.vehicles.pages_by_owner)
        self.charging_sessions = keyed_loader(self._session_pages)
        self.charging_stats = keyed_loader(self._stats_rows)
        self.center = DataLoader(deps.centers.get_many)
        self.appointment = DataLoader(deps.appointments.get_many)
        self.last_services = DataLoader(deps.appointments.last_services)
        self.next_appointment = DataLoader(self._next_appointments)
        self.appointments_by_vehicle = keyed_loader(deps.appointments.pages_by_vehicle)
        self.appointments_by_center = keyed_loader(self._center_pages)

    async def _next_appointments(self, ids: list[str]) -> list[Appointment | None]:
        return await self.deps.appointments.next_for_vehicles(ids, self.deps.clock())

    async def _center_pages(
        self, ids: list[str], extra: tuple[PageRequest, StatsWindow, AppointmentStatus | None]
    ) -> list[Page[Appointment]]:
        return await self.deps.appointments.pages_by_center(ids, *extra)

    async def _session_pages(self, ids: list[str], extra: tuple[PageRequest, SessionFilter]
                             ) -> list[Page[ChargingSession]]:
        return await self.deps.charging.pages(ids, *extra)

    async def _stats_rows(self, ids: list[str], extra: tuple[StatsWindow, str]
                          ) -> list[list[StatsRow]]:
        rows = await self.deps.charging.stats_rows(ids, *extra)
        return [rows[vehicle_id] for vehicle_id in ids]

    def prime_owners(self, owners: Sequence[Owner]) -> None:
        for owner in owners:
            self.owner.prime(owner.id, owner)


@dataclass
class Context:
    deps: Deps
    principal: Principal | None
    auth_error: str | None = None
    request: Any = None
    response: Any = None
    introspection: bool = True
    loaders: Loaders = field(init=False)

    def __post_init__(self) -> None:
        self.loaders = Loaders(self.deps)

    @property
    def actor(self) -> Principal:
        if self.principal is None:
            raise Unauthenticated(self.auth_error or "sign in: send Authorization: Bearer <JWT>")
        return self.principal
