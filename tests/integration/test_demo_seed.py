"""Seeding demo owners stores their charging sessions and battery states, readable through the API.

Seed 98's first owners have short histories (352 sessions in all), which keeps this quick.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from domain.access import Role
from domain.pagination import PageRequest
from services.demo import EPOCH, DemoHousehold, demo_owner_id, generate_households, seed_demo
from services.deps import Deps
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
