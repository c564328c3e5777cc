"""The authorization matrix: who may call every root field (and read every node type).

MATRIX (ROOT_FIELDS below) is the documentation of who may do what. Each root field of Query,
Mutation and Subscription has one row; each column is a kind of caller, relative to a small
world (World, arrange()): OWNER owns the car, its appointment, its charging session, its OTA
update, the notification...; OTHER_OWNER is another owner; STAFF works at the appointment's
center, OTHER_STAFF at another; ANALYST is an OEM_ANALYST; GATEWAY is the VEHICLE_GATEWAY.

Cells are what the code does today, written `today>right` where that is not what it should do:

    A  ALLOWED          no error, and no typed error in a mutation's payload
    N  NULL             allowed, but nothing of the world comes back (null, nothing heard)
    F  FORBIDDEN        extensions.code FORBIDDEN (or a typed Forbidden in a batch payload)
    U  UNAUTHENTICATED  extensions.code UNAUTHENTICATED
    NF NOT_FOUND        let through, then finds nothing of the caller's own to act on
    E  INTERNAL_ERROR   the masked INTERNAL_SERVER_ERROR

`node(id:)` has a row per node type (NODE_TYPES), and NESTED_PATHS follows what staff may read
into the owner's data. A root field or node type without a row fails the test_every_* tests, and
so does a row for one that is gone. Calls that are refused or only read share one world; every
mutation that is let through gets a fresh one (it cancels, deletes, moves campaigns...).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import random
import uuid
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

import httpx
import pytest
import pytest_asyncio
from graphql import GraphQLInterfaceType, GraphQLObjectType, GraphQLSchema
from starlette.applications import Starlette
from strawberry.types import ExecutionResult

from api.app import create_app
from api.notifying import DiscardEvents
from api.settings import Settings
from domain import stations
from domain.access import Principal, Role
from domain.appointments import Appointment, AppointmentStatus, BookingRequest, HistoryEntry
from domain.charging import ChargingSession, LocationType
from domain.ids import new_id
from domain.journey import Channel as TouchpointChannel
from domain.journey import Touchpoint, TouchpointKind
from domain.notifications.model import Category, Kind, Notification, Priority
from domain.ota import (
    CampaignStatus,
    Criticality,
    SoftwareRelease,
    UpdateCampaign,
    UpdateHistoryEntry,
    UpdateStatus,
    VehicleUpdate,
)
from domain.owners import Owner
from domain.service_centers import ServiceCenter, ServiceType
from domain.vehicles import Vehicle
from resolvers.context import Context
from resolvers.schema import schema
from services import appointments as appointment_service
from services.deps import Deps
from tests.conftest import TEST_SECRET, GraphQLClient
from tests.factories import add_center, add_owner, add_vehicle, gid, next_weekday_at, random_vin

# One app (and database) for the module: starting one costs more than a test on the wire server.
on_module_loop = pytest.mark.asyncio(loop_scope="module")


class Case(StrEnum):
    ANONYMOUS = "ANONYMOUS"
    OWNER = "OWNER"
    OTHER_OWNER = "OTHER_OWNER"
    STAFF = "STAFF"
    OTHER_STAFF = "OTHER_STAFF"
    ANALYST = "ANALYST"
    ADMIN = "ADMIN"
    GATEWAY = "GATEWAY"


class Outcome(StrEnum):
    ALLOWED = "ALLOWED"
    NULL = "NULL"
    FORBIDDEN = "FORBIDDEN"
    UNAUTHENTICATED = "UNAUTHENTICATED"
    NOT_FOUND = "NOT_FOUND"
    INTERNAL_ERROR = "INTERNAL_ERROR"


CELLS = {"A": Outcome.ALLOWED, "N": Outcome.NULL, "F": Outcome.FORBIDDEN,
         "U": Outcome.UNAUTHENTICATED, "NF": Outcome.NOT_FOUND, "E": Outcome.INTERNAL_ERROR}

# Columns: ANONYMOUS OWNER OTHER_OWNER STAFF OTHER_STAFF ANALYST ADMIN GATEWAY (see Case).
ROOT_FIELDS = """
#                             ANON OWNR OTHR STAF OSTF ANLY ADMN GATE
query:
me                               U    A    A    N    N    N    N    N  # null unless an OWNER
owners                           U    F    F    F    F    F    A    F
vehicle                          U    A    F    F    F    F    A    F  # staff: through the visit
vehicleModels                    A    A    A    A    A    A    A    A  # the public catalogue
serviceCenters                   U    A    A    A    A    A    A  A>F  # the gateway reads nothing
availableServiceSlots            U    A    A    A    A    A    A  A>F
updateCampaigns                  U    F    F    F    F    A    A    F
updateCampaign                   U    F    F    F    F    A    A    F
softwareVersionDistribution      U    F    F    F    F    A    A    F  # counts only
chargingStations                 U    A    A    A    A    A    A  A>F
planTrip                         U    A    F    F    F    F    A    F
engagementMetrics                U    F    F    F    F    A    A    F  # aggregates only
mutation:
registerOwner                    U    F    F    F    F    F    A    F
registerVehicle                  U    A    F    F    F    F    A    F  # an owner: for themself
updateVehicle                    U    A    F    F    F    F    A    F
recordChargingSession            U    A    F    F    F    F    A    F
recordChargingSessions           U    A    F    F    F    F    A    F  # F: a Forbidden per item
setHomeTariff                    U    A    F    F    F    F    A    F
bookServiceAppointment           U    A    F    A    F    F    A    F  # staff: at their center
rescheduleServiceAppointment     U    A    F    A    F    F    A    F
cancelServiceAppointment         U    A    F    A    F    F    A    F
checkInServiceAppointment        U    F    F    A    F    F    A    F  # the center runs the visit
startServiceWork                 U    F    F    A    F    F    A    F
markServiceNoShow                U    F    F    A    F    F    A    F
completeServiceAppointment       U    F    F    A    F    F    A    F
createSoftwareRelease            U    F    F    F    F    F    A    F
createUpdateCampaign             U    F    F    F    F    F    A    F
startUpdateCampaign              U    F    F    F    F    F    A    F
advanceUpdateCampaign            U    F    F    F    F    F    A    F
pauseUpdateCampaign              U    F    F    F    F    F    A    F
resumeUpdateCampaign             U    F    F    F    F    F    A    F
scheduleVehicleUpdate            U    A    F    F    F    F    A    F
reportVehicleUpdateStatus        U    A    F    F    F    F    A    F  # the car: via app, backend
importChargingStations           U    F    F    F    F    F    A    F
ingestTelemetry                  U    F    F    F    F    F    A    A  # vehicle data: no person
registerPushDevice               U    A    A    F    F    F    F    F  # owners, for themselves
updateNotificationPreferences    U    A    A    F    F    F   NF    F  # admin: names one (ownerId)
markNotificationRead             U    A    F    F    F    F    F    F  # an admin is not the owner
markNotificationActed            U    A    F    F    F    F    F    F
recordTouchpoint                 U    A    F    F    F    F    F    F  # about the owner's own car
submitFeedback                   U    A    F    F    F    F    F    F  # about the owner's own car
exportMyData                     U    A    A    F    F    F    F    F  # to the person, not admins
deleteMyAccount                  U    A    F    F    F    F    A    F  # ownerId: the owner's
recordConsent                    U    A    A    F    F    F    F    F  # only the person answers
subscription:
notificationAdded                U    A    N    F    F    F    F    F  # N: hears nothing of it
"""

NODE_TYPES = """
#                             ANON OWNR OTHR STAF OSTF ANLY ADMN GATE
Owner                            U    A    F    F    F    F    A    F
Vehicle                          U    A    F    F    F    F    A    F
ChargingSession                  U    A    F    F    F    F    A    F
Appointment                      U    A    F    A    F    F    A    F
ServiceCenter                    U    A    A    A    A    A    A  A>F
ChargingStation                  U    A    A    A    A    A    A  A>F
SoftwareRelease                  U    A    A    A    A    A    A  A>F
UpdateCampaign                   U    F    F    F    F    A    A    F
VehicleUpdate                    U    A    F    F    F    F    A    F
Notification                     U    A    F    F    F    F    A    F  # as Owner.notifications
Touchpoint                       U    A    F    F    F    F    A    F  # as Owner.journey
"""

# Nested fields inherit access from their parent (DEVELOPERS.md): these are the paths from what
# staff may read (their appointment, their center's calendar) into the owner's data. A cell is
# ALLOWED when the row's piece of the world comes back, NULL when the call succeeds without it.
NESTED_PATHS = """
#                                     ANON OWNR OTHR STAF OSTF ANLY ADMN GATE
appointment.vehicle                      U    A    F    A    F    F    A    F  # the serviced car
appointment.vehicle.chargingSessions     U    A    F    F    F    F    A    F  # where one charges
appointment.vehicle.owner                U    A    F    F    F    F    A    F  # profile, settings
appointment.vehicle.owner.vehicles       U    A    F    F    F    F    A    F  # their other cars
appointment.vehicle.appointments         U    A    F    F    F    F    A    F  # visits elsewhere
center.appointments                      U    F    F    A    F    F    A    F  # the calendar
"""

type Key = tuple[str, str]  # (operation type, root field)
type Row = dict[Case, Outcome]


def _parse(table: str) -> tuple[dict[Key, Row], dict[tuple[Key, Case], Outcome]]:
    """{(section, name): {case: today}}, and {((section, name), case): right} where they
    differ. A line `query:` starts a section; tables without sections have section ""."""
    today: dict[Key, Row] = {}
    right: dict[tuple[Key, Case], Outcome] = {}
    section = ""
    for line in table.strip().splitlines():
        words = line.split("#", 1)[0].split()
        if len(words) == 1 and words[0].endswith(":"):
            section = words[0].removesuffix(":")
            continue
        if not words:
            continue
        key, cells = (section, words[0]), words[1:]
        assert len(cells) == len(Case), f"{key}: {len(cells)} cells"
        assert key not in today, f"{key} twice"
        today[key] = {}
        for case, cell in zip(Case, cells, strict=True):
            now, _, should = cell.partition(">")
            today[key][case] = CELLS[now]
            if should:
                right[key, case] = CELLS[should]
    return today, right


MATRIX, _ROOT_RIGHT = _parse(ROOT_FIELDS)
_NODE, _NODE_RIGHT = _parse(NODE_TYPES)
_NESTED, _NESTED_RIGHT = _parse(NESTED_PATHS)
NODE_MATRIX: dict[str, Row] = {name: row for (_, name), row in _NODE.items()}
NESTED_MATRIX: dict[str, Row] = {path: row for (_, path), row in _NESTED.items()}
# Where today's behaviour is not the right one: (row, case) -> what it should be.
DISCREPANCIES: dict[tuple[str, Case], Outcome] = {
    **{(f"{op} {field}", case): right for ((op, field), case), right in _ROOT_RIGHT.items()},
    **{(f"node {name}", case): right for ((_, name), case), right in _NODE_RIGHT.items()},
    **{(path, case): right for ((_, path), case), right in _NESTED_RIGHT.items()},
}


def _check(got: str, expected: Outcome, row: str, case: Case) -> None:
    right = DISCREPANCIES.get((row, case))
    note = (f"; the table says it should be {right}: if it is now, write {right} in the cell"
            if right else "")
    assert got == expected, f"{row} as {case}: expected {expected} (today){note}"


# --- The world ---------------------------------------------------------------------------------

RELEASE_MODEL = "volta-cargo"  # the world's car is a volta-one: starting a campaign offers nothing


@dataclass
class World:
    now: datetime
    owner: Owner
    other: Owner
    car: Vehicle
    second_car: Vehicle  # the owner's other car
    center: ServiceCenter
    other_center: ServiceCenter
    appointment: Appointment  # CONFIRMED, next week (booked through the use case)
    checked_in: Appointment
    in_progress: Appointment
    overdue: Appointment  # CONFIRMED, started yesterday: a no-show may be recorded
    elsewhere: Appointment  # the car's visit at the other center
    session: ChargingSession
    release: SoftwareRelease
    draft: UpdateCampaign
    active: UpdateCampaign
    paused: UpdateCampaign
    update: VehicleUpdate  # the release offered to the car, in the active campaign
    notification: Notification
    touchpoint: Touchpoint
    station: stations.ChargingStation

    def principal(self, case: Case) -> Principal | None:
        return {
            Case.ANONYMOUS: None,
            Case.OWNER: Principal(Role.OWNER, self.owner.id),
            Case.OTHER_OWNER: Principal(Role.OWNER, self.other.id),
            Case.STAFF: Principal(Role.SERVICE_STAFF, "staff-here", self.center.id),
            Case.OTHER_STAFF: Principal(Role.SERVICE_STAFF, "staff-there", self.other_center.id),
            Case.ANALYST: Principal(Role.OEM_ANALYST, "analyst"),
            Case.ADMIN: Principal(Role.ADMIN, "admin"),
            Case.GATEWAY: Principal(Role.VEHICLE_GATEWAY, "gateway"),
        }[case]

    def node_id(self, type_name: str) -> str:
        local = {
            "Owner": self.owner.id, "Vehicle": self.car.id, "ChargingSession": self.session.id,
            "Appointment": self.appointment.id, "ServiceCenter": self.center.id,
            "ChargingStation": self.station.id, "SoftwareRelease": self.release.id,
            "UpdateCampaign": self.active.id, "VehicleUpdate": self.update.id,
            "Notification": self.notification.id, "Touchpoint": self.touchpoint.id,
        }[type_name]
        return gid(type_name, local)


def ocpi_location(lat: float, lng: float, now: datetime) -> dict[str, Any]:
    return {"country_code": "DE", "party_id": "EVJ", "id": uuid.uuid4().hex,
            "address": "Teststrasse 1", "city": "Berlin", "country": "DEU",
            "coordinates": {"latitude": str(lat), "longitude": str(lng)},
            "evses": [{"uid": "1", "status": "AVAILABLE", "connectors": [{
                "id": "1", "standard": "IEC_62196_T2_COMBO", "format": "CABLE",
                "power_type": "DC", "max_electric_power": 150000}]}],
            "last_updated": now.isoformat()}


def _somewhere() -> tuple[float, float]:
    """In Germany, a place of each world's own: searches near it stay small in the shared store."""
    return random.uniform(48.0, 54.0), random.uniform(7.0, 14.0)


