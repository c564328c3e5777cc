"""Service booking through GraphQL: capacity under races, idempotency, lifecycle, access."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from domain.access import Role
from domain.service_centers import ServiceCenter
from services.deps import Deps
from tests.conftest import GraphQLClient, error_codes
from tests.factories import add_center, add_owner, add_vehicle, gid, next_weekday_at

BOOK = """
mutation($input: BookServiceAppointmentInput!, $key: String) {
  bookServiceAppointment(input: $input, idempotencyKey: $key) {
    appointment { id status start end serviceTypes loaner history { status by } }
    errors { __typename field message }
  }
}"""
SLOTS = """
query($center: ID!, $from: DateTime!, $to: DateTime!, $types: [ServiceType!]!) {
  availableServiceSlots(centerId: $center, from: $from, to: $to, serviceTypes: $types) {
    start end remainingBays remainingEvTechnicians loanersLeft
  }
}"""
ACTIONS = {
    "cancel": "cancelServiceAppointment(id: $id)",
    "checkIn": "checkInServiceAppointment(id: $id)",
    "start": "startServiceWork(id: $id)",
    "noShow": "markServiceNoShow(id: $id)",
    "complete": "completeServiceAppointment(id: $id, input: {workPerformed: \"Replaced 12V "
                "battery\", concernResolved: true})",
}
CENTER_APPOINTMENTS = """
query($id: ID!) { node(id: $id) { ... on ServiceCenter {
  appointments(first: 50) { edges { node { id status } } } } } }"""


def _action(name: str) -> str:
    return (f"mutation($id: ID!) {{ result: {ACTIONS[name]} {{ appointment {{ status }} "
            f"errors {{ __typename }} }} }}")


def _booking(vehicle_id: str, center: ServiceCenter, start: datetime,
             **fields: Any) -> dict[str, Any]:
    return {"vehicleId": gid("Vehicle", vehicle_id), "centerId": gid("ServiceCenter", center.id),
            "start": start.isoformat(), "serviceTypes": ["TYRE_ROTATION"], **fields}


async def _book(gql: GraphQLClient, auth: str, booking: dict[str, Any],
                key: str | None = None) -> dict[str, Any]:
    data = await gql.ok(BOOK, {"input": booking, "key": key}, auth)
    payload: dict[str, Any] = data["bookServiceAppointment"]
    return payload


async def test_two_hundred_racing_bookings_fill_exactly_two_bays(
    gql: GraphQLClient, deps: Deps
) -> None:
    center = await add_center(deps, bays=2)
    vehicles = [await add_vehicle(deps, await add_owner(deps)) for _ in range(200)]
    start = next_weekday_at(10)
    auth = gql.bearer(Role.ADMIN, "admin")
    results = await asyncio.gather(*(_book(gql, auth, _booking(v.id, center, start))
                                     for v in vehicles))
    booked = [r for r in results if r["appointment"]]
    refused = {e["__typename"] for r in results for e in r["errors"]}
    assert len(booked) == 2
    assert refused == {"SlotUnavailable"}
    slots = await gql.ok(SLOTS, {"center": gid("ServiceCenter", center.id),
                                 "from": start.isoformat(),
                                 "to": (start + timedelta(hours=1)).isoformat(),
                                 "types": ["TYRE_ROTATION"]}, auth)
    assert [s["start"] for s in slots["availableServiceSlots"]] == [
        (start + timedelta(minutes=30)).isoformat()]


async def test_an_idempotency_key_books_once_even_when_racing(
    gql: GraphQLClient, deps: Deps
) -> None:
    center = await add_center(deps, bays=5)
    owner = await add_owner(deps)
    vehicle = await add_vehicle(deps, owner)
    auth = gql.bearer(Role.OWNER, owner.id)
    booking = _booking(vehicle.id, center, next_weekday_at(9))
    results = await asyncio.gather(*(_book(gql, auth, booking, key="k-1") for _ in range(5)))
    assert {r["appointment"]["id"] for r in results} == {results[0]["appointment"]["id"]}
    slots = await gql.ok(SLOTS, {"center": gid("ServiceCenter", center.id),
                                 "from": booking["start"],
                                 "to": (next_weekday_at(9) + timedelta(minutes=30)).isoformat(),
                                 "types": ["TYRE_ROTATION"]}, auth)
    assert slots["availableServiceSlots"][0]["remainingBays"] == 4


async def test_loaners_and_opening_hours_are_typed_errors(gql: GraphQLClient, deps: Deps) -> None:
    center = await add_center(deps, bays=3, loaners=1)
    auth = gql.bearer(Role.ADMIN, "admin")
    first, second = [await add_vehicle(deps, await add_owner(deps)) for _ in range(2)]
    ok = await _book(gql, auth, _booking(first.id, center, next_weekday_at(9),
                                         loanerRequested=True))
    assert ok["appointment"]["loaner"] is True
    no_loaner = await _book(gql, auth, _booking(second.id, center, next_weekday_at(14),
                                                loanerRequested=True))
    assert [e["__typename"] for e in no_loaner["errors"]] == ["LoanerUnavailable"]
    closed = await _book(gql, auth, _booking(second.id, center, next_weekday_at(20)))
    assert [e["__typename"] for e in closed["errors"]] == ["OutsideOpeningHours"]
    past_closing = await _book(gql, auth, {**_booking(second.id, center, next_weekday_at(17)),
                                           "serviceTypes": ["HIGH_VOLTAGE_REPAIR"]})
    assert [e["__typename"] for e in past_closing["errors"]] == ["OutsideOpeningHours"]


async def test_reschedule_frees_the_old_slot_and_takes_the_new(
    gql: GraphQLClient, deps: Deps
) -> None:
    center = await add_center(deps, bays=1)
    owner = await add_owner(deps)
    mine, other = await add_vehicle(deps, owner), await add_vehicle(deps, await add_owner(deps))
    auth, admin = gql.bearer(Role.OWNER, owner.id), gql.bearer(Role.ADMIN, "admin")
    booked = await _book(gql, auth, _booking(mine.id, center, next_weekday_at(9)))
    blocked = await _book(gql, admin, _booking(other.id, center, next_weekday_at(11)))
    assert blocked["errors"] == []
    moved = await gql.ok("""mutation($id: ID!, $start: DateTime!) {
        rescheduleServiceAppointment(id: $id, start: $start) {
          appointment { start } errors { __typename } } }""",
                         {"id": booked["appointment"]["id"],
                          "start": next_weekday_at(11).isoformat()}, auth)
    assert [e["__typename"] for e in moved["rescheduleServiceAppointment"]["errors"]] == [
        "SlotUnavailable"]
    moved = await gql.ok("""mutation($id: ID!, $start: DateTime!) {
        rescheduleServiceAppointment(id: $id, start: $start) {
          appointment { start } errors { __typename } } }""",
                         {"id": booked["appointment"]["id"],
                          "start": next_weekday_at(13).isoformat()}, auth)
    assert moved["rescheduleServiceAppointment"]["appointment"]["start"] == (
        next_weekday_at(13).isoformat())
    now_free = await _book(gql, admin, _booking(other.id, center, next_weekday_at(9)))
    assert now_free["errors"] == []


LIFECYCLE: list[tuple[list[str], set[str]]] = [
    # (steps from CONFIRMED, actions allowed afterwards)
    ([], {"cancel", "checkIn"}),
    (["checkIn"], {"cancel", "start"}),
    (["checkIn", "start"], {"complete"}),
    (["checkIn", "start", "complete"], set()),
    (["cancel"], set()),
]


@pytest.mark.parametrize(("steps", "allowed"), LIFECYCLE)
async def test_only_lifecycle_transitions_are_allowed(
    gql: GraphQLClient, deps: Deps, steps: list[str], allowed: set[str]
) -> None:
    center = await add_center(deps)
    vehicle = await add_vehicle(deps, await add_owner(deps))
    staff = gql.bearer(Role.SERVICE_STAFF, "tech-1", center_id=center.id)
    booked = await _book(gql, staff, _booking(vehicle.id, center, next_weekday_at(10)))
    appointment_id = booked["appointment"]["id"]
    for step in steps:
        data = await gql.ok(_action(step), {"id": appointment_id}, staff)
        assert data["result"]["errors"] == []
    for action in ACTIONS:
        if action in allowed or action == "noShow":  # no-show needs the start to have passed
            continue
        data = await gql.ok(_action(action), {"id": appointment_id}, staff)
        assert [e["__typename"] for e in data["result"]["errors"]] == ["InvalidTransition"], (
            steps, action)
    no_show = await gql.ok(_action("noShow"), {"id": appointment_id}, staff)
    assert [e["__typename"] for e in no_show["result"]["errors"]] == ["InvalidTransition"]


async def test_history_records_every_change(gql: GraphQLClient, deps: Deps) -> None:
    center = await add_center(deps)
    vehicle = await add_vehicle(deps, await add_owner(deps))
    staff = gql.bearer(Role.SERVICE_STAFF, "tech-1", center_id=center.id)
    booked = await _book(gql, staff, _booking(vehicle.id, center, next_weekday_at(10)))
    for step in ("checkIn", "start", "complete"):
        await gql.ok(_action(step), {"id": booked["appointment"]["id"]}, staff)
    data = await gql.ok("query($id: ID!) { node(id: $id) { ... on Appointment { status "
                        "workPerformed history { status by } } } }",
                        {"id": booked["appointment"]["id"]}, staff)
    assert data["node"]["status"] == "COMPLETED"
    assert [h["status"] for h in data["node"]["history"]] == [
        "CONFIRMED", "CHECKED_IN", "IN_PROGRESS", "COMPLETED"]
    assert {h["by"] for h in data["node"]["history"]} == {"tech-1"}


async def test_staff_of_another_center_can_neither_see_nor_change(
    gql: GraphQLClient, deps: Deps
) -> None:
    ours, theirs = await add_center(deps), await add_center(deps)
    vehicle = await add_vehicle(deps, await add_owner(deps))
    our_staff = gql.bearer(Role.SERVICE_STAFF, "a", center_id=ours.id)
    their_staff = gql.bearer(Role.SERVICE_STAFF, "b", center_id=theirs.id)
    booked = await _book(gql, our_staff, _booking(vehicle.id, ours, next_weekday_at(10)))
    appointment_id = booked["appointment"]["id"]
    listed = await gql.ok(CENTER_APPOINTMENTS, {"id": gid("ServiceCenter", ours.id)}, our_staff)
    assert [e["node"]["id"] for e in listed["node"]["appointments"]["edges"]] == [appointment_id]
    body = await gql.post(CENTER_APPOINTMENTS, {"id": gid("ServiceCenter", ours.id)},
                          their_staff)
    assert error_codes(body) == ["FORBIDDEN"]
    for action in ("checkIn", "cancel"):
        body = await gql.post(_action(action), {"id": appointment_id}, their_staff)
        assert error_codes(body) == ["FORBIDDEN"]
    body = await gql.post("query($id: ID!) { node(id: $id) { id } }", {"id": appointment_id},
                          their_staff)
    assert error_codes(body) == ["FORBIDDEN"]
    booking = await gql.post(BOOK, {"input": _booking(vehicle.id, ours, next_weekday_at(11))},
                             their_staff)
    assert error_codes(booking) == ["FORBIDDEN"]


async def test_owner_cannot_book_for_someone_elses_vehicle(gql: GraphQLClient, deps: Deps) -> None:
    center = await add_center(deps)
    me, other = await add_owner(deps), await add_owner(deps)
    their_vehicle = await add_vehicle(deps, other)
    body = await gql.post(BOOK, {"input": _booking(their_vehicle.id, center, next_weekday_at(9))},
                          gql.bearer(Role.OWNER, me.id))
    assert error_codes(body) == ["FORBIDDEN"]
    owner_view = await gql.post(CENTER_APPOINTMENTS, {"id": gid("ServiceCenter", center.id)},
                                gql.bearer(Role.OWNER, me.id))
    assert error_codes(owner_view) == ["FORBIDDEN"]


async def test_slots_on_a_daylight_saving_day_match_an_ordinary_day(
    gql: GraphQLClient, deps: Deps
) -> None:
    center = await add_center(deps)  # Europe/Berlin, 08:00-18:00 daily
    auth = gql.bearer(Role.OWNER, "someone")

    async def local_starts(day: str) -> list[str]:
        data = await gql.ok(SLOTS, {"center": gid("ServiceCenter", center.id),
                                    "from": f"{day}T00:00:00+00:00",
                                    "to": f"{day}T23:00:00+00:00",
                                    "types": ["ANNUAL_SERVICE"]}, auth)
        return [s["start"][11:] for s in data["availableServiceSlots"]]

    ordinary, spring, autumn = [await local_starts(day) for day in (
        "2027-03-27", "2027-03-28", "2027-10-31")]
    assert len(ordinary) == 18  # 08:00 .. 16:30 for a 90-minute visit
    assert [s[:5] for s in spring] == [s[:5] for s in ordinary] == [s[:5] for s in autumn]
    assert ordinary[0] == "08:00:00+01:00"
    assert spring[0] == "08:00:00+02:00"
    assert autumn[0] == "08:00:00+01:00"


async def test_a_return_visit_for_the_same_concern_reopens_the_repair(
    gql: GraphQLClient, deps: Deps
) -> None:
    center = await add_center(deps)
    owner = await add_owner(deps)
    vehicle = await add_vehicle(deps, owner)
    staff = gql.bearer(Role.SERVICE_STAFF, "tech", center_id=center.id)
    auth = gql.bearer(Role.OWNER, owner.id)
    repair = {"serviceTypes": ["BATTERY_DIAGNOSTICS"], "concern": "Range dropped suddenly"}
    first = await _book(gql, auth, _booking(vehicle.id, center, next_weekday_at(9), **repair))
    for step in ("checkIn", "start", "complete"):
        await gql.ok(_action(step), {"id": first["appointment"]["id"]}, staff)
    tyres = await _book(gql, auth, _booking(vehicle.id, center, next_weekday_at(13)))
    assert tyres["errors"] == []
    reopened_query = "query($id: ID!) { node(id: $id) { ... on Appointment { reopened } } }"
    still_fixed = await gql.ok(reopened_query, {"id": first["appointment"]["id"]}, auth)
    assert still_fixed["node"]["reopened"] is False  # another category is not a return visit
    again = await _book(gql, auth, _booking(vehicle.id, center, next_weekday_at(11), **repair))
    assert again["errors"] == []
    reopened = await gql.ok(reopened_query, {"id": first["appointment"]["id"]}, auth)
    assert reopened["node"]["reopened"] is True


async def test_visits_near_a_utc_month_end_share_one_capacity_count(
    gql: GraphQLClient, deps: Deps
) -> None:
    # 16:30-18:00 in Los Angeles on 30 April is 23:30-01:00 UTC: the units straddle May 1st UTC.
    center = await add_center(deps, bays=1, loaners=1, timezone="America/Los_Angeles")
    auth = gql.bearer(Role.ADMIN, "admin")
    first, second = [await add_vehicle(deps, await add_owner(deps)) for _ in range(2)]
    late = datetime.fromisoformat("2027-04-30T16:30:00-07:00")
    booked = await _book(gql, auth, {**_booking(first.id, center, late),
                                     "serviceTypes": ["ANNUAL_SERVICE"]})
    assert booked["errors"] == []
    overlapping = await _book(gql, auth, _booking(second.id, center,
                                                  late + timedelta(minutes=30)))
    assert [e["__typename"] for e in overlapping["errors"]] == ["SlotUnavailable"]
    same_day_loaner = await _book(gql, auth, {**_booking(second.id, center,
                                                         late - timedelta(hours=6)),
                                              "loanerRequested": True})
    assert same_day_loaner["errors"] == []
    no_loaner_left = await _book(gql, auth, {**_booking(first.id, center,
                                                        late - timedelta(hours=3)),
                                             "loanerRequested": True})
    assert [e["__typename"] for e in no_loaner_left["errors"]] == ["LoanerUnavailable"]


async def test_staff_reach_the_vehicle_but_not_its_charging_history(
    gql: GraphQLClient, deps: Deps
) -> None:
    center = await add_center(deps)
    vehicle = await add_vehicle(deps, await add_owner(deps))
    staff = gql.bearer(Role.SERVICE_STAFF, "tech", center_id=center.id)
    booked = await _book(gql, staff, _booking(vehicle.id, center, next_weekday_at(10)))
    query = """query($id: ID!) { node(id: $id) { ... on Appointment { vehicle { vin
      batteryHealth { status } %s } } } }"""
    allowed = await gql.ok(query % "", {"id": booked["appointment"]["id"]}, staff)
    assert allowed["node"]["vehicle"]["vin"] == vehicle.vin
    for field in ("chargingSessions { edges { cursor } }", "chargingStats { sessions }"):
        body = await gql.post(query % field, {"id": booked["appointment"]["id"]}, staff)
        assert error_codes(body) == ["FORBIDDEN"]


async def test_next_appointment_is_the_soonest_visit_to_come(gql: GraphQLClient,
                                                            deps: Deps) -> None:
    from domain.appointments import Appointment, AppointmentStatus
    from domain.ids import new_id
    from domain.service_centers import ServiceType

    owner = await add_owner(deps)
    car = await add_vehicle(deps, owner)
    center = await add_center(deps)
    now = datetime.now(UTC)

    def visit(days: float, status: AppointmentStatus) -> Appointment:
        start = now + timedelta(days=days)
        return Appointment(id=new_id(now), vehicle_id=car.id, owner_id=owner.id,
                           center_id=center.id, timezone=center.timezone, start=start,
                           end=start + timedelta(hours=1),
                           service_types=(ServiceType.ANNUAL_SERVICE,), status=status,
                           created_at=now)

    soon, later = visit(3, AppointmentStatus.CONFIRMED), visit(9, AppointmentStatus.CONFIRMED)
    await deps.appointments.add_many([visit(-2, AppointmentStatus.COMPLETED), later, soon,
                                      visit(1, AppointmentStatus.CANCELLED)])
    query = "query($id: ID!) { vehicle(id: $id) { nextAppointment { id } } }"
    data = await gql.ok(query, {"id": gid("Vehicle", car.id)}, gql.bearer(Role.OWNER, owner.id))
    assert data["vehicle"]["nextAppointment"]["id"] == gid("Appointment", soon.id)
