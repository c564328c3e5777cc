"""Slots and capacity: wall-clock starts across daylight saving, what a booking holds, and which
slots a center can still offer."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.availability import (
    Hold,
    Usage,
    available_slots,
    first_full,
    hold_for,
    is_offered_start,
    starts_on,
    unit_key,
    units,
)
from domain.geo import GeoPoint
from domain.service_centers import (
    SERVICES,
    OpeningHours,
    ServiceCenter,
    ServiceType,
    duration_minutes,
)
from tests.factories import opening_hours

T = ServiceType
BERLIN = ZoneInfo("Europe/Berlin")
ANNUAL = frozenset({T.ANNUAL_SERVICE})  # 90 minutes, EV technician
TYRES = frozenset({T.TYRE_ROTATION})  # 30 minutes, any technician
DEMO_ZONES = ("Europe/London", "Europe/Berlin", "Europe/Paris", "Europe/Amsterdam",
              "Europe/Stockholm", "Europe/Madrid", "America/New_York", "America/Los_Angeles")


def center(*, timezone: str = "Europe/Berlin", hours: tuple[OpeningHours, ...] | None = None,
           bays: int = 2, ev: int = 1, loaners: int = 1, mobile: bool = True) -> ServiceCenter:
    return ServiceCenter(
        id="c1", name="Volta Service Test", region="DE", location=GeoPoint(lat=52.5, lng=13.4),
        address="Teststraße 1, Berlin", timezone=timezone,
        opening_hours=hours if hours is not None else opening_hours(), bays=bays,
        ev_certified_technicians=ev, offers_mobile_service=mobile, loaner_vehicles=loaners)


def local(text: str, zone: ZoneInfo = BERLIN) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=zone)


def wall_times(starts: list[datetime], zone: ZoneInfo) -> list[str]:
    return [start.astimezone(zone).strftime("%H:%M") for start in starts]


# --- starts on a local day ------------------------------------------------------------------

DST_DAYS = [
    # (zone, daylight-saving day, an ordinary day before it, UTC offset change in hours)
    ("Europe/Berlin", date(2027, 3, 28), date(2027, 3, 27), 1),
    ("Europe/Berlin", date(2027, 10, 31), date(2027, 10, 30), -1),
    ("America/New_York", date(2027, 3, 14), date(2027, 3, 13), 1),
]


@pytest.mark.parametrize(("timezone", "dst_day", "ordinary_day", "shift"), DST_DAYS)
def test_a_daylight_saving_day_has_the_same_wall_clock_starts_as_an_ordinary_day(
    timezone: str, dst_day: date, ordinary_day: date, shift: int
) -> None:
    zone, shop = ZoneInfo(timezone), center(timezone=timezone)  # 08:00-18:00 every day
    ordinary, dst = starts_on(shop, ordinary_day, 90), starts_on(shop, dst_day, 90)
    assert len(ordinary) == len(dst) == 18  # 08:00 .. 16:30
    assert wall_times(ordinary, zone) == wall_times(dst, zone)
    assert wall_times(dst, zone)[0] == "08:00"
    assert all(start.tzinfo is UTC for start in dst)
    # The same wall time is `shift` hours earlier in UTC once the clocks have moved forward.
    assert [a - b for a, b in zip(dst, ordinary, strict=True)] == [
        timedelta(days=1, hours=-shift)] * 18


def test_wall_times_in_the_spring_forward_gap_are_skipped() -> None:
    night = center(hours=opening_hours("01:00", "05:00"))
    gap_day = starts_on(night, date(2027, 3, 28), 30)
    assert wall_times(gap_day, BERLIN) == ["01:00", "01:30", "03:00", "03:30", "04:00", "04:30"]
    assert len(starts_on(night, date(2027, 3, 27), 30)) == 8


def test_the_repeated_autumn_hour_is_offered_once() -> None:
    night = center(hours=opening_hours("01:00", "05:00"))
    fall_back = starts_on(night, date(2027, 10, 31), 30)
    assert wall_times(fall_back, BERLIN) == ["01:00", "01:30", "02:00", "02:30", "03:00",
                                             "03:30", "04:00", "04:30"]


def test_a_visit_spanning_the_spring_forward_gap_still_ends_by_closing() -> None:
    night = center(hours=opening_hours("01:00", "05:00"))
    for start in starts_on(night, date(2027, 3, 28), 180):
        assert (start + timedelta(minutes=180)).astimezone(BERLIN) <= local("2027-03-28T05:00")


@pytest.mark.parametrize(("types", "last_start"), [
    (TYRES, "17:30"),
    (ANNUAL, "16:30"),
    (frozenset({T.CHARGING_SYSTEM_REPAIR}), "16:00"),
    (frozenset({T.HIGH_VOLTAGE_REPAIR}), "15:00"),
    (frozenset({T.HIGH_VOLTAGE_REPAIR, T.CHARGING_SYSTEM_REPAIR}), "13:00"),
])
def test_visits_that_would_run_past_closing_are_not_offered(
    types: frozenset[ServiceType], last_start: str
) -> None:
    starts = starts_on(center(), date(2027, 5, 4), duration_minutes(types))
    assert wall_times(starts, BERLIN)[-1] == last_start


def test_closing_off_the_half_hour_still_leaves_room_for_the_whole_visit() -> None:
    shop = center(hours=opening_hours("07:45", "12:10"))
    assert wall_times(starts_on(shop, date(2027, 5, 4), 30), BERLIN)[-1] == "11:15"
    assert wall_times(starts_on(shop, date(2027, 5, 4), 30), BERLIN)[0] == "07:45"


def test_a_visit_longer_than_the_day_is_never_offered() -> None:
    short_day = center(hours=opening_hours("09:00", "11:00"))
    assert starts_on(short_day, date(2027, 5, 4), 180) == []


def test_a_closed_weekday_has_no_starts() -> None:
    weekdays = center(hours=opening_hours(weekdays=range(5)))
    assert starts_on(weekdays, date(2027, 5, 9), 30) == []  # a Sunday
    assert not is_offered_start(weekdays, local("2027-05-09T10:00"), 30)
    assert is_offered_start(weekdays, local("2027-05-10T10:00"), 30)


def test_an_offered_start_is_checked_in_the_centers_local_day() -> None:
    los_angeles = ZoneInfo("America/Los_Angeles")
    shop = center(timezone="America/Los_Angeles", hours=opening_hours("08:00", "18:00"))
    late = local("2027-04-30T17:30", los_angeles)  # already 1 May in UTC
    assert late.astimezone(UTC).date() == date(2027, 5, 1)
    assert is_offered_start(shop, late, 30)
    assert not is_offered_start(shop, late, 60)


# --- what a booking holds --------------------------------------------------------------------


def test_a_workshop_visit_holds_a_bay_for_every_half_hour_it_spans() -> None:
    hold = hold_for(center(), local("2027-05-04T10:00"), ANNUAL, loaner=False, mobile=False)
    assert hold.bays == ("2027-05-04T08:00", "2027-05-04T08:30", "2027-05-04T09:00")
    assert hold.mobile == ()
    assert hold.loaners == ()


def test_mobile_service_holds_the_van_instead_of_a_bay() -> None:
    hold = hold_for(center(), local("2027-05-04T10:00"), TYRES, loaner=False, mobile=True)
    assert hold.bays == ()
    assert hold.mobile == ("2027-05-04T08:00",)


@pytest.mark.parametrize(("types", "ev_units"), [
    (TYRES, 0),
    (frozenset({T.TYRE_ROTATION, T.CABIN_FILTER, T.BRAKE_FLUID}), 0),
    (ANNUAL, 3),
    (frozenset({T.SOFTWARE_DIAGNOSTICS}), 1),
    # A mixed visit keeps its EV technician for the whole visit.
    (frozenset({T.TYRE_ROTATION, T.SOFTWARE_DIAGNOSTICS}), 2),
])
def test_an_ev_technician_is_held_only_for_ev_work(types: frozenset[ServiceType],
                                                   ev_units: int) -> None:
    hold = hold_for(center(), local("2027-05-04T10:00"), types, loaner=False, mobile=False)
    assert len(hold.ev) == ev_units
    assert hold.ev in ((), hold.bays)


def test_an_ev_mobile_visit_holds_the_van_and_a_technician() -> None:
    hold = hold_for(center(), local("2027-05-04T10:00"), frozenset({T.SOFTWARE_DIAGNOSTICS}),
                    loaner=False, mobile=True)
    assert hold.ev == hold.mobile == ("2027-05-04T08:00",)


def test_a_loaner_is_held_for_the_centers_local_date() -> None:
    los_angeles = ZoneInfo("America/Los_Angeles")
    shop = center(timezone="America/Los_Angeles")
    evening = local("2027-04-30T17:00", los_angeles)  # 2027-05-01T00:00 UTC
    hold = hold_for(shop, evening, TYRES, loaner=True, mobile=False)
    assert hold.loaners == ("2027-04-30",)
    assert hold.bays == ("2027-05-01T00:00",)


def test_hold_items_name_every_counter_and_unit() -> None:
    hold = Hold(bays=("b",), ev=("e",), mobile=("m",), loaners=("l",))
    assert list(hold.items()) == [("bays", "b"), ("ev", "e"), ("mobile", "m"), ("loaners", "l")]


def test_unit_keys_are_utc_half_hours() -> None:
    assert unit_key(local("2027-07-01T09:30")) == "2027-07-01T07:30"
    assert units(local("2027-07-01T09:30"), 60) == ("2027-07-01T07:30", "2027-07-01T08:00")


# --- which counter is full -------------------------------------------------------------------


def test_first_full_is_none_when_everything_fits() -> None:
    hold = hold_for(center(), local("2027-05-04T10:00"), ANNUAL, loaner=True, mobile=False)
    assert first_full(center(), Usage({"bays": {"2027-05-04T08:30": 1}}), hold) is None


@pytest.mark.parametrize(("usage", "expected"), [
    ({"bays": {"2027-05-04T08:30": 2}}, "bays"),
    ({"ev": {"2027-05-04T09:00": 1}}, "ev"),
    ({"loaners": {"2027-05-04": 1}}, "loaners"),
])
def test_first_full_names_the_counter_without_room(usage: dict[str, dict[str, int]],
                                                   expected: str) -> None:
    hold = hold_for(center(), local("2027-05-04T10:00"), ANNUAL, loaner=True, mobile=False)
    assert first_full(center(bays=2, ev=1, loaners=1), Usage(usage), hold) == expected


def test_a_center_without_a_van_or_loaners_is_full_for_them() -> None:
    bare = center(mobile=False, loaners=0)
    start = local("2027-05-04T10:00")
    assert first_full(bare, Usage(), hold_for(bare, start, TYRES, False, mobile=True)) == "mobile"
    assert first_full(bare, Usage(), hold_for(bare, start, TYRES, True, mobile=False)) == "loaners"


def test_one_van_serves_one_mobile_visit_at_a_time() -> None:
    start = local("2027-05-04T10:00")
    hold = hold_for(center(), start, TYRES, loaner=False, mobile=True)
    assert first_full(center(), Usage({"mobile": {unit_key(start): 1}}), hold) == "mobile"


# --- available slots -------------------------------------------------------------------------

DAY_START, DAY_END = local("2027-05-04T00:00"), local("2027-05-05T00:00")
BEFORE = local("2027-05-01T12:00")


def slot_times(shop: ServiceCenter, usage: Usage, types: frozenset[ServiceType],
               loaner: bool = False, now: datetime = BEFORE) -> list[str]:
    slots = available_slots(shop, usage, DAY_START, DAY_END, types, loaner, now)
    return wall_times([slot.start for slot in slots], BERLIN)


def test_a_slot_is_gone_when_any_unit_it_spans_is_full() -> None:
    full_at_ten = Usage({"bays": {unit_key(local("2027-05-04T10:00")): 2}})
    offered = slot_times(center(), full_at_ten, ANNUAL)
    assert {"09:00", "09:30", "10:00"}.isdisjoint(offered)
    assert {"08:00", "08:30", "10:30", "16:30"} <= set(offered)
    assert len(offered) == 18 - 3


def test_ev_technicians_limit_ev_work_but_not_tyres() -> None:
    busy_technician = Usage({"ev": {unit_key(local("2027-05-04T12:00")): 1}})
    assert "12:00" not in slot_times(center(ev=1), busy_technician, ANNUAL)
    assert "12:00" in slot_times(center(ev=1), busy_technician, TYRES)


def test_a_day_without_loaners_offers_slots_only_without_one() -> None:
    loaner_taken = Usage({"loaners": {"2027-05-04": 1}})
    assert slot_times(center(loaners=1), loaner_taken, TYRES, loaner=True) == []
    assert len(slot_times(center(loaners=1), loaner_taken, TYRES, loaner=False)) == 20


def test_slots_report_the_tightest_remaining_capacity() -> None:
    usage = Usage({"bays": {unit_key(local("2027-05-04T09:00")): 3},
                   "ev": {unit_key(local("2027-05-04T08:30")): 1},
                   "loaners": {"2027-05-04": 1}})
    shop = center(bays=5, ev=3, loaners=2)
    [slot] = [s for s in available_slots(shop, usage, DAY_START, DAY_END, ANNUAL, False, BEFORE)
              if s.start == local("2027-05-04T08:00")]
    assert (slot.remaining_bays, slot.remaining_ev_technicians, slot.loaners_left) == (2, 2, 1)
    assert slot.end == local("2027-05-04T09:30")


def test_slots_less_than_an_hour_ahead_are_not_offered() -> None:
    offered = slot_times(center(), Usage(), TYRES, now=local("2027-05-04T10:00"))
    assert offered[0] == "11:00"  # booking needs an hour's notice, so offering 10:30 would fail
    assert len(offered) == 14


def test_slots_lie_within_the_asked_window() -> None:
    slots = available_slots(center(), Usage(), local("2027-05-04T09:10"),
                            local("2027-05-04T11:00"), TYRES, False, BEFORE)
    assert wall_times([s.start for s in slots], BERLIN) == ["09:30", "10:00", "10:30"]


@pytest.mark.parametrize(("types", "minutes"), [
    (frozenset({T.CABIN_FILTER}), 30),
    (frozenset({T.TYRE_CHANGE}), 60),
    (frozenset({T.TYRE_CHANGE, T.CABIN_FILTER}), 60),
    (frozenset({T.ANNUAL_SERVICE, T.CABIN_FILTER}), 120),
    (frozenset({T.HIGH_VOLTAGE_REPAIR}), 180),
])
def test_durations_add_up_and_round_up_to_half_hours(types: frozenset[ServiceType],
                                                     minutes: int) -> None:
    assert duration_minutes(types) == minutes


@given(st.sets(st.sampled_from(list(ServiceType)), min_size=1))
def test_a_duration_is_the_smallest_whole_number_of_slots_that_fits(
    types: set[ServiceType]
) -> None:
    total = sum(SERVICES[kind].minutes for kind in types)
    assert duration_minutes(types) % 30 == 0
    assert total <= duration_minutes(types) < total + 30


# --- property: offered slots respect the opening hours in local time ------------------------

half_hours = st.integers(min_value=8, max_value=24).map(lambda n: time(n // 2, 30 * (n % 2)))


@st.composite
def opening_days(draw: st.DrawFn) -> tuple[ServiceCenter, date]:
    # Opening at 04:00 or later: the demo zones change their clocks earlier in the night (a
    # center open across the change is the spring-forward case above).
    opens = draw(half_hours)
    length = draw(st.integers(min_value=1, max_value=28)) * timedelta(minutes=30)
    closes = min(datetime.combine(date.min, opens) + length,
                 datetime.combine(date.min, time(23, 30))).time()
    weekdays = draw(st.sets(st.integers(min_value=0, max_value=6), min_size=1))
    hours = tuple(OpeningHours(weekday=d, opens=opens, closes=closes) for d in sorted(weekdays))
    shop = center(timezone=draw(st.sampled_from(DEMO_ZONES)), hours=hours)
    return shop, draw(st.dates(min_value=date(2026, 1, 1), max_value=date(2028, 12, 31)))


@given(opening_days(), st.sets(st.sampled_from(list(ServiceType)), min_size=1, max_size=3))
@settings(max_examples=200)
def test_every_offered_slot_lies_inside_the_opening_hours_in_local_time(
    shop_and_day: tuple[ServiceCenter, date], types: set[ServiceType]
) -> None:
    shop, day = shop_and_day
    zone = ZoneInfo(shop.timezone)
    start = datetime.combine(day, time(0), tzinfo=zone)
    slots = available_slots(shop, Usage(), start, start + timedelta(days=3), frozenset(types),
                            False, start - timedelta(days=1))
    minutes = duration_minutes(frozenset(types))
    for slot in slots:
        begin, end = slot.start.astimezone(zone), slot.end.astimezone(zone)
        [hours] = [h for h in shop.opening_hours if h.weekday == begin.weekday()]
        assert slot.end - slot.start == timedelta(minutes=minutes)  # elapsed, not wall time
        assert begin.date() == end.date()
        assert hours.opens <= begin.time()
        assert end.time() <= hours.closes
        assert (datetime.combine(day, begin.time()) - datetime.combine(day, hours.opens)
                ) % timedelta(minutes=30) == timedelta(0)
        assert is_offered_start(shop, slot.start, minutes)