S = AppointmentStatus


def _visit(car: Vehicle, center: ServiceCenter, status: AppointmentStatus, start: datetime,
           now: datetime) -> Appointment:
    """A visit already under way (written directly: the use cases only book ahead)."""
    booked = now - timedelta(days=3)
    history = (HistoryEntry(status=S.CONFIRMED, at=booked, by="staff-here"),
               HistoryEntry(status=status, at=booked, by="staff-here"))
    return Appointment(
        id=new_id(now), vehicle_id=car.id, owner_id=car.owner_id, center_id=center.id,
        timezone=center.timezone, start=start, end=start + timedelta(hours=1),
        service_types=(ServiceType.TYRE_ROTATION,), status=status, history=history,
        created_at=booked)


async def arrange(deps: Deps) -> World:
    """An owner with a car, charged, booked at a center, offered an update, notified..."""
    now = datetime.now(UTC).replace(microsecond=0)
    quiet = dataclasses.replace(deps, events=DiscardEvents())  # arranging is not news
    owner = await add_owner(deps, "Ana Costa", region="DE")
    other = await add_owner(deps, "Ben Other", region="DE")
    car = await add_vehicle(deps, owner)
    second_car = await add_vehicle(deps, owner, model_id="volta-city")
    lat, lng = _somewhere()
    center = await add_center(deps, lat=lat, lng=lng)
    other_lat, other_lng = _somewhere()
    other_center = await add_center(deps, lat=other_lat, lng=other_lng)
    booking = BookingRequest(vehicle_id=car.id, center_id=center.id, start=next_weekday_at(10),
                             service_types=frozenset({ServiceType.TYRE_ROTATION}))
    appointment = await appointment_service.book_appointment(
        quiet, Principal(Role.ADMIN, "admin"), booking)
    visits = [_visit(car, center, S.CHECKED_IN, now - timedelta(minutes=10), now),
              _visit(car, center, S.IN_PROGRESS, now - timedelta(hours=1), now),
              _visit(car, center, S.CONFIRMED, now - timedelta(days=1), now),
              _visit(car, other_center, S.CONFIRMED, now + timedelta(days=3), now)]
    await deps.appointments.add_many(visits)
    checked_in, in_progress, overdue, elsewhere = visits
    started = now - timedelta(days=2)
    session = ChargingSession(
        id=new_id(started), vehicle_id=car.id, external_id="world-1", started_at=started,
        ended_at=started + timedelta(hours=3), location_type=LocationType.HOME,
        energy_delivered_kwh=20.0, soc_start_percent=30, soc_end_percent=60, created_at=now)
    await deps.charging.add_many([session])
    release = SoftwareRelease(
        id=new_id(now), version=f"2026.{uuid.uuid4().int % 50}.{uuid.uuid4().int % 1000}",
        notes={"en": "Faster charging"}, target_models=(RELEASE_MODEL,),
        criticality=Criticality.FEATURE, size_mb=800, estimated_install_minutes=20,
        published_at=now)
    await deps.ota.add_release(release)
    draft = UpdateCampaign(id=new_id(now), release_id=release.id, stages=(1, 10, 50, 100),
                           created_at=now)
    active = draft.model_copy(update={"id": new_id(now), "status": CampaignStatus.ACTIVE,
                                      "current_stage": 0, "started_at": now})
    paused = active.model_copy(update={"id": new_id(now), "status": CampaignStatus.PAUSED})
    for campaign in (draft, active, paused):
        await deps.ota.add_campaign(campaign)
    update = VehicleUpdate(
        id=new_id(now), vehicle_id=car.id, owner_id=owner.id, campaign_id=active.id,
        release_id=release.id, version=release.version, status=UpdateStatus.OFFERED,
        history=(UpdateHistoryEntry(status=UpdateStatus.OFFERED, at=now),), updated_at=now,
        created_at=now)
    await deps.ota.add_offers([update])
    notification = Notification(
        id=new_id(now), owner_id=owner.id, vehicle_id=car.id, kind=Kind.FAULT_DETECTED,
        category=Category.SERVICE, priority=Priority.HIGH, title="Your car reported a fault",
        body="Book a visit", locale="en", deep_link=None, data={}, channels=(),
        dedup_key=f"world:{uuid.uuid4().hex}", created_at=now, deliver_after=now,
        delivered_at=now, inbox_key=new_id(now))
    await deps.notifications.add_many([notification])
    touchpoint = Touchpoint(
        id=new_id(now), owner_id=owner.id, vehicle_id=car.id, kind=TouchpointKind.APP_OPEN,
        channel=TouchpointChannel.APP, at=now, event_key=f"{owner.id}:app:world")
    await deps.journey.add_touchpoints([touchpoint], {owner.id: owner})
    station = stations.from_ocpi_location(ocpi_location(lat, lng, now))
    await deps.stations.upsert_many([station])
    return World(now, owner, other, car, second_car, center, other_center, appointment,
                 checked_in, in_progress, overdue, elsewhere, session, release, draft, active,
                 paused, update, notification, touchpoint, station)


