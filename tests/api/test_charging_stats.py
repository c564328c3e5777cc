"""Charging statistics, home tariffs and battery health, through GraphQL."""

from __future__ import annotations

import random
from datetime import UTC, datetime
from typing import Any

from domain.access import Role
from services.deps import Deps
from store.stats import counting_round_trips
from tests.conftest import GraphQLClient
from tests.factories import add_owner, add_vehicle, gid, session_input

RECORD_MANY = """
mutation($inputs: [ChargingSessionInput!]!) {
  recordChargingSessions(inputs: $inputs) { stored rejected results { errors { message } } }
}"""
STATS = """
query($id: ID!, $from: DateTime) { vehicle(id: $id) { chargingStats(from: $from) {
  sessions totalEnergyKwh averageSessionMinutes
  totalCost { currency amount energyKwh averageCostPerKwh }
  energyByLocation { locationType energyKwh share }
  byMonth { month sessions energyKwh costs { currency amount } } } } }"""
TARIFF = """
mutation($input: SetHomeTariffInput!) { setHomeTariff(input: $input) {
  owner { homeTariff { currency pricePerKwh windows { start end pricePerKwh } } }
  errors { __typename field } } }"""
HEALTH = """
query($id: ID!) { vehicle(id: $id) { batteryHealth {
  status stateOfHealthPercent estimatedCapacityKwh nominalCapacityKwh sampleSize
  confidence { low high } trend { date stateOfHealthPercent } fadePercentPerYear
  forecast { reaches80PercentOn reaches70PercentOn }
  stress { dcFastEnergyShare highSocSessions deepDischargeSessions equivalentFullCycles } } } }"""


def _at(day: str, hour: int) -> str:
    return datetime.fromisoformat(day).replace(hour=hour, tzinfo=UTC).isoformat()


async def test_stats_total_cost_per_currency_share_and_months(
    gql: GraphQLClient, deps: Deps
) -> None:
    owner = await add_owner(deps)
    vehicle = await add_vehicle(deps, owner)
    auth = gql.bearer(Role.OWNER, owner.id)
    sessions = [
        session_input(vehicle, 1, startedAt=_at("2026-09-10", 1), endedAt=_at("2026-09-10", 3),
                      energyDeliveredKwh=10, cost=3, currency="EUR"),
        session_input(vehicle, 2, startedAt=_at("2026-10-10", 1), endedAt=_at("2026-10-10", 5),
                      energyDeliveredKwh=30, socEndPercent=80, cost=6, currency="EUR",
                      locationType="WORK"),
        session_input(vehicle, 3, startedAt=_at("2026-10-11", 1), endedAt=_at("2026-10-11", 2),
                      energyDeliveredKwh=20, socEndPercent=70, locationType="PUBLIC_DC",
                      cost=10, currency="GBP"),
        session_input(vehicle, 4, startedAt=_at("2026-10-12", 1), endedAt=_at("2026-10-12", 3),
                      energyDeliveredKwh=20),
    ]
    data = await gql.ok(RECORD_MANY, {"inputs": sessions}, auth)
    assert data["recordChargingSessions"]["stored"] == 4
    stats = (await gql.ok(STATS, {"id": gid("Vehicle", vehicle.id)}, auth))["vehicle"][
        "chargingStats"]
    assert stats["sessions"] == 4
    assert stats["totalEnergyKwh"] == 80
    assert stats["averageSessionMinutes"] == 135  # (120 + 240 + 60 + 120) / 4
    assert stats["totalCost"] == [
        {"currency": "EUR", "amount": 9, "energyKwh": 40, "averageCostPerKwh": 0.225},
        {"currency": "GBP", "amount": 10, "energyKwh": 20, "averageCostPerKwh": 0.5}]
    shares = {s["locationType"]: s["share"] for s in stats["energyByLocation"]}
    assert shares == {"HOME": 0.375, "WORK": 0.375, "PUBLIC_AC": 0.0, "PUBLIC_DC": 0.25}
    assert [(m["month"], m["sessions"], m["energyKwh"]) for m in stats["byMonth"]] == [
        ("2026-09", 1, 10), ("2026-10", 3, 70)]
    recent = await gql.ok(STATS, {"id": gid("Vehicle", vehicle.id), "from": _at("2026-10-01", 0)},
                          auth)
    assert recent["vehicle"]["chargingStats"]["sessions"] == 3


