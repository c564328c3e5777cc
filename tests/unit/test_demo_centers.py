"""The demo service network: deterministic centers where the demo owners live, and service
histories that the booking rules could have produced."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import UTC, time, timedelta
from itertools import pairwise

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.appointments import (
    FIRST_TIME_FIX_DAYS,
    TRANSITIONS,
    Appointment,
    AppointmentStatus,
    is_return_visit,
)
from domain.availability import MIN_NOTICE, capacity, hold_for, is_offered_start
from domain.ids import looks_like_id
from domain.service_centers import ServiceCenter, duration_minutes
from domain.vehicles import Vehicle
from services import demo_centers as network_module
from services.demo import _PLACES, EPOCH, generate
from services.demo_centers import demo_appointments, demo_centers, seed_service_network
from services.deps import Deps

S = AppointmentStatus
SEED = 7
DEMO_ZONES = {timezone for _, timezone in _PLACES}


@dataclass(frozen=True, slots=True)
class Network:
    vehicles: list[Vehicle]
    timezones: dict[str, str]
    centers: dict[str, ServiceCenter]
    appointments: list[Appointment]


def network(owners: int = 150, seed: int = SEED) -> Network:
    demo = list(generate(owners, seed))
    vehicles = [vehicle for item in demo for vehicle in item.vehicles]
    timezones = {item.owner.id: item.owner.timezone for item in demo}
    centers = demo_centers(seed)
    return Network(vehicles, timezones, {c.id: c for c in centers},
                   demo_appointments(vehicles, centers, seed, timezones))


@pytest.fixture(scope="module")
def demo() -> Network:
    return network()


# --- centers ---------------------------------------------------------------------------------


def test_histories_end_at_the_demo_epoch() -> None:
    assert network_module.EPOCH == EPOCH


@given(st.integers(min_value=0, max_value=2**31))
@settings(max_examples=20)
def test_the_same_seed_gives_the_same_centers(seed: int) -> None:
    assert demo_centers(seed) == demo_centers(seed)
    assert {c.id for c in demo_centers(seed)}.isdisjoint(c.id for c in demo_centers(seed + 1))


def test_a_dozen_centers_cover_every_demo_region() -> None:
    centers = demo_centers(SEED)
    assert len(centers) == 12
    assert {c.timezone for c in centers} == DEMO_ZONES
    assert all(looks_like_id(c.id) for c in centers)
    assert len({c.id for c in centers}) == len({c.name for c in centers}) == 12


def test_centers_have_plausible_capacity_and_week_hours() -> None:
    for c in demo_centers(SEED):
        assert 4 <= c.bays <= 12
        assert 2 <= c.ev_certified_technicians <= min(6, c.bays)
        assert 0 <= c.loaner_vehicles <= 4
        by_day = {h.weekday: h for h in c.opening_hours}
        assert sorted(by_day) == [0, 1, 2, 3, 4, 5]  # closed on Sunday
        assert (by_day[5].opens, by_day[5].closes) == (time(9), time(13))
        assert all(time(7) <= by_day[d].opens < by_day[d].closes <= time(18, 30)
                   for d in range(5))
    assert any(c.offers_mobile_service for c in demo_centers(SEED))


# --- appointments ----------------------------------------------------------------------------


def test_the_same_inputs_give_the_same_appointments(demo: Network) -> None:
    assert network().appointments == demo.appointments
    other = network(seed=SEED + 1)
    assert {a.id for a in other.appointments}.isdisjoint(a.id for a in demo.appointments)


def test_every_start_is_an_offered_start_of_its_center(demo: Network) -> None:
    for a in demo.appointments:
        center = demo.centers[a.center_id]
        minutes = duration_minutes(frozenset(a.service_types))
        assert is_offered_start(center, a.start, minutes), a
        assert a.end - a.start == timedelta(minutes=minutes)
        assert a.timezone == center.timezone


def test_each_vehicle_is_serviced_in_its_owners_region(demo: Network) -> None:
    centers_used: dict[str, set[str]] = defaultdict(set)
    for a in demo.appointments:
        assert demo.centers[a.center_id].timezone == demo.timezones[a.owner_id]
        centers_used[a.vehicle_id].add(a.center_id)
    assert all(len(used) == 1 for used in centers_used.values())
    owners = {v.id: v.owner_id for v in demo.vehicles}
    assert all(owners[a.vehicle_id] == a.owner_id for a in demo.appointments)


def test_histories_follow_the_lifecycle(demo: Network) -> None:
    for a in demo.appointments:
        statuses = [entry.status for entry in a.history]
        assert statuses[0] is S.CONFIRMED
        assert statuses[-1] is a.status
        assert all(b in TRANSITIONS[f] for f, b in pairwise(statuses)), a
        times = [entry.at for entry in a.history]
        assert times == sorted(times)
        assert a.history[0].at == a.created_at
        assert a.created_at <= a.start - MIN_NOTICE
        if a.status is S.NO_SHOW:
            assert a.history[-1].at >= a.start
        if a.status is S.COMPLETED:
            assert a.completed_at == a.history[-1].at
            assert a.work_performed
            assert a.odometer_km is not None
        else:
            assert a.completed_at is None


def test_past_visits_are_settled_and_upcoming_ones_confirmed(demo: Network) -> None:
    for a in demo.appointments:
        assert (a.status is S.CONFIRMED) == (a.start > EPOCH)
        assert a.created_at < EPOCH
    upcoming = [a for a in demo.appointments if a.status is S.CONFIRMED]
    assert upcoming
    assert all(a.start < EPOCH + timedelta(days=30) for a in upcoming)


def test_statuses_are_mostly_completed_with_about_one_in_ten_no_shows(demo: Network) -> None:
    counts = Counter(a.status for a in demo.appointments if a.start < EPOCH)
    past = sum(counts.values())
    assert counts[S.COMPLETED] > 0.7 * past
    assert 0.05 * past < counts[S.NO_SHOW] < 0.15 * past
    assert counts[S.CANCELLED] > 0


def test_return_visits_reopen_a_repair_of_the_same_concern_within_30_days(
    demo: Network
) -> None:
    by_id = {a.id: a for a in demo.appointments}
    returns = [a for a in demo.appointments if a.return_of]
    assert len(returns) >= 5
    for later in returns:
        earlier = by_id[later.return_of or ""]
        assert earlier.reopened
        assert earlier.status is S.COMPLETED
        assert earlier.completed_at is not None
        assert earlier.vehicle_id == later.vehicle_id
        assert later.start - earlier.completed_at <= timedelta(days=FIRST_TIME_FIX_DAYS)
        assert set(earlier.concern_categories) & set(later.concern_categories)
        assert is_return_visit(earlier, later)
    reopened = {a.id for a in demo.appointments if a.reopened}
    assert reopened == {a.return_of for a in returns}


def test_every_visit_booking_would_link_as_a_return_visit_is_linked(demo: Network) -> None:
    by_vehicle: dict[str, list[Appointment]] = defaultdict(list)
    for a in demo.appointments:
        by_vehicle[a.vehicle_id].append(a)
    for visits in by_vehicle.values():
        for later in visits:
            candidates = [e for e in visits if e.completed_at is not None
                          and e.completed_at <= later.created_at and is_return_visit(e, later)]
            assert (later.return_of is not None) == bool(candidates), later


def test_no_center_is_ever_overbooked(demo: Network) -> None:
    used: Counter[tuple[str, str, str]] = Counter()
    for a in demo.appointments:
        center = demo.centers[a.center_id]
        hold = hold_for(center, a.start, frozenset(a.service_types), a.loaner, a.mobile_service)
        used.update((center.id, counter, key) for counter, key in hold.items())
    for (center_id, counter, _), count in used.items():
        assert count <= capacity(demo.centers[center_id], counter)


def test_options_are_used_only_where_the_center_has_them(demo: Network) -> None:
    for a in demo.appointments:
        center = demo.centers[a.center_id]
        assert not a.mobile_service or (center.offers_mobile_service and a.address)
        assert not a.loaner or center.loaner_vehicles > 0
    assert any(a.loaner for a in demo.appointments)


def test_ids_are_unique_and_in_booking_order(demo: Network) -> None:
    ids = [a.id for a in demo.appointments]
    assert len(set(ids)) == len(ids)
    assert all(looks_like_id(i) for i in ids)
    assert sorted(demo.appointments, key=lambda a: a.id) == sorted(
        demo.appointments, key=lambda a: (a.created_at, a.id))


# --- seeding ---------------------------------------------------------------------------------


def holds_of(appointments: list[Appointment], centers: dict[str, ServiceCenter]
             ) -> dict[str, Counter[tuple[str, str]]]:
    held: dict[str, Counter[tuple[str, str]]] = defaultdict(Counter)
    for a in appointments:
        hold = hold_for(centers[a.center_id], a.start, frozenset(a.service_types), a.loaner,
                        a.mobile_service)
        held[a.center_id].update(hold.items())
    return held


async def test_seeding_writes_the_network_and_holds_capacity_for_upcoming_visits(
    deps: Deps
) -> None:
    data = network(owners=40)
    written = await seed_service_network(deps, data.vehicles, data.timezones, SEED)
    assert written == (12, len(data.appointments))
    assert await deps.centers.get_many(list(data.centers)) == list(data.centers.values())
    ids = [a.id for a in data.appointments]
    assert await deps.appointments.get_many(ids) == data.appointments
    upcoming = [a for a in data.appointments if a.status is S.CONFIRMED]
    assert upcoming
    expected = holds_of(upcoming, data.centers)
    months = sorted({a.start.astimezone(UTC).strftime("%Y-%m") for a in upcoming})
    for center_id in data.centers:
        usage = await deps.capacity.usage(center_id, months)
        held = Counter({(counter, key): n for counter, keys in usage.counters.items()
                        for key, n in keys.items() if n})
        assert held == expected[center_id]


async def test_a_later_batch_reuses_the_stored_centers(deps: Deps) -> None:
    data = network(owners=40)
    half = len(data.vehicles) // 2
    first = await seed_service_network(deps, data.vehicles[:half], data.timezones, SEED)
    second = await seed_service_network(deps, data.vehicles[half:], data.timezones, SEED)
    later = demo_appointments(data.vehicles[half:], list(data.centers.values()), SEED,
                              data.timezones)
    assert first[0] == 12
    assert second == (0, len(later))