# --- One minimal valid document per root field ------------------------------------------------

type Variables = Callable[[World], dict[str, Any]]


def _none(_: World) -> dict[str, Any]:
    return {}


def _booking(w: World) -> dict[str, Any]:
    return {"input": {"vehicleId": gid("Vehicle", w.car.id),
                      "centerId": gid("ServiceCenter", w.center.id),
                      "start": next_weekday_at(14).isoformat(), "serviceTypes": ["TYRE_ROTATION"]}}


def _session(w: World, n: int) -> dict[str, Any]:
    start = w.now - timedelta(days=n + 3, hours=2)
    return {"vehicleId": gid("Vehicle", w.car.id), "externalId": f"matrix-{n}",
            "startedAt": start.isoformat(), "endedAt": (start + timedelta(hours=4)).isoformat(),
            "locationType": "HOME", "energyDeliveredKwh": 20.0, "socStartPercent": 30,
            "socEndPercent": 60}


def _near(w: World) -> dict[str, Any]:
    return {"near": {"lat": w.center.location.lat, "lng": w.center.location.lng}}


def _by_id(type_name: str, payload: str, picks: dict[str, Callable[[World], str]]
           ) -> dict[Key, tuple[str, Variables]]:
    """Mutations that take only the `id` of a `type_name` and answer with `payload`."""
    def variables(pick: Callable[[World], str]) -> Variables:
        return lambda w: {"id": gid(type_name, pick(w))}

    return {("mutation", name): (
        f"mutation($id: ID!) {{ {name}(id: $id) {{ {payload} {{ id }} errors {{ code }} }} }}",
        variables(pick)) for name, pick in picks.items()}


