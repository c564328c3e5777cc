"""Seeding demo owners stores their charging sessions and battery states, readable through the API,
and the journey timeline of that history.

Seed 98's first owners have short histories (352 sessions in all), which keeps this quick; seed
7's first two have 381 sessions, 6 appointments (5 completed) and 1 installed update.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

from domain.access import Principal, Role
from domain.appointments import Appointment, AppointmentBooked, AppointmentCompleted
from domain.appointments import event as appointment_event
from domain.charging import ChargingSession, ChargingSessionRecorded
from domain.charging_stats import SessionFilter
from domain.events import DomainEvent
from domain.journey import Touchpoint, TouchpointKind
from domain.journey_events import touchpoint_for
from domain.ota import UpdateInstalled, UpdateStatus, VehicleUpdate
from domain.ota import event as update_event
from domain.pagination import Page, PageRequest
from services.demo import (
    EPOCH,
    DemoHousehold,
    DemoOwner,
    demo_owner_id,
    generate,
    generate_households,
    seed_demo,
)
from services.deps import Deps
from services.journey import journey, record_journey
from tests.conftest import GraphQLClient
from tests.factories import gid

SEED = 98
OWNERS = 3
MY_VEHICLES = """{ me { homeTariff { currency }
  vehicles { edges { node { id
    chargingSessions(first: 3) { edges { node { externalId } } }
    chargingStats { sessions }
    batteryHealth { status stateOfHealthPercent } } } } } }"""


async def test_seeded_sessions_and_battery_health_reach_the_owner(
    deps: Deps, gql: GraphQLClient
) -> None:
    expected = list(generate_households(OWNERS, SEED))
    histories = [history for item in expected for history in item.vehicles]
    assert await seed_demo(deps, OWNERS, SEED) == len(histories)

    states = await deps.battery.get_many([history.vehicle.id for history in histories])
    assert [state.sessions if state else 0 for state in states] == [
        len(history.sessions) for history in histories]
    owners = await deps.owners.get_many([item.owner.id for item in expected])
    assert [owner.home_tariff if owner else None for owner in owners] == [
        item.owner.home_tariff for item in expected]
    await _owner_sees_their_charging(gql, expected[0])


async def _owner_sees_their_charging(gql: GraphQLClient, owner: DemoHousehold) -> None:
    assert owner.owner.id == demo_owner_id(SEED)
    data = await gql.ok(MY_VEHICLES, authorization=gql.bearer(Role.OWNER, owner.owner.id))
    assert owner.owner.home_tariff is not None
    assert data["me"]["homeTariff"] == {"currency": owner.owner.home_tariff.currency}
    nodes = {edge["node"]["id"]: edge["node"] for edge in data["me"]["vehicles"]["edges"]}
    assert len(nodes) == len(owner.vehicles)
    year_or_more = 0
    for history in owner.vehicles:
        node = nodes[gid("Vehicle", history.vehicle.id)]
        newest = [edge["node"]["externalId"] for edge in node["chargingSessions"]["edges"]]
        assert newest == [s.external_id for s in history.sessions[::-1][:3]]
        assert node["chargingStats"]["sessions"] == len(history.sessions)
        if EPOCH - history.history_from > timedelta(days=366):
            year_or_more += 1
            assert node["batteryHealth"]["status"] != "INSUFFICIENT_DATA"
            assert node["batteryHealth"]["stateOfHealthPercent"] is not None
    assert year_or_more > 0


async def test_demo_owners_find_notifications_in_their_inbox(deps: Deps) -> None:
    from services.demo_notifications import seed_demo_notifications

    await seed_demo(deps, 6, seed=7)
    created = await seed_demo_notifications(deps, seed=7)
    assert created > 0
    owners = await deps.owners.page(PageRequest(first=6), None)
    pages = [await deps.notifications.page(o.id, PageRequest(first=20), False)
             for o in owners.items]
    delivered = sum(len(page.items) for page in pages)
    pending = await deps.notifications.due(datetime.now(UTC) + timedelta(days=8), 500)
    assert delivered + len(pending) == created  # each is in an inbox or waits for its time


# --- the journey timeline of the seeded history ---------------------------------------------

TIMELINE_SEED, TIMELINE_OWNERS = 7, 2
ALL = PageRequest(first=100_000)
K = TouchpointKind
TIMELINE = """{ me { journey(first: 5) { edges { node { kind at relatedId } } } } }"""


class _Published:
    """An event sink that keeps what it is given."""

    def __init__(self) -> None:
        self.events: list[DomainEvent] = []

    async def publish(self, *events: DomainEvent) -> None:
        self.events.extend(events)


@dataclass(frozen=True)
class _History:
    """What the store holds about one demo owner's vehicles."""

    sessions: list[ChargingSession]
    visits: list[Appointment]
    updates: list[VehicleUpdate]

    @property
    def installed(self) -> list[VehicleUpdate]:
        return [u for u in self.updates if u.status is UpdateStatus.INSTALLED]


