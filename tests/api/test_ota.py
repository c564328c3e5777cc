"""OTA updates through GraphQL: releases, staged campaigns, reports, scheduling, access."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from domain.access import Role
from domain.vehicles import Vehicle
from services.deps import Deps
from tests.conftest import GraphQLClient, error_codes
from tests.factories import add_owner, add_vehicle, gid

RELEASE = """mutation($input: CreateSoftwareReleaseInput!) { createSoftwareRelease(input: $input) {
  release { id version notes { locale text } } errors { __typename field } } }"""
CAMPAIGN = """mutation($input: CreateUpdateCampaignInput!) { createUpdateCampaign(input: $input) {
  campaign { id status } errors { __typename field } } }"""
STEP = """mutation($id: ID!) { %s(id: $id) {
  campaign { status currentStage counts { offered installed failed } failureRatePercent }
  errors { __typename } } }"""
REPORT = """mutation($input: VehicleUpdateStatusInput!) { reportVehicleUpdateStatus(input: $input) {
  update { status history { status } } errors { __typename field } } }"""
VEHICLE = """query($id: ID!) { vehicle(id: $id) { softwareVersion
  availableUpdates { status version release { version } }
  updateHistory { edges { node { status } } } } }"""
CAMPAIGN_VIEW = """query($id: ID!) { updateCampaign(id: $id) { status
  counts { offered installed failed } failureRatePercent release { version } } }"""


async def _fleet(deps: Deps, count: int, version: str = "2026.20.0") -> list[Vehicle]:
    fleet = []
    for _ in range(count):
        vehicle = await add_vehicle(deps, await add_owner(deps), model_id="volta-one")
        fleet.append(await deps.vehicles.update(vehicle.id, {"software_version": version})
                     or vehicle)
    return fleet


async def _campaign(gql: GraphQLClient, **settings: Any) -> str:
    admin = gql.bearer(Role.ADMIN, "admin")
    release = await gql.ok(RELEASE, {"input": {
        "version": "2026.44.1", "notes": [{"locale": "en", "text": "Faster DC charging"},
                                          {"locale": "de-DE", "text": "Schneller laden"}],
        "targetModels": ["volta-one"], "criticality": "FEATURE", "sizeMb": 850,
        "estimatedInstallMinutes": 25, "minFromVersion": "2026.8.0",
        "unavailableFunctions": ["Driving", "Charging"]}}, admin)
    created = release["createSoftwareRelease"]
    assert created["errors"] == []
    assert {n["locale"] for n in created["release"]["notes"]} == {"en", "de-DE"}
    campaign = await gql.ok(CAMPAIGN, {"input": {"releaseId": created["release"]["id"],
                                                 **settings}}, admin)
    campaign_id: str = campaign["createUpdateCampaign"]["campaign"]["id"]
    return campaign_id


async def _step(gql: GraphQLClient, name: str, campaign_id: str) -> dict[str, Any]:
    data = await gql.ok(STEP % name, {"id": campaign_id}, gql.bearer(Role.ADMIN, "admin"))
    result: dict[str, Any] = data[name]
    return result


def _report(vehicle: Vehicle, status: str, event: str, minutes: int,
            **fields: Any) -> dict[str, Any]:
    at = datetime.now(UTC) - timedelta(hours=1) + timedelta(minutes=minutes)
    return {"vin": vehicle.vin, "version": "2026.44.1", "status": status,
            "reportedAt": at.isoformat(), "eventId": event, **fields}


async def test_campaign_offers_then_installs_and_sets_the_version(
    gql: GraphQLClient, deps: Deps
) -> None:
    fleet = await _fleet(deps, 3)
    old = await add_vehicle(deps, await add_owner(deps), model_id="volta-one")
    await deps.vehicles.update(old.id, {"software_version": "2025.1.0"})  # below minFromVersion
    other_model = await add_vehicle(deps, await add_owner(deps), model_id="volta-city")
    campaign_id = await _campaign(gql, stages=[100])
    started = await _step(gql, "startUpdateCampaign", campaign_id)
    assert started["campaign"]["status"] == "ACTIVE"
    assert started["campaign"]["counts"]["offered"] == 3
    vehicle = fleet[0]
    owner = gql.bearer(Role.OWNER, vehicle.owner_id)
    for n, status in enumerate(("DOWNLOADING", "INSTALLING", "INSTALLED")):
        data = await gql.ok(REPORT, {"input": _report(vehicle, status, f"e{n}", n)}, owner)
        assert data["reportVehicleUpdateStatus"]["errors"] == []
    view = await gql.ok(VEHICLE, {"id": gid("Vehicle", vehicle.id)}, owner)
    assert view["vehicle"]["softwareVersion"] == "2026.44.1"
    assert view["vehicle"]["availableUpdates"] == []
    assert [e["node"]["status"] for e in view["vehicle"]["updateHistory"]["edges"]] == [
        "INSTALLED"]
    for excluded in (old, other_model):
        data = await gql.ok(VEHICLE, {"id": gid("Vehicle", excluded.id)},
                            gql.bearer(Role.OWNER, excluded.owner_id))
        assert data["vehicle"]["availableUpdates"] == []


async def test_reports_are_idempotent_and_late_ones_are_ignored(
    gql: GraphQLClient, deps: Deps
) -> None:
    [vehicle] = await _fleet(deps, 1)
    await _step(gql, "startUpdateCampaign", await _campaign(gql, stages=[100]))
    admin = gql.bearer(Role.ADMIN, "admin")
    await gql.ok(REPORT, {"input": _report(vehicle, "DOWNLOADING", "e1", 1)}, admin)
    await gql.ok(REPORT, {"input": _report(vehicle, "INSTALLING", "e2", 5)}, admin)
    repeat = await gql.ok(REPORT, {"input": _report(vehicle, "INSTALLING", "e2", 5)}, admin)
    late = await gql.ok(REPORT, {"input": _report(vehicle, "DOWNLOADING", "e0", 0)}, admin)
    for data in (repeat, late):
        update = data["reportVehicleUpdateStatus"]["update"]
        assert update["status"] == "INSTALLING"
        assert [h["status"] for h in update["history"]] == ["OFFERED", "DOWNLOADING",
                                                           "INSTALLING"]


async def test_campaign_halts_itself_past_the_failure_threshold(
    gql: GraphQLClient, deps: Deps
) -> None:
    fleet = await _fleet(deps, 6)
    campaign_id = await _campaign(gql, stages=[100], haltFailureRatePercent=40,
                                  minAttemptsBeforeHalt=4)
    await _step(gql, "startUpdateCampaign", campaign_id)
    admin = gql.bearer(Role.ADMIN, "admin")

    async def finish(vehicle: Vehicle, outcome: str) -> None:
        await gql.ok(REPORT, {"input": _report(vehicle, "DOWNLOADING", "d", 1)}, admin)
        if outcome == "FAILED":
            await gql.ok(REPORT, {"input": _report(vehicle, "FAILED", "f", 2,
                                                   failureReason="checksum")}, admin)
            return
        await gql.ok(REPORT, {"input": _report(vehicle, "INSTALLING", "i", 2)}, admin)
        await gql.ok(REPORT, {"input": _report(vehicle, outcome, "o", 3)}, admin)

    async def status() -> dict[str, Any]:
        data = await gql.ok(CAMPAIGN_VIEW, {"id": campaign_id}, admin)
        view: dict[str, Any] = data["updateCampaign"]
        return view

    for vehicle in fleet[:3]:
        await finish(vehicle, "FAILED")
    assert (await status())["status"] == "ACTIVE"  # 100% failed, but only 3 attempts
    await finish(fleet[3], "INSTALLED")
    halted = await status()
    assert (halted["status"], halted["failureRatePercent"]) == ("HALTED", 75.0)
    resumed = await _step(gql, "resumeUpdateCampaign", campaign_id)
    assert [e["__typename"] for e in resumed["errors"]] == ["InvalidTransition"]


async def test_stages_only_ever_add_vehicles(gql: GraphQLClient, deps: Deps) -> None:
    await _fleet(deps, 40)
    campaign_id = await _campaign(gql, stages=[25, 50, 100])
    counts = [(await _step(gql, "startUpdateCampaign", campaign_id))["campaign"]["counts"]
              ["offered"]]
    for _ in range(2):
        counts.append((await _step(gql, "advanceUpdateCampaign", campaign_id))["campaign"]
                      ["counts"]["offered"])
    assert counts[0] < counts[1] < counts[2] == 40
    last = await _step(gql, "advanceUpdateCampaign", campaign_id)
    assert [e["__typename"] for e in last["errors"]] == ["InvalidTransition"]


async def test_owner_schedules_only_their_own_vehicle(gql: GraphQLClient, deps: Deps) -> None:
    mine, theirs = await _fleet(deps, 2)
    campaign_id = await _campaign(gql, stages=[100])
    await _step(gql, "startUpdateCampaign", campaign_id)
    query = """query($id: ID!) { vehicle(id: $id) { availableUpdates { release { id } } } }"""
    auth = gql.bearer(Role.OWNER, mine.owner_id)
    offered = await gql.ok(query, {"id": gid("Vehicle", mine.id)}, auth)
    release = offered["vehicle"]["availableUpdates"][0]["release"]["id"]
    schedule = """mutation($v: ID!, $r: ID!, $at: DateTime!) {
      scheduleVehicleUpdate(vehicleId: $v, releaseId: $r, at: $at) {
        update { status scheduledFor } errors { __typename field } } }"""
    tonight = (datetime.now(UTC) + timedelta(hours=6)).replace(microsecond=0)
    done = await gql.ok(schedule, {"v": gid("Vehicle", mine.id), "r": release,
                                   "at": tonight.isoformat()}, auth)
    assert done["scheduleVehicleUpdate"]["update"]["status"] == "SCHEDULED"
    body = await gql.post(schedule, {"v": gid("Vehicle", theirs.id), "r": release,
                                     "at": tonight.isoformat()}, auth)
    assert error_codes(body) == ["FORBIDDEN"]


async def test_analyst_sees_counts_but_no_owner_data(gql: GraphQLClient, deps: Deps) -> None:
    [vehicle] = await _fleet(deps, 1)
    campaign_id = await _campaign(gql, stages=[100])
    await _step(gql, "startUpdateCampaign", campaign_id)
    analyst = gql.bearer(Role.OEM_ANALYST, "analyst")
    view = await gql.ok(CAMPAIGN_VIEW, {"id": campaign_id}, analyst)
    assert view["updateCampaign"]["counts"]["offered"] == 1
    distribution = await gql.ok("{ softwareVersionDistribution(model: \"volta-one\") "
                                "{ model version vehicles } }", authorization=analyst)
    assert distribution["softwareVersionDistribution"] == [
        {"model": "volta-one", "version": "2026.20.0", "vehicles": 1}]
    body = await gql.post(VEHICLE, {"id": gid("Vehicle", vehicle.id)}, analyst)
    assert error_codes(body) == ["FORBIDDEN"]
    owner = gql.bearer(Role.OWNER, vehicle.owner_id)
    for query in (CAMPAIGN_VIEW, STEP % "startUpdateCampaign"):
        assert error_codes(await gql.post(query, {"id": campaign_id}, owner)) == ["FORBIDDEN"]
    assert error_codes(await gql.post(STEP % "pauseUpdateCampaign", {"id": campaign_id},
                                      analyst)) == ["FORBIDDEN"]