ID = "$id: ID!"
DOCUMENTS: dict[Key, tuple[str, Variables]] = {
    ("query", "me"): ("{ me { id } }", _none),
    ("query", "owners"): ("{ owners(first: 1) { edges { node { id } } } }", _none),
    ("query", "vehicle"): (
        f"query({ID}) {{ vehicle(id: $id) {{ id }} }}",
        lambda w: {"id": gid("Vehicle", w.car.id)}),
    ("query", "vehicleModels"): ("{ vehicleModels { id } }", _none),
    ("query", "serviceCenters"): (
        "query($near: GeoPointInput!) { serviceCenters(near: $near, radiusKm: 1) "
        "{ edges { node { id } } } }", _near),
    ("query", "availableServiceSlots"): (
        "query($center: ID!, $from: DateTime!, $to: DateTime!) { availableServiceSlots("
        "centerId: $center, from: $from, to: $to, serviceTypes: [TYRE_ROTATION]) { start } }",
        lambda w: {"center": gid("ServiceCenter", w.center.id),
                   "from": next_weekday_at(8).isoformat(),
                   "to": next_weekday_at(12).isoformat()}),
    ("query", "updateCampaigns"): ("{ updateCampaigns(first: 1) { edges { node { id } } } }",
                                   _none),
    ("query", "updateCampaign"): (
        f"query({ID}) {{ updateCampaign(id: $id) {{ id counts {{ offered }} }} }}",
        lambda w: {"id": gid("UpdateCampaign", w.active.id)}),
    ("query", "softwareVersionDistribution"): (
        "{ softwareVersionDistribution(model: \"volta-one\") { vehicles } }", _none),
    ("query", "chargingStations"): (
        "query($near: GeoPointInput!) { chargingStations(near: $near, radiusKm: 1) "
        "{ edges { node { id } } } }", _near),
    ("query", "planTrip"): (
        "query($input: PlanTripInput!) { planTrip(input: $input) { feasible } }",
        lambda w: {"input": {"vehicleId": gid("Vehicle", w.car.id),
                             "origin": {"lat": 52.52, "lng": 13.40},
                             "destination": {"lat": 52.40, "lng": 13.06}}}),
    ("query", "engagementMetrics"): ("{ engagementMetrics { owners } }", _none),
    ("mutation", "registerOwner"): (
        "mutation($input: RegisterOwnerInput!) { registerOwner(input: $input) "
        "{ owner { id } errors { code } } }",
        lambda w: {"input": {"name": "New Owner", "email": f"{uuid.uuid4().hex}@example.com"}}),
    ("mutation", "registerVehicle"): (
        "mutation($input: RegisterVehicleInput!) { registerVehicle(input: $input) "
        "{ vehicle { id } errors { code } } }",
        lambda w: {"input": {"ownerId": gid("Owner", w.owner.id), "vin": random_vin(),
                             "modelId": "volta-one",
                             "deliveredAt": (w.now - timedelta(days=1)).isoformat()}}),
    ("mutation", "updateVehicle"): (
        "mutation($input: UpdateVehicleInput!) { updateVehicle(input: $input) "
        "{ vehicle { id } errors { code } } }",
        lambda w: {"input": {"id": gid("Vehicle", w.car.id), "nickname": "Blue"}}),
    ("mutation", "recordChargingSession"): (
        "mutation($input: ChargingSessionInput!) { recordChargingSession(input: $input) "
        "{ session { id } errors { code } } }",
        lambda w: {"input": _session(w, 0)}),
    ("mutation", "recordChargingSessions"): (
        "mutation($inputs: [ChargingSessionInput!]!) { recordChargingSessions(inputs: $inputs) "
        "{ stored results { status errors { code } } } }",
        lambda w: {"inputs": [_session(w, 1)]}),
    ("mutation", "setHomeTariff"): (
        "mutation($input: SetHomeTariffInput!) { setHomeTariff(input: $input) "
        "{ owner { id } errors { code } } }",
        lambda w: {"input": {"ownerId": gid("Owner", w.owner.id), "currency": "EUR",
                             "pricePerKwh": 0.3}}),
    ("mutation", "bookServiceAppointment"): (
        "mutation($input: BookServiceAppointmentInput!) { bookServiceAppointment(input: $input) "
        "{ appointment { id } errors { code } } }", _booking),
    ("mutation", "rescheduleServiceAppointment"): (
        f"mutation({ID}, $start: DateTime!) {{ rescheduleServiceAppointment(id: $id, "
        f"start: $start) {{ appointment {{ id }} errors {{ code }} }} }}",
        lambda w: {"id": gid("Appointment", w.appointment.id),
                   "start": next_weekday_at(12, days_ahead=8).isoformat()}),
    **_by_id("Appointment", "appointment", {
        "cancelServiceAppointment": lambda w: w.appointment.id,
        "checkInServiceAppointment": lambda w: w.appointment.id,
        "startServiceWork": lambda w: w.checked_in.id,
        "markServiceNoShow": lambda w: w.overdue.id}),
    ("mutation", "completeServiceAppointment"): (
        f"mutation({ID}) {{ completeServiceAppointment(id: $id, input: {{workPerformed: "
        f"\"Rotated\", concernResolved: true}}) {{ appointment {{ id }} errors {{ code }} }} }}",
        lambda w: {"id": gid("Appointment", w.in_progress.id)}),
    ("mutation", "createSoftwareRelease"): (
        "mutation($input: CreateSoftwareReleaseInput!) { createSoftwareRelease(input: $input) "
        "{ release { id } errors { code } } }",
        lambda w: {"input": {"version": "2026.99.1", "notes": [{"locale": "en", "text": "Fix"}],
                             "targetModels": [RELEASE_MODEL], "criticality": "FEATURE",
                             "sizeMb": 100, "estimatedInstallMinutes": 10}}),
    ("mutation", "createUpdateCampaign"): (
        "mutation($input: CreateUpdateCampaignInput!) { createUpdateCampaign(input: $input) "
        "{ campaign { id } errors { code } } }",
        lambda w: {"input": {"releaseId": gid("SoftwareRelease", w.release.id)}}),
    **_by_id("UpdateCampaign", "campaign", {
        "startUpdateCampaign": lambda w: w.draft.id,
        "advanceUpdateCampaign": lambda w: w.active.id,
        "pauseUpdateCampaign": lambda w: w.active.id,
        "resumeUpdateCampaign": lambda w: w.paused.id}),
    ("mutation", "scheduleVehicleUpdate"): (
        "mutation($vehicle: ID!, $release: ID!, $at: DateTime!) { scheduleVehicleUpdate("
        "vehicleId: $vehicle, releaseId: $release, at: $at) { update { id } errors { code } } }",
        lambda w: {"vehicle": gid("Vehicle", w.car.id),
                   "release": gid("SoftwareRelease", w.release.id),
                   "at": (w.now + timedelta(days=1)).isoformat()}),
    ("mutation", "reportVehicleUpdateStatus"): (
        "mutation($input: VehicleUpdateStatusInput!) { reportVehicleUpdateStatus(input: $input) "
        "{ update { id } errors { code } } }",
        lambda w: {"input": {"vin": w.car.vin, "version": w.release.version,
                             "status": "DOWNLOADING", "eventId": "matrix-1",
                             "reportedAt": (w.now - timedelta(minutes=1)).isoformat()}}),
    ("mutation", "importChargingStations"): (
        "mutation($locations: [JSON!]!) { importChargingStations(locations: $locations) "
        "{ imported rejected { error { code } } } }",
        lambda w: {"locations": [ocpi_location(w.center.location.lat,
                                               w.center.location.lng, w.now)]}),
    ("mutation", "ingestTelemetry"): (
        "mutation($batch: [TelemetryInput!]!) { ingestTelemetry(batch: $batch) "
        "{ stored results { errors { code } } } }",
        lambda w: {"batch": [{"vin": w.car.vin, "eventId": "matrix-1", "at": w.now.isoformat(),
                              "socPercent": 55.0}]}),
    ("mutation", "registerPushDevice"): (
        "mutation($token: String!) { registerPushDevice(token: $token, platform: IOS) "
        "{ device { token } errors { code } } }",
        lambda w: {"token": f"device-{uuid.uuid4().hex}"}),
    ("mutation", "updateNotificationPreferences"): (
        "mutation { updateNotificationPreferences(input: {maxPerDay: 3}) "
        "{ preferences { maxPerDay } errors { code } } }", _none),
    **_by_id("Notification", "notification", {
        "markNotificationRead": lambda w: w.notification.id,
        "markNotificationActed": lambda w: w.notification.id}),
    ("mutation", "recordTouchpoint"): (
        "mutation($input: TouchpointInput!) { recordTouchpoint(input: $input) "
        "{ touchpoint { id } errors { code } } }",
        lambda w: {"input": {"eventId": "matrix-1", "kind": "APP_OPEN", "at": w.now.isoformat(),
                             "vehicleId": gid("Vehicle", w.car.id)}}),
    ("mutation", "submitFeedback"): (
        "mutation($input: FeedbackInput!) { submitFeedback(input: $input) "
        "{ feedback { id } errors { code } } }",
        lambda w: {"input": {"touchpoint": "APP", "npsScore": 9,
                             "vehicleId": gid("Vehicle", w.car.id)}}),
    ("mutation", "exportMyData"): ("mutation { exportMyData { errors { code } } }", _none),
    ("mutation", "deleteMyAccount"): (
        "mutation($owner: ID) { deleteMyAccount(confirm: \"DELETE\", ownerId: $owner) "
        "{ deleted errors { code } } }",
        lambda w: {"owner": gid("Owner", w.owner.id)}),
    ("mutation", "recordConsent"): (
        "mutation { recordConsent(purpose: MARKETING, granted: true) "
        "{ consent { purpose } errors { code } } }", _none),
    ("subscription", "notificationAdded"): ("subscription { notificationAdded { id } }", _none),
}
NODE = "query($id: ID!) { node(id: $id) { id } }"
_VIA_APPOINTMENT = "query($id: ID!) { node(id: $id) { ... on Appointment { vehicle { %s } } } }"
# path -> (document, its node, the piece of the world the path reaches)
NESTED: dict[str, tuple[str, Callable[[World], str], Callable[[World], str]]] = {
    "appointment.vehicle": (
        _VIA_APPOINTMENT % "vin", lambda w: w.node_id("Appointment"), lambda w: w.car.vin),
    "appointment.vehicle.chargingSessions": (
        _VIA_APPOINTMENT % "chargingSessions { edges { node { id } } }",
        lambda w: w.node_id("Appointment"), lambda w: w.node_id("ChargingSession")),
    "appointment.vehicle.owner": (
        _VIA_APPOINTMENT % "owner { email homeTariff { currency } "
                           "notificationPreferences { quietHours { start } } }",
        lambda w: w.node_id("Appointment"), lambda w: w.owner.email),
    "appointment.vehicle.owner.vehicles": (
        _VIA_APPOINTMENT % "owner { vehicles { edges { node { vin } } } }",
        lambda w: w.node_id("Appointment"), lambda w: w.second_car.vin),
    "appointment.vehicle.appointments": (
        _VIA_APPOINTMENT % "appointments { edges { node { id concern } } }",
        lambda w: w.node_id("Appointment"), lambda w: gid("Appointment", w.elsewhere.id)),
    "center.appointments": (
        "query($id: ID!) { node(id: $id) { ... on ServiceCenter { "
        "appointments { edges { node { id } } } } } }",
        lambda w: w.node_id("ServiceCenter"), lambda w: w.node_id("Appointment")),
}


