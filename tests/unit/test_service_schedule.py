"""When maintenance falls due: by time since delivery or the last service, or by distance at the
car's own pace, whichever comes first."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.service_centers import ServiceType
from domain.service_schedule import (
    DEFAULT_SCHEDULE,
    MODEL_SCHEDULES,
    Interval,
    LastService,
    ServiceDue,
    service_due,
)
from domain.vehicles import Vehicle

T = ServiceType
NOW = datetime(2027, 6, 1, 12, 0, tzinfo=UTC)


def car(delivered: datetime, odometer_km: float, model_id: str = "volta-one") -> Vehicle:
    return Vehicle(id="v1", vin="WVOLTA00000000001", owner_id="o1", model_id=model_id,
                   delivered_at=delivered, odometer_km=odometer_km, created_at=delivered,
                   updated_at=delivered)


def due(vehicle: Vehicle, kind: ServiceType,
        last: Mapping[ServiceType, LastService] | None = None,
        now: datetime = NOW) -> ServiceDue:
    [item] = [d for d in service_due(vehicle, last or {}, now) if d.service_type is kind]
    return item


def at(day: str) -> datetime:
    return datetime.fromisoformat(day).replace(hour=12, tzinfo=UTC)


def test_a_new_car_is_due_for_its_annual_service_two_years_after_delivery() -> None:
    new = car(at("2027-03-03"), odometer_km=900)  # about 10 km a day
    annual = due(new, T.ANNUAL_SERVICE)
    assert annual.due_on == date(2029, 3, 3)
    assert annual.due_at_km == 30_000
    assert annual.reason == "TIME"
    assert not annual.overdue
    assert not annual.due_soon


def test_a_high_mileage_car_is_due_by_distance_first() -> None:
    busy = car(NOW - timedelta(days=100), odometer_km=15_000)  # 150 km a day
    annual = due(busy, T.ANNUAL_SERVICE)
    assert annual.reason == "DISTANCE"
    assert annual.due_on == NOW.date() + timedelta(days=100)  # 15,000 km to go
    assert annual.due_at_km == 30_000


def test_the_last_service_resets_the_clock_and_the_odometer() -> None:
    driven = car(at("2024-01-10"), odometer_km=41_000)
    last = {T.ANNUAL_SERVICE: LastService(at=at("2026-11-20"), odometer_km=40_000)}
    annual = due(driven, T.ANNUAL_SERVICE, last)
    assert annual.due_at_km == 70_000
    assert annual.reason == "TIME"
    assert annual.due_on == date(2028, 11, 20)
    assert not annual.overdue


def test_only_the_serviced_item_is_reset() -> None:
    driven = car(at("2025-01-10"), odometer_km=20_000)
    last = {T.TYRE_ROTATION: LastService(at=at("2027-01-10"), odometer_km=18_000)}
    assert due(driven, T.TYRE_ROTATION, last).due_on == date(2028, 1, 10)
    assert due(driven, T.CABIN_FILTER, last).due_on == date(2026, 1, 10)


def test_a_date_in_the_past_is_overdue_not_due_soon() -> None:
    old = car(at("2024-01-01"), odometer_km=12_000)
    annual = due(old, T.ANNUAL_SERVICE)
    assert annual.due_on == date(2026, 1, 1)
    assert annual.overdue
    assert not annual.due_soon


def test_a_distance_passed_is_overdue_whatever_the_date() -> None:
    driven = car(at("2026-01-01"), odometer_km=31_000)
    annual = due(driven, T.ANNUAL_SERVICE)
    assert annual.overdue
    assert annual.reason == "DISTANCE"
    assert annual.due_on < NOW.date()


@pytest.mark.parametrize(("days_ahead", "soon"), [(20, True), (30, True), (31, False),
                                                  (200, False)])
def test_a_date_within_thirty_days_is_due_soon(days_ahead: int, soon: bool) -> None:
    # Cabin filters go by time only: 12 months after delivery.
    delivered = datetime.combine(NOW.date() + timedelta(days=days_ahead), NOW.time(),
                                 tzinfo=UTC).replace(year=NOW.year - 1)
    cabin = due(car(delivered, odometer_km=5_000), T.CABIN_FILTER)
    assert cabin.due_on == NOW.date() + timedelta(days=days_ahead)
    assert cabin.due_soon is soon
    assert not cabin.overdue


def test_the_last_thousand_kilometres_are_due_soon() -> None:
    # 28,300 km in 1,415 days (20 km a day on average): 900 km, so 45 days, to go.
    driven = car(NOW - timedelta(days=1415), odometer_km=28_300)
    rotation = due(driven, T.TYRE_ROTATION, {
        T.TYRE_ROTATION: LastService(at=NOW - timedelta(days=200), odometer_km=17_200)})
    assert rotation.due_at_km == 29_200
    assert rotation.due_on == NOW.date() + timedelta(days=45)
    assert rotation.due_soon
    assert not rotation.overdue


def test_items_come_soonest_first() -> None:
    items = service_due(car(at("2026-02-01"), odometer_km=6_000), {}, NOW)
    assert [d.due_on for d in items] == sorted(d.due_on for d in items)
    assert {d.service_type for d in items} == {i.service_type for i in DEFAULT_SCHEDULE}


def test_tyres_of_the_heavy_cargo_model_are_rotated_every_ten_thousand_km() -> None:
    delivered = NOW - timedelta(days=30)
    assert due(car(delivered, 100, "volta-cargo"), T.TYRE_ROTATION).due_at_km == 10_000
    assert due(car(delivered, 100, "volta-one"), T.TYRE_ROTATION).due_at_km == 12_000
    assert due(car(delivered, 100, "volta-cargo"), T.ANNUAL_SERVICE).due_at_km == 30_000


def test_a_car_that_never_moved_is_due_by_time() -> None:
    parked = due(car(at("2026-06-01"), odometer_km=0), T.ANNUAL_SERVICE)
    assert parked.reason == "TIME"
    assert parked.due_on == date(2028, 6, 1)


# --- month arithmetic, through service_due ---------------------------------------------------


@pytest.mark.parametrize(("delivered", "expected"), [
    ("2027-01-31", date(2027, 2, 28)),
    ("2028-01-31", date(2028, 2, 29)),  # leap year
    ("2026-12-15", date(2027, 1, 15)),  # into the next year
    ("2027-03-31", date(2027, 4, 30)),
])
def test_a_month_later_is_the_same_day_or_the_end_of_a_shorter_month(
    monkeypatch: pytest.MonkeyPatch, delivered: str, expected: date
) -> None:
    monkeypatch.setitem(MODEL_SCHEDULES, "monthly-test",
                        (Interval(T.CABIN_FILTER, months=1, km=None),))
    [item] = service_due(car(at(delivered), 0, "monthly-test"), {}, at(delivered))
    assert item.due_on == expected


def test_a_year_after_the_twenty_ninth_of_february_is_the_twenty_eighth() -> None:
    leap = car(at("2028-02-29"), odometer_km=0)
    assert due(leap, T.TYRE_ROTATION, now=at("2028-03-01")).due_on == date(2029, 2, 28)


# --- robustness ------------------------------------------------------------------------------


@given(st.integers(min_value=0, max_value=3000), st.one_of(
    st.just(0.0), st.floats(min_value=100, max_value=400_000)))
def test_the_due_date_never_comes_after_the_time_interval(days_owned: int,
                                                          odometer_km: float) -> None:
    vehicle = car(NOW - timedelta(days=days_owned), odometer_km)
    for item in service_due(vehicle, {}, NOW):
        [interval] = [i for i in DEFAULT_SCHEDULE if i.service_type is item.service_type]
        by_time = due(car(vehicle.delivered_at, 0), item.service_type).due_on
        assert item.due_on <= by_time
        assert (item.reason == "DISTANCE") == (item.due_on < by_time)
        assert item.due_at_km == interval.km
        assert not (item.overdue and item.due_soon)


def test_a_car_with_almost_no_distance_is_still_due_by_time() -> None:
    barely_moved = car(NOW - timedelta(days=730), odometer_km=1)
    assert due(barely_moved, T.ANNUAL_SERVICE).reason == "TIME"