def _items[T](pages: Sequence[Page[T]]) -> list[T]:
    return [item for page in pages for item in page.items]


async def _stored_history(deps: Deps, item: DemoOwner) -> _History:
    ids = [v.id for v in item.vehicles]
    return _History(_items(await deps.charging.pages(ids, ALL, SessionFilter())),
                    _items(await deps.appointments.pages_by_vehicle(ids, ALL)),
                    _items(await deps.ota.update_pages(ids, ALL)))


async def _timeline(deps: Deps, owner_id: str) -> list[Touchpoint]:
    me = Principal(Role.OWNER, owner_id)
    return (await journey(deps, me, owner_id, ALL, [])).items


def _of(timeline: Sequence[Touchpoint], kind: TouchpointKind) -> dict[str | None, datetime]:
    return {t.related_id: t.at for t in timeline if t.kind is kind}


async def test_demo_owners_timelines_show_their_stored_history(
    deps: Deps, gql: GraphQLClient
) -> None:
    published = _Published()
    await seed_demo(replace(deps, events=published), TIMELINE_OWNERS, TIMELINE_SEED)
    # History is not news: nothing that makes a touchpoint went through the event sink, so
    # no notification rule saw it (battery health changes still do, as before).
    assert not [e for e in published.events if touchpoint_for(e, "anyone")]

    owners = list(generate(TIMELINE_OWNERS, TIMELINE_SEED))
    totals = {kind: 0 for kind in K}
    for item in owners:
        stored, timeline = await _stored_history(deps, item), await _timeline(deps, item.owner.id)
        assert _of(timeline, K.CHARGE) == {s.id: s.ended_at for s in stored.sessions}
        assert _of(timeline, K.BOOKING) == {a.id: a.created_at for a in stored.visits}
        assert _of(timeline, K.SERVICE_VISIT) == {
            a.id: a.completed_at for a in stored.visits if a.completed_at}
        assert _of(timeline, K.OTA_UPDATE) == {u.id: u.reported_at for u in stored.installed}
        assert {t.owner_id for t in timeline} == {item.owner.id}
        for t in timeline:
            totals[t.kind] += 1
        assert len(timeline) == len({t.event_key for t in timeline})  # each once
    assert {kind: n for kind, n in totals.items() if n} == {
        K.CHARGE: 381, K.BOOKING: 6, K.SERVICE_VISIT: 5, K.OTA_UPDATE: 1}

    first = owners[0].owner.id
    data = await gql.ok(TIMELINE, authorization=gql.bearer(Role.OWNER, first))
    newest = [(t.kind.value, t.related_id) for t in (await _timeline(deps, first))[:5]]
    assert [(e["node"]["kind"], e["node"]["relatedId"])
            for e in data["me"]["journey"]["edges"]] == newest


async def test_live_events_of_the_demo_history_add_no_touchpoints(deps: Deps) -> None:
    """The history is keyed as the live path keys its events: replaying them adds nothing."""
    await seed_demo(deps, TIMELINE_OWNERS, TIMELINE_SEED)
    owners = list(generate(TIMELINE_OWNERS, TIMELINE_SEED))
    before = [await _timeline(deps, item.owner.id) for item in owners]
    now = datetime.now(UTC)
    for item in owners:
        stored = await _stored_history(deps, item)
        events: list[DomainEvent] = [ChargingSessionRecorded(
            at=now, session_id=s.id, vehicle_id=s.vehicle_id, location_type=s.location_type,
            energy_delivered_kwh=s.energy_delivered_kwh, soc_end_percent=s.soc_end_percent)
            for s in stored.sessions]
        events += [appointment_event(kind, a, now) for a in stored.visits
                   for kind in (AppointmentBooked, AppointmentCompleted)
                   if kind is AppointmentBooked or a.completed_at]
        events += [update_event(UpdateInstalled, u, now) for u in stored.installed]
        assert await record_journey(deps, events) == len(events)  # all are touchpoints...
    assert [await _timeline(deps, item.owner.id) for item in owners] == before  # ...stored