# --- Outcomes ----------------------------------------------------------------------------------

CODES = {"FORBIDDEN": Outcome.FORBIDDEN, "UNAUTHENTICATED": Outcome.UNAUTHENTICATED,
         "NOT_FOUND": Outcome.NOT_FOUND, "INTERNAL_SERVER_ERROR": Outcome.INTERNAL_ERROR}


def _payload_codes(value: object) -> Iterator[str]:
    """Codes of typed errors anywhere in a payload: `errors { code }` and `error { code }`."""
    if isinstance(value, list):
        for item in value:
            yield from _payload_codes(item)
    elif isinstance(value, dict):
        for key, item in value.items():
            if key in ("errors", "error") and item:
                yield from (error["code"] for error in (item if isinstance(item, list)
                                                        else [item]))
            else:
                yield from _payload_codes(item)


def _is_empty(value: object) -> bool:
    return value is None or value == [] or (isinstance(value, dict) and value.get("edges") == [])


def outcome_of(errors: list[dict[str, Any]], data: dict[str, Any] | None, field: str) -> str:
    """ALLOWED, NULL, FORBIDDEN, ... or a description of anything else (which fails the test)."""
    if errors:
        codes = {str((error.get("extensions") or {}).get("code")) for error in errors}
        found = [(error.get("extensions"), error["message"]) for error in errors]
        return CODES.get(codes.pop(), f"errors {found}") if len(codes) == 1 \
            else f"errors {found}"
    value = (data or {}).get(field)
    codes = set(_payload_codes(value))
    if codes:
        return CODES.get(codes.pop(), f"payload errors {codes}") if len(codes) == 1 \
            else f"payload errors {codes}"
    return Outcome.NULL if _is_empty(value) else Outcome.ALLOWED


