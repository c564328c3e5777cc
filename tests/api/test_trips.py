"""Trip planning and range estimates through GraphQL."""

from __future__ import annotations

from typing import Any

import pytest

from domain.access import Role
from services.demo import seed_station_network
from services.deps import Deps
from tests.conftest import GraphQLClient, error_codes
from tests.factories import add_owner, add_vehicle, gid

PLAN = """query($input: PlanTripInput!) { planTrip(input: $input) {
  feasible reason totalDistanceKm totalMinutes chargeMinutes arrivalSocPercent
  legs { distanceKm startSocPercent endSocPercent }
  chargingStops { station { name operator } arriveSocPercent departSocPercent chargeMinutes } } }"""
BERLIN, MUNICH = {"lat": 52.52, "lng": 13.40}, {"lat": 48.14, "lng": 11.58}


def _trip(vehicle_id: str, **fields: Any) -> dict[str, Any]:
    return {"input": {"vehicleId": gid("Vehicle", vehicle_id), "origin": BERLIN,
                      "destination": MUNICH, "departureSocPercent": 90, **fields}}


async def test_a_long_trip_gets_charging_stops_above_the_reserves(
    gql: GraphQLClient, deps: Deps
) -> None:
    await seed_station_network(deps, seed=7)
    owner = await add_owner(deps)
    vehicle = await add_vehicle(deps, owner, model_id="volta-one")
    data = await gql.ok(PLAN, _trip(vehicle.id), gql.bearer(Role.OWNER, owner.id))
    plan = data["planTrip"]
    assert plan["feasible"] is True
    assert plan["chargingStops"]
    assert plan["totalDistanceKm"] > 500
    assert all(leg["endSocPercent"] >= 10 - 1e-6 for leg in plan["legs"])
    assert plan["arrivalSocPercent"] >= 10
    assert plan["totalMinutes"] > plan["chargeMinutes"] > 0


async def test_a_network_gap_is_an_infeasible_plan_not_an_error(
    gql: GraphQLClient, deps: Deps
) -> None:
    owner = await add_owner(deps)
    vehicle = await add_vehicle(deps, owner, model_id="volta-city")  # no stations stored
    data = await gql.ok(PLAN, _trip(vehicle.id), gql.bearer(Role.OWNER, owner.id))
    assert data["planTrip"]["feasible"] is False
    assert data["planTrip"]["reason"]


async def test_planning_checks_input_and_ownership(gql: GraphQLClient, deps: Deps) -> None:
    owner, other = await add_owner(deps), await add_owner(deps)
    vehicle = await add_vehicle(deps, owner)
    auth = gql.bearer(Role.OWNER, owner.id)
    bad = await gql.post(PLAN, _trip(vehicle.id, departureSocPercent=120), auth)
    assert error_codes(bad) == ["BAD_USER_INPUT"]
    far = await gql.post(PLAN, _trip(vehicle.id, origin={"lat": 95, "lng": 0}), auth)
    assert error_codes(far) == ["BAD_USER_INPUT"]
    theirs = await gql.post(PLAN, _trip(vehicle.id), gql.bearer(Role.OWNER, other.id))
    assert error_codes(theirs) == ["FORBIDDEN"]


async def test_range_falls_with_speed_and_cold(gql: GraphQLClient, deps: Deps) -> None:
    owner = await add_owner(deps)
    vehicle = await add_vehicle(deps, owner, model_id="volta-one-lr")
    query = """query($id: ID!) { vehicle(id: $id) {
      mild: rangeEstimate(socPercent: 100, cruiseSpeedKmh: 100, outsideTemperatureC: 20)
      fast: rangeEstimate(socPercent: 100, cruiseSpeedKmh: 130, outsideTemperatureC: 20)
      cold: rangeEstimate(socPercent: 100, cruiseSpeedKmh: 100, outsideTemperatureC: -10)
      half: rangeEstimate(socPercent: 50, cruiseSpeedKmh: 100, outsideTemperatureC: 20) } }"""
    data = (await gql.ok(query, {"id": gid("Vehicle", vehicle.id)},
                         gql.bearer(Role.OWNER, owner.id)))["vehicle"]
    assert data["fast"] < data["mild"]
    assert data["cold"] < data["mild"]
    assert abs(data["half"] - data["mild"] / 2) < 0.2
    assert 350 < data["mild"] < 550  # 77 kWh at about 168 Wh/km


async def test_plans_use_the_cars_measured_consumption_once_known(
    gql: GraphQLClient, deps: Deps
) -> None:
    from tests.api.test_telemetry import ingest, item

    await seed_station_network(deps, seed=7)
    owner = await add_owner(deps)
    car = await add_vehicle(deps, owner, model_id="volta-one")  # rated 160 Wh/km
    auth = gql.bearer(Role.OWNER, owner.id)
    query = PLAN.replace("feasible reason", "feasible reason energyUsedKwh")
    before = (await gql.ok(query, _trip(car.id), auth))["planTrip"]
    await ingest(gql, [item(car, 0, socPercent=95),
                       item(car, 120, socPercent=25, odometerKm=1200)])  # 203 Wh/km
    after = (await gql.ok(query, _trip(car.id), auth))["planTrip"]
    measured = 0.70 * 58 * 1000 / 200
    assert after["energyUsedKwh"] / before["energyUsedKwh"] == pytest.approx(
        measured / 160, rel=0.01)
    assert after["totalMinutes"] > before["totalMinutes"]  # more energy: more charging