async def test_home_session_without_cost_is_priced_by_time_of_use_windows(
    gql: GraphQLClient, deps: Deps
) -> None:
    owner = await add_owner(deps)
    vehicle = await add_vehicle(deps, owner)
    auth = gql.bearer(Role.OWNER, owner.id)
    tariff = {"currency": "eur", "pricePerKwh": 0.40,
              "windows": [{"start": "23:00", "end": "05:00", "pricePerKwh": 0.10}]}
    data = await gql.ok(TARIFF, {"input": tariff}, auth)
    assert data["setHomeTariff"]["owner"]["homeTariff"]["currency"] == "EUR"
    # 21:00-01:00 UTC (owner in UTC): half the energy at 0.40, half at 0.10.
    session = session_input(vehicle, startedAt=_at("2026-10-01", 21),
                            endedAt=_at("2026-10-02", 1), energyDeliveredKwh=20)
    await gql.ok(RECORD_MANY, {"inputs": [session]}, auth)
    stats = (await gql.ok(STATS, {"id": gid("Vehicle", vehicle.id)}, auth))["vehicle"]
    assert stats["chargingStats"]["totalCost"][0]["amount"] == 5.0


async def test_bad_tariffs_are_typed_errors(gql: GraphQLClient, deps: Deps) -> None:
    owner = await add_owner(deps)
    auth = gql.bearer(Role.OWNER, owner.id)
    for tariff, field in (
        ({"currency": "EUR", "pricePerKwh": -1}, "pricePerKwh"),
        ({"currency": "EUR", "pricePerKwh": 0.3,
          "windows": [{"start": "25:00", "end": "06:00", "pricePerKwh": 0.1}]}, "windows.start"),
        ({"currency": "EUR", "pricePerKwh": 0.3,
          "windows": [{"start": "22:00", "end": "06:00", "pricePerKwh": 0.1},
                      {"start": "05:00", "end": "07:00", "pricePerKwh": 0.2}]}, "windows"),
    ):
        data = await gql.ok(TARIFF, {"input": tariff}, auth)
        assert [e["field"] for e in data["setHomeTariff"]["errors"]] == [field]


async def test_battery_health_from_recorded_sessions(gql: GraphQLClient, deps: Deps) -> None:
    owner = await add_owner(deps)
    vehicle = await add_vehicle(deps, owner, model_id="volta-one-lr")  # 77 kWh nominal
    auth = gql.bearer(Role.OWNER, owner.id)
    rng = random.Random(5)
    true_capacity = 77 * 0.95
    sessions = []
    for n in range(30):
        soc_start = rng.randint(15, 40)
        soc_end = rng.randint(soc_start + 35, 95)
        added = true_capacity * (soc_end - soc_start) / 100 * rng.uniform(0.98, 1.02)
        sessions.append(session_input(vehicle, n, socStartPercent=soc_start,
                                      socEndPercent=soc_end, energyAddedKwh=round(added, 2),
                                      energyDeliveredKwh=round(added / 0.9, 2)))
    await gql.ok(RECORD_MANY, {"inputs": sessions}, auth)
    health = (await gql.ok(HEALTH, {"id": gid("Vehicle", vehicle.id)}, auth))["vehicle"][
        "batteryHealth"]
    assert health["status"] in ("NORMAL", "FASTER_THAN_EXPECTED")
    assert abs(health["stateOfHealthPercent"] - 95) < 1.5
    assert health["confidence"]["low"] <= health["stateOfHealthPercent"] <= health[
        "confidence"]["high"]
    assert health["nominalCapacityKwh"] == 77
    assert health["stress"]["dcFastEnergyShare"] == 0
    assert health["fadePercentPerYear"] is None  # one month of data: no trend yet


async def test_battery_health_without_sessions_says_so(gql: GraphQLClient, deps: Deps) -> None:
    owner = await add_owner(deps)
    vehicle = await add_vehicle(deps, owner)
    data = await gql.ok(HEALTH, {"id": gid("Vehicle", vehicle.id)},
                        gql.bearer(Role.OWNER, owner.id))
    health: dict[str, Any] = data["vehicle"]["batteryHealth"]
    assert health["status"] == "INSUFFICIENT_DATA"
    assert health["stateOfHealthPercent"] is None
    assert health["confidence"] is None


async def test_nested_charging_fields_take_constant_round_trips(
    gql: GraphQLClient, deps: Deps
) -> None:
    query = """{ owners(first: 20) { edges { node { vehicles { edges { node {
      chargingSessions(first: 5) { edges { node { externalId } } }
      chargingStats { sessions } batteryHealth { status } } } } } } } }"""
    auth = gql.bearer(Role.ADMIN, "admin")

    async def round_trips() -> int:
        with counting_round_trips() as trips:
            await gql.ok(query, authorization=auth)
        return trips.count

    async def owners_with_sessions(count: int) -> None:
        for _ in range(count):
            vehicle = await add_vehicle(deps, await add_owner(deps))
            inputs = [session_input(vehicle, n) for n in range(3)]
            await gql.ok(RECORD_MANY, {"inputs": inputs}, auth)

    await owners_with_sessions(2)
    few = await round_trips()
    await owners_with_sessions(10)
    assert await round_trips() == few == 5  # owners, vehicles, sessions, stats, battery