# --- Fixtures ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def shared_settings(mongodb_uri: str | None) -> Settings:
    """As tests/conftest.py's `settings`, for the module."""
    return Settings(mongodb_uri=mongodb_uri, mongodb_db=f"evj_test_{uuid.uuid4().hex[:12]}",
                    jwt_secret=TEST_SECRET, evj_seed_owners=0, evj_data_path=None,
                    evj_worker_enabled=False, evj_rate_limit_per_minute=0)


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def shared_app(shared_settings: Settings) -> AsyncIterator[Starlette]:
    application = create_app(shared_settings)
    async with application.router.lifespan_context(application):
        yield application
        if shared_settings.mongodb_uri:
            await application.state.db.client.drop_database(shared_settings.mongodb_db)


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def client(shared_app: Starlette, shared_settings: Settings
                 ) -> AsyncIterator[GraphQLClient]:
    transport = httpx.ASGITransport(app=shared_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        yield GraphQLClient(http, shared_settings)


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def shared_world(shared_app: Starlette) -> World:
    """For calls that read or are refused: they change nothing, so they share one world."""
    return await arrange(shared_app.state.deps)


def may_write(key: Key, case: Case) -> bool:
    """A mutation let through changes its world (cancels, deletes...): it gets a fresh one."""
    return key[0] == "mutation" and MATRIX[key][case] not in (Outcome.FORBIDDEN,
                                                              Outcome.UNAUTHENTICATED)


def _bearer(client: GraphQLClient, world: World, case: Case) -> str | None:
    principal = world.principal(case)
    if principal is None:
        return None
    return client.bearer(principal.role, principal.subject, principal.center_id)


async def _call(client: GraphQLClient, world: World, case: Case, query: str,
                variables: dict[str, Any], field: str, reaches: str | None = None) -> str:
    """The outcome; with `reaches`, ALLOWED only if that value came back (else NULL)."""
    body = await client.post(query, variables, _bearer(client, world, case))
    got = outcome_of(body.get("errors") or [], body.get("data"), field)
    if reaches is not None and got == Outcome.ALLOWED and reaches not in json.dumps(body):
        return Outcome.NULL
    return got


# --- Subscriptions: schema.subscribe with the app's Context ----------------------------------


async def _subscribe(deps: Deps, principal: Principal | None, query: str
                     ) -> AsyncGenerator[ExecutionResult] | ExecutionResult:
    context = Context(deps=deps, principal=principal)
    return await schema.subscribe(query, context_value=context)


def _result_outcome(result: ExecutionResult, field: str) -> str:
    """As over HTTP. Subscription errors carry no extensions.code today (the ErrorPolicy
    extension does not see them, over a websocket neither): the code is the raised error's."""
    errors: list[dict[str, Any]] = []
    for error in result.errors or []:
        formatted: dict[str, Any] = dict(error.formatted)
        code = getattr(error.original_error, "code", None)
        formatted["extensions"] = {"code": code, **(formatted.get("extensions") or {})}
        errors.append(formatted)
    return outcome_of(errors, result.data, field)


async def _subscription_outcome(deps: Deps, world: World, case: Case, query: str,
                                field: str) -> str:
    """Subscribes as the case and as the owner (the control); publishes the owner's
    notification; the case hears it (ALLOWED), hears nothing of it (NULL) or is refused."""
    control = await _subscribe(deps, world.principal(Case.OWNER), query)
    subject = await _subscribe(deps, world.principal(case), query)
    assert not isinstance(control, ExecutionResult), control
    if isinstance(subject, ExecutionResult):
        await control.aclose()
        return _result_outcome(subject, field)
    heard_by_control = asyncio.ensure_future(anext(control))
    heard = asyncio.ensure_future(anext(subject))
    try:
        await asyncio.sleep(0.05)  # both are listening
        if heard.done():  # refused at once
            return _result_outcome(heard.result(), field)
        # A new one, delivered now: the feed between instances relays each id once, and only
        # what is fresh.
        now = datetime.now(UTC)
        note = world.notification.model_copy(update={"id": new_id(now), "delivered_at": now})
        await deps.feed.publish([note])
        control_result = await asyncio.wait_for(heard_by_control, timeout=5)
        assert control_result.errors is None, control_result.errors
        assert control_result.data == {field: {"id": gid("Notification", note.id)}}
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.shield(heard), timeout=0.1)
        if not heard.done():
            return Outcome.NULL
        result = heard.result()
        received = (result.data or {}).get(field) or {}
        if received.get("id") not in (None, gid("Notification", note.id)):
            return f"received someone else's notification: {received}"
        return _result_outcome(result, field)
    finally:
        for task in (heard, heard_by_control):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, StopAsyncIteration):
                await task
        for generator in (subject, control):
            with contextlib.suppress(RuntimeError):
                await generator.aclose()


