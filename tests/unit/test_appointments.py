"""Booking rules and the appointment lifecycle: what may be booked, which status changes are
allowed, and when a visit is a return visit for the same concern."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from domain.appointments import (
    MAX_CONCERN,
    RESCHEDULABLE,
    TRANSITIONS,
    Appointment,
    AppointmentStatus,
    BookingRequest,
    HistoryEntry,
    book,
    check_reschedulable,
    check_transition,
    is_return_visit,
)
from domain.availability import Usage, available_slots
from domain.errors import InvalidInput, InvalidTransition, OutsideOpeningHours
from domain.geo import GeoPoint
from domain.ids import looks_like_id
from domain.service_centers import ServiceCenter, ServiceType
from tests.factories import opening_hours

S = AppointmentStatus
T = ServiceType
BERLIN = ZoneInfo("Europe/Berlin")
NOW = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)  # Monday 10:00 in Berlin


def center(*, timezone: str = "Europe/Berlin", mobile: bool = True,
           weekdays: range = range(7)) -> ServiceCenter:
    return ServiceCenter(
        id="center-1", name="Volta Service Test", region="DE",
        location=GeoPoint(lat=52.5, lng=13.4), address="Teststraße 1, Berlin",
        timezone=timezone, opening_hours=opening_hours(weekdays=weekdays), bays=2,
        ev_certified_technicians=2, offers_mobile_service=mobile, loaner_vehicles=1)


def berlin(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=BERLIN)


def request(start: datetime | None = None, **fields: Any) -> BookingRequest:
    values: dict[str, Any] = {"vehicle_id": "vehicle-1", "center_id": "center-1",
                              "start": start or berlin("2027-03-03T10:00"),
                              "service_types": frozenset({T.TYRE_ROTATION}), **fields}
    return BookingRequest(**values)


def booked(req: BookingRequest, shop: ServiceCenter | None = None) -> Appointment:
    return book(req, shop or center(), "owner-1", "owner-1", NOW)


# --- booking ---------------------------------------------------------------------------------


def test_a_booking_is_confirmed_with_one_history_entry() -> None:
    appointment = booked(request(concern="  Squeak when braking  ", loaner_requested=True))
    assert looks_like_id(appointment.id)
    assert appointment.status is S.CONFIRMED
    assert appointment.history == (HistoryEntry(status=S.CONFIRMED, at=NOW, by="owner-1"),)
    assert appointment.created_at == NOW
    assert (appointment.vehicle_id, appointment.owner_id, appointment.center_id) == (
        "vehicle-1", "owner-1", "center-1")
    assert appointment.start == berlin("2027-03-03T10:00")
    assert appointment.start.tzinfo is UTC
    assert appointment.end == berlin("2027-03-03T10:30")
    assert appointment.loaner is True
    assert appointment.concern == "Squeak when braking"


def test_services_run_one_after_another_and_keep_their_concern_categories() -> None:
    types = frozenset({T.CHARGING_SYSTEM_REPAIR, T.TYRE_ROTATION, T.BATTERY_DIAGNOSTICS})
    appointment = booked(request(service_types=types))
    assert appointment.end - appointment.start == timedelta(minutes=210)
    assert appointment.service_types == tuple(sorted(types))
    assert appointment.concern_categories == ("BATTERY", "CHARGING")


def test_the_appointment_keeps_the_centers_timezone() -> None:
    new_york = center(timezone="America/New_York")
    start = datetime(2027, 3, 3, 10, tzinfo=ZoneInfo("America/New_York"))
    assert booked(request(start), new_york).timezone == "America/New_York"
    assert booked(request(), center()).timezone == "Europe/Berlin"


@pytest.mark.parametrize("count", [0, 7])
def test_a_booking_needs_one_to_six_service_types(count: int) -> None:
    types = frozenset(list(ServiceType)[:count])
    with pytest.raises(InvalidInput) as refused:
        booked(request(service_types=types))
    assert refused.value.field == "serviceTypes"


def test_six_service_types_can_be_booked_in_one_visit() -> None:
    six = frozenset({T.TYRE_ROTATION, T.TYRE_CHANGE, T.BRAKE_FLUID, T.CABIN_FILTER,
                     T.SOFTWARE_DIAGNOSTICS, T.ANNUAL_SERVICE})
    assert len(booked(request(berlin("2027-03-03T08:00"), service_types=six)).service_types) == 6


@pytest.mark.parametrize("start", [
    NOW - timedelta(days=1),
    NOW,
    NOW + timedelta(minutes=30),
])
def test_a_booking_is_made_at_least_an_hour_ahead(start: datetime) -> None:
    with pytest.raises(InvalidInput) as refused:
        booked(request(start))
    assert refused.value.field == "start"


def test_a_start_exactly_an_hour_ahead_is_accepted() -> None:
    assert booked(request(NOW + timedelta(hours=1))).start == NOW + timedelta(hours=1)


def test_a_start_without_offset_is_taken_as_utc() -> None:
    naive = datetime(2027, 3, 3, 9, 0)
    assert booked(request(naive)).start == datetime(2027, 3, 3, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize(("start", "types"), [
    (berlin("2027-03-03T10:15"), {T.TYRE_ROTATION}),  # not on the half-hour grid
    (berlin("2027-03-03T07:30"), {T.TYRE_ROTATION}),  # before opening
    (berlin("2027-03-03T18:00"), {T.TYRE_ROTATION}),  # at closing
    (berlin("2027-03-03T17:00"), {T.ANNUAL_SERVICE}),  # would end after closing
    (berlin("2027-03-07T10:00"), {T.TYRE_ROTATION}),  # a Sunday, closed
])
def test_only_offered_starts_can_be_booked(start: datetime, types: set[ServiceType]) -> None:
    weekdays_only = center(weekdays=range(6))
    with pytest.raises(OutsideOpeningHours) as refused:
        booked(request(start, service_types=frozenset(types)), weekdays_only)
    assert refused.value.field == "start"


def test_mobile_service_goes_to_the_owners_address() -> None:
    appointment = booked(request(mobile_service=True, address=" Lindenstraße 5, Berlin "))
    assert appointment.mobile_service is True
    assert appointment.address == "Lindenstraße 5, Berlin"


def test_mobile_service_needs_a_center_that_offers_it() -> None:
    with pytest.raises(InvalidInput) as refused:
        booked(request(mobile_service=True, address="Lindenstraße 5"), center(mobile=False))
    assert refused.value.field == "mobileService"


@pytest.mark.parametrize("address", [None, "", "   "])
def test_mobile_service_needs_an_address(address: str | None) -> None:
    with pytest.raises(InvalidInput) as refused:
        booked(request(mobile_service=True, address=address))
    assert refused.value.field == "address"


def test_a_concern_is_at_most_five_hundred_characters() -> None:
    assert booked(request(concern="x" * MAX_CONCERN)).concern == "x" * MAX_CONCERN
    with pytest.raises(InvalidInput) as refused:
        booked(request(concern="x" * (MAX_CONCERN + 1)))
    assert refused.value.field == "concern"


def test_a_blank_concern_is_no_concern() -> None:
    assert booked(request(concern="   ")).concern is None


def test_every_offered_slot_can_be_booked() -> None:
    shop = center()
    slots = available_slots(shop, Usage(), NOW, NOW + timedelta(days=1),
                            frozenset({T.TYRE_ROTATION}), False, NOW)
    for slot in slots:
        booked(request(slot.start), shop)


# --- lifecycle -------------------------------------------------------------------------------


def appointment(status: AppointmentStatus, start: datetime = NOW - timedelta(hours=2),
                **fields: Any) -> Appointment:
    values: dict[str, Any] = {
        "id": "a1", "vehicle_id": "vehicle-1", "owner_id": "owner-1", "center_id": "center-1",
        "timezone": "Europe/Berlin", "start": start, "end": start + timedelta(minutes=30),
        "service_types": (T.TYRE_ROTATION,), "status": status,
        "created_at": start - timedelta(days=3), **fields}
    return Appointment(**values)


@pytest.mark.parametrize(("current", "to"), list(itertools.product(S, S)))
def test_status_changes_follow_the_lifecycle_exactly(current: AppointmentStatus,
                                                     to: AppointmentStatus) -> None:
    started = appointment(current)  # its start has passed, so a no-show is possible
    if to in TRANSITIONS[current]:
        check_transition(started, to, NOW)
    else:
        with pytest.raises(InvalidTransition) as refused:
            check_transition(started, to, NOW)
        assert refused.value.field == "status"


def test_the_lifecycle_ends_in_completed_cancelled_or_no_show() -> None:
    assert {status for status in S if not TRANSITIONS[status]} == {
        S.COMPLETED, S.CANCELLED, S.NO_SHOW}


def test_a_no_show_is_only_recorded_once_the_start_has_passed() -> None:
    later = appointment(S.CONFIRMED, start=NOW + timedelta(minutes=1))
    with pytest.raises(InvalidTransition):
        check_transition(later, S.NO_SHOW, NOW)
    check_transition(appointment(S.CONFIRMED, start=NOW), S.NO_SHOW, NOW)


def test_a_future_appointment_can_still_be_checked_in_or_cancelled() -> None:
    later = appointment(S.CONFIRMED, start=NOW + timedelta(hours=1))
    check_transition(later, S.CHECKED_IN, NOW)
    check_transition(later, S.CANCELLED, NOW)


@pytest.mark.parametrize("status", list(S))
def test_only_requested_and_confirmed_appointments_can_be_rescheduled(
    status: AppointmentStatus
) -> None:
    if status in (S.REQUESTED, S.CONFIRMED):
        check_reschedulable(appointment(status))
        assert status in RESCHEDULABLE
    else:
        with pytest.raises(InvalidTransition):
            check_reschedulable(appointment(status))


# --- return visits ---------------------------------------------------------------------------

REPAIRED_AT = datetime(2027, 2, 1, 15, 0, tzinfo=UTC)


def repair(categories: tuple[str, ...] = ("BATTERY",), **fields: Any) -> Appointment:
    values: dict[str, Any] = {"status": S.COMPLETED, "completed_at": REPAIRED_AT,
                              "concern_categories": categories, **fields}
    return appointment(start=REPAIRED_AT - timedelta(hours=2), **values)


def visit(after: timedelta, categories: tuple[str, ...] = ("BATTERY",),
          **fields: Any) -> Appointment:
    values: dict[str, Any] = {"id": "a2", "concern_categories": categories, **fields}
    return appointment(S.CONFIRMED, start=REPAIRED_AT + after, **values)


@pytest.mark.parametrize("after", [timedelta(hours=20), timedelta(days=12), timedelta(days=30)])
def test_the_same_concern_within_thirty_days_is_a_return_visit(after: timedelta) -> None:
    assert is_return_visit(repair(), visit(after))


def test_sharing_one_of_several_concern_categories_is_enough() -> None:
    assert is_return_visit(repair(("BATTERY", "CHARGING")), visit(timedelta(days=3),
                                                                  ("CHARGING", "SOFTWARE")))


@pytest.mark.parametrize(("earlier", "later"), [
    (repair(), visit(timedelta(days=30, minutes=1))),  # too late
    (repair(), visit(timedelta(days=3), vehicle_id="vehicle-2")),  # another car
    (repair(), visit(timedelta(days=3), ("CHARGING",))),  # another concern
    (repair(), visit(timedelta(days=3), ())),  # maintenance
    (repair(()), visit(timedelta(days=3))),  # after maintenance
    (repair(status=S.CANCELLED), visit(timedelta(days=3))),  # nothing was repaired
    (repair(status=S.NO_SHOW), visit(timedelta(days=3))),
    (repair(completed_at=None), visit(timedelta(days=3))),
])
def test_other_visits_are_not_return_visits(earlier: Appointment, later: Appointment) -> None:
    assert not is_return_visit(earlier, later)