# --- The tests ---------------------------------------------------------------------------------


def _root_schema() -> GraphQLSchema:
    graphql_schema: GraphQLSchema = schema._schema
    return graphql_schema


def _root_fields() -> set[Key]:
    graphql_schema = _root_schema()
    roots: list[tuple[str, GraphQLObjectType | None]] = [
        ("query", graphql_schema.query_type), ("mutation", graphql_schema.mutation_type),
        ("subscription", graphql_schema.subscription_type)]
    return {(op, name) for op, root in roots if root for name in root.fields}


def test_every_root_field_has_a_row() -> None:
    fields = _root_fields() - {("query", "node")}  # node: one row per type, NODE_MATRIX
    assert sorted(fields - MATRIX.keys()) == [], "root fields without a row in MATRIX"
    assert sorted(MATRIX.keys() - fields) == [], "rows in MATRIX for fields that are gone"
    assert sorted(MATRIX.keys() ^ DOCUMENTS.keys()) == [], "rows and documents differ"


def test_every_node_type_has_a_row() -> None:
    graphql_schema = _root_schema()
    node = graphql_schema.get_type("Node")
    assert isinstance(node, GraphQLInterfaceType)
    types = {t.name for t in graphql_schema.get_implementations(node).objects}
    assert sorted(types - NODE_MATRIX.keys()) == [], "node types without a row in NODE_MATRIX"
    assert sorted(NODE_MATRIX.keys() - types) == [], "rows in NODE_MATRIX for types that are gone"


@pytest.mark.parametrize(("key", "case"), [(key, case) for key in MATRIX for case in Case],
                         ids=lambda value: value[1] if isinstance(value, tuple) else str(value))
@on_module_loop
async def test_root_field(key: Key, case: Case, shared_world: World, client: GraphQLClient,
                          shared_app: Starlette) -> None:
    op, field = key
    query, variables = DOCUMENTS[key]
    world = await arrange(shared_app.state.deps) if may_write(key, case) else shared_world
    if op == "subscription":
        got = await _subscription_outcome(shared_app.state.deps, world, case, query, field)
    else:
        got = await _call(client, world, case, query, variables(world), field)
    _check(got, MATRIX[key][case], f"{op} {field}", case)


@pytest.mark.parametrize(("type_name", "case"),
                         [(name, case) for name in NODE_MATRIX for case in Case])
@on_module_loop
async def test_node(type_name: str, case: Case, shared_world: World,
                    client: GraphQLClient) -> None:
    world = shared_world
    got = await _call(client, world, case, NODE, {"id": world.node_id(type_name)}, "node")
    _check(got, NODE_MATRIX[type_name][case], f"node {type_name}", case)


def test_every_nested_path_has_a_document() -> None:
    assert sorted(NESTED_MATRIX.keys() ^ NESTED.keys()) == []


@pytest.mark.parametrize(("path", "case"),
                         [(path, case) for path in NESTED_MATRIX for case in Case])
@on_module_loop
async def test_nested_path(path: str, case: Case, shared_world: World,
                           client: GraphQLClient) -> None:
    world = shared_world
    query, node, reaches = NESTED[path]
    got = await _call(client, world, case, query, {"id": node(world)}, "node", reaches(world))
    _check(got, NESTED_MATRIX[path][case], path, case)
