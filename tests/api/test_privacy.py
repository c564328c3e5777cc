"""Privacy through GraphQL: the export, account deletion (scanned for leftovers in every
collection, analytics unchanged, re-runnable after a crash), who may do what, and consents."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from starlette.applications import Starlette

from api.settings import Settings
from domain import privacy
from domain.access import Role
from domain.appointments import Appointment, AppointmentStatus, HistoryEntry
from domain.ids import new_id
from domain.ota import UpdateHistoryEntry, UpdateStatus, VehicleUpdate
from domain.owners import Owner
from domain.service_centers import ServiceCenter, ServiceType
from domain.vehicles import Vehicle
from services.deps import Deps
from services.journey import refresh_stages
from store.privacy import MongoPrivacyRepository
from tests.api.test_analytics import METRICS
from tests.api.test_appointments import BOOK
from tests.api.test_charging import RECORD
from tests.api.test_notifications import INGEST, PREFERENCES
from tests.api.test_push_delivery import REGISTER
from tests.conftest import GraphQLClient, error_codes
from tests.factories import (
    add_center,
    add_owner,
    add_vehicle,
    gid,
    next_weekday_at,
    session_input,
)

EXPORT = "mutation { exportMyData { data errors { __typename field message } } }"
DELETE = """mutation($confirm: String!, $ownerId: ID) {
  deleteMyAccount(confirm: $confirm, ownerId: $ownerId) {
    deleted cancelledAppointments collections { collection deleted anonymised }
    errors { __typename field message } } }"""
CONSENT = """mutation($purpose: ConsentPurpose!, $granted: Boolean!) {
  recordConsent(purpose: $purpose, granted: $granted) {
    consent { purpose granted at source } errors { __typename message } } }"""
CONSENTS = """{ me { notificationPreferences { allowUsageBasedTips }
  consents { purpose granted at source }
  history: consents(history: true) { purpose granted source } } }"""
FEEDBACK = """mutation($input: FeedbackInput!) { submitFeedback(input: $input) {
  errors { message } } }"""
TOUCH = """mutation($input: TouchpointInput!) { recordTouchpoint(input: $input) {
  errors { message } } }"""
ME = "{ me { id } }"
NOW = datetime.now(UTC)
TOKEN = "device-token-for-zelda-7Q2X"
UNCHANGED = ("npsScore", "csatPercent", "responses", "notificationOpenRate",
             "notificationActionRate", "serviceRetentionRate", "firstTimeFixRate",
             "stageTransitions", "byTouchpoint", "byRegion", "timeSeries")


@dataclass
class World:
    target: Owner
    car: Vehicle
    other: Owner
    other_car: Vehicle
    center: ServiceCenter

    def secrets(self) -> list[str]:
        """What must not be found anywhere once the target is deleted."""
        return [self.target.id, self.target.email, self.target.name, self.car.vin, self.car.id,
                TOKEN]


@pytest.fixture
async def world(gql: GraphQLClient, deps: Deps, app: Starlette) -> World:
    """Six owners in DE with survey answers, dues, repairs and stages (so every figure is above
    k = 5); the target also has everything an owner can have, in every collection."""
    target = await add_owner(deps, "Zelda Quixote", "zelda.quixote@example.com", region="DE")
    other = await add_owner(deps, "Yuri Otherperson", "yuri.other@example.com", region="DE")
    crowd = [target, other] + [await add_owner(deps, f"De {i}", region="DE") for i in range(4)]
    cars = {o.id: await add_vehicle(deps, o) for o in crowd}
    center = await add_center(deps)
    await refresh_stages(deps)  # a stage transition each
    for owner, score in zip(crowd, [10, 9, 8, 6, 3, 10], strict=True):
        await _ok(gql, FEEDBACK, owner, input={"touchpoint": "APP", "npsScore": score})
    await _ok(gql, FEEDBACK, target, input={"touchpoint": "SERVICE_VISIT", "csatScore": 2,
                                            "comment": "Zelda here, call me on 0170 1234"})
    await _dues_and_repairs(app, deps, crowd, cars, center)
    await _everything_else(gql, deps, target, cars[target.id], center)
    return World(target, cars[target.id], other, cars[other.id], center)


async def _ok(gql: GraphQLClient, query: str, owner: Owner, **variables: Any) -> dict[str, Any]:
    return await gql.ok(query, variables, gql.bearer(Role.OWNER, owner.id))


async def _dues_and_repairs(app: Starlette, deps: Deps, crowd: list[Owner],
                            cars: dict[str, Vehicle], center: ServiceCenter) -> None:
    dues = [{"_id": f"{cars[o.id].id}:ANNUAL_SERVICE:x", "ownerId": o.id,
             "vehicleId": cars[o.id].id, "serviceType": "ANNUAL_SERVICE",
             "dueOn": NOW - timedelta(days=30), "region": "DE", "modelId": "volta-one",
             "stage": "EARLY_OWNERSHIP", "status": "RETAINED" if i % 2 else "LAPSED"}
            for i, o in enumerate(crowd)]
    dues.append({**dues[0], "_id": f"{cars[crowd[0].id].id}:TYRE_ROTATION:y", "status": "OPEN"})
    await app.state.db["serviceDues"].insert_many(dues)
    done = NOW - timedelta(days=45)
    await deps.appointments.add_many([Appointment(
        id=new_id(done), vehicle_id=cars[o.id].id, owner_id=o.id, center_id=center.id,
        timezone=center.timezone, start=done - timedelta(hours=2), end=done,
        service_types=(ServiceType.HIGH_VOLTAGE_REPAIR,), status=AppointmentStatus.COMPLETED,
        concern_categories=("HIGH_VOLTAGE",), concern=f"{o.name} hears a whine",
        history=(HistoryEntry(status=AppointmentStatus.REQUESTED, at=done, by=o.id),),
        reopened=i == 0, completed_at=done, created_at=done - timedelta(days=3))
        for i, o in enumerate(crowd[:5])])


async def _everything_else(gql: GraphQLClient, deps: Deps, owner: Owner, car: Vehicle,
                           center: ServiceCenter) -> None:
    """Charging, telemetry with a fault (notification, push item, claim), a device, an app
    open, a consent, an upcoming mobile visit with an address, an OTA offer."""
    await _ok(gql, PREFERENCES, owner, input={"quietHours": {"start": "00:00", "end": "00:00"}})
    await _ok(gql, RECORD, owner, input=session_input(car))
    await gql.ok(INGEST, {"batch": [{
        "vin": car.vin, "eventId": "e1", "at": NOW.isoformat(), "socPercent": 64.0,
        "location": {"lat": 52.5, "lng": 13.4}, "faultCodes": ["P1A10"]}]},
        gql.bearer(Role.VEHICLE_GATEWAY, "gw"))
    await _ok(gql, REGISTER, owner, token=TOKEN, platform="IOS")
    await _ok(gql, TOUCH, owner, input={"eventId": "open-1", "kind": "APP_OPEN",
                                        "at": NOW.isoformat()})
    await _ok(gql, CONSENT, owner, purpose="MARKETING", granted=True)
    booked = await _ok(gql, BOOK, owner, key="zelda-visit", input={
        "vehicleId": gid("Vehicle", car.id), "centerId": gid("ServiceCenter", center.id),
        "start": next_weekday_at(10).isoformat(), "serviceTypes": ["TYRE_ROTATION"],
        "mobileService": True, "address": "Zelda's drive, Hauptstrasse 1",
        "concern": "Zelda's tyres squeak"})
    assert booked["bookServiceAppointment"]["errors"] == []
    await deps.ota.add_offers([VehicleUpdate(
        id=new_id(NOW), vehicle_id=car.id, owner_id=owner.id, campaign_id="campaign-1",
        release_id="release-1", version="2.1.0", status=UpdateStatus.OFFERED,
        history=(UpdateHistoryEntry(status=UpdateStatus.OFFERED, at=NOW),),
        updated_at=NOW, created_at=NOW)])


async def mentions(app: Starlette, needles: list[str]) -> dict[str, list[Any]]:
    """Every document of every collection in the database that contains one of the needles."""
    db = app.state.db
    found: dict[str, list[Any]] = {}
    for name in await db.list_collection_names():
        for doc in await db[name].find({}).to_list(None):
            text = json.dumps(doc, default=str)
            hits = [needle for needle in needles if needle in text]
            if hits:
                found.setdefault(name, []).append((doc["_id"], hits))
    return found


async def metrics(gql: GraphQLClient) -> dict[str, Any]:
    period = {"from": (NOW - timedelta(days=90)).isoformat(),
              "to": (NOW + timedelta(hours=1)).isoformat()}  # the same both times
    data = await gql.ok(METRICS, {"filter": period}, gql.bearer(Role.OEM_ANALYST, "analyst"))
    result: dict[str, Any] = data["engagementMetrics"]
    return result


async def delete(gql: GraphQLClient, auth: str, owner_id: str | None = None,
                 confirm: str = "DELETE") -> dict[str, Any]:
    data = await gql.ok(DELETE, {"confirm": confirm,
                                 "ownerId": gid("Owner", owner_id) if owner_id else None}, auth)
    payload: dict[str, Any] = data["deleteMyAccount"]
    return payload


async def test_the_export_has_everything_about_the_owner_and_nothing_else(
        gql: GraphQLClient, world: World) -> None:
    data = (await _ok(gql, EXPORT, world.target))["exportMyData"]
    assert data["errors"] == []
    export = data["data"]
    assert export["profile"]["email"] == world.target.email
    assert [v["vin"] for v in export["vehicles"]] == [world.car.vin]
    assert len(export["chargingSessions"]) == 1
    assert export["batteryStates"][0]["sessions"] == 1
    assert export["vehicleStatus"][0]["socPercent"] == 64.0
    assert export["telemetry"][0]["location"] == {"lat": 52.5, "lng": 13.4}
    assert export["telemetrySummary"][0]["events"] == 1
    assert {a["concern"] for a in export["appointments"]} == {
        "Zelda Quixote hears a whine", "Zelda's tyres squeak"}
    assert export["softwareUpdates"][0]["version"] == "2.1.0"
    assert {n["kind"] for n in export["notifications"]} == {
        "FAULT_DETECTED", "APPOINTMENT_CONFIRMED", "APPOINTMENT_REMINDER"}
    assert export["pushDevices"][0]["id"] == "*" * (len(TOKEN) - 4) + TOKEN[-4:]
    assert TOKEN not in json.dumps(export)
    assert {t["kind"] for t in export["touchpoints"]} >= {"APP_OPEN", "CHARGE", "BOOKING"}
    assert "Zelda here, call me on 0170 1234" in [f["comment"] for f in export["feedback"]]
    assert [c["purpose"] for c in export["consents"]] == ["MARKETING"]
    assert export["truncated"] == []
    assert export["limits"]["itemsPerCollection"] == privacy.EXPORT_CAP
    text = json.dumps(export)
    for theirs in (world.other.id, world.other.email, world.other_car.vin, world.other_car.id):
        assert theirs not in text


async def test_an_export_says_which_sections_were_cut_at_the_cap(
        gql: GraphQLClient, world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(privacy, "EXPORT_CAP", 1)
    export = (await _ok(gql, EXPORT, world.target))["exportMyData"]["data"]
    assert len(export["touchpoints"]) == 1
    assert {"touchpoints", "feedback", "appointments"} <= set(export["truncated"])
    assert "vehicles" not in export["truncated"]


async def test_deleting_an_account_leaves_nothing_personal_and_the_figures_unchanged(
        gql: GraphQLClient, world: World, app: Starlette, settings: Settings,
        deps: Deps) -> None:
    before = await metrics(gql)
    assert before["owners"] == 6
    everywhere = {"owners", "vehicles", "chargingSessions", "batteryStates", "telemetry",
                  "vehicleStatus", "notifications", "notificationClaims", "pushOutbox",
                  "pushDevices", "touchpoints", "appActivity", "feedback", "serviceDues",
                  "stageTransitions", "appointments", "vehicleUpdates", "consents"}
    if settings.mongodb_uri:  # a server: deliveries also pass through the shared feed
        everywhere.add("notificationFeed")
    assert set(await mentions(app, world.secrets())) >= everywhere
    result = await delete(gql, gql.bearer(Role.OWNER, world.target.id))
    assert (result["deleted"], result["errors"], result["cancelledAppointments"]) == (
        True, [], 1)
    counts = {c["collection"]: c for c in result["collections"]}
    assert counts["feedback"]["anonymised"] == 2
    assert await mentions(app, world.secrets()) == {}
    assert await mentions(app, [world.other.email, world.other_car.vin])  # the scan finds
    held = await app.state.db["serviceCapacity"].find({}, {"_id": 0, "created": 0}).to_list(None)
    assert [n for doc in held for counter in doc.values() for n in counter.values()
            if n] == []  # the cancelled visit's slot was given back
    after = await metrics(gql)
    assert {k: after[k] for k in UNCHANGED} == {k: before[k] for k in UNCHANGED}
    await refresh_stages(deps)  # the funnel counts accounts as the daily sweep found them
    assert (await metrics(gql))["owners"] == 5
    body = await gql.post(ME, {}, gql.bearer(Role.OWNER, world.target.id))
    assert body["data"]["me"] is None


async def test_deleting_again_finishes_an_erasure_that_crashed_part_way(
        gql: GraphQLClient, world: World, app: Starlette,
        monkeypatch: pytest.MonkeyPatch) -> None:
    before = await metrics(gql)

    async def crash(*_: Any) -> None:
        raise RuntimeError("the server died here")

    monkeypatch.setattr(MongoPrivacyRepository, "_anonymise_appointments", crash)
    auth = gql.bearer(Role.OWNER, world.target.id)
    body = await gql.post(DELETE, {"confirm": "DELETE"}, auth)
    assert error_codes(body) == ["INTERNAL_SERVER_ERROR"]
    db = app.state.db
    assert await db["erasures"].count_documents({}) == 1
    assert (await gql.post(ME, {}, auth))["data"]["me"] is None  # the account went first
    [half_done] = await db["feedback"].distinct("ownerId", {"ownerId": {"$nin": [
        o["_id"] for o in await db["owners"].find({}, {"_id": 1}).to_list(None)]}})
    monkeypatch.undo()
    result = await delete(gql, auth)
    assert (result["deleted"], result["errors"]) == (True, [])
    assert await mentions(app, world.secrets()) == {}
    # The same salt both times: the person is one pseudonym everywhere, counted once.
    assert await db["appActivity"].count_documents({"ownerId": half_done}) == 1
    after = await metrics(gql)
    assert {k: after[k] for k in UNCHANGED} == {k: before[k] for k in UNCHANGED}
    again = await delete(gql, auth)
    assert again["deleted"] is True
    assert all(c["deleted"] == c["anonymised"] == 0 for c in again["collections"])
    assert await db["erasures"].count_documents({}) == 0


@pytest.mark.parametrize("role", [Role.SERVICE_STAFF, Role.OEM_ANALYST, Role.ADMIN,
                                  Role.VEHICLE_GATEWAY])
async def test_only_the_owner_exports_their_data(gql: GraphQLClient, deps: Deps,
                                                 role: Role) -> None:
    owner = await add_owner(deps)
    body = await gql.post(EXPORT, {}, gql.bearer(role, owner.id, center_id="c1"))
    assert error_codes(body) == ["FORBIDDEN"]
    assert error_codes(await gql.post(EXPORT, {})) == ["UNAUTHENTICATED"]


async def test_who_may_delete_an_account(gql: GraphQLClient, deps: Deps) -> None:
    owner, other = await add_owner(deps), await add_owner(deps)
    ours = gid("Owner", owner.id)
    for auth in (gql.bearer(Role.OWNER, other.id), gql.bearer(Role.SERVICE_STAFF, "s", "c1"),
                 gql.bearer(Role.OEM_ANALYST, "a"), gql.bearer(Role.VEHICLE_GATEWAY, "gw")):
        body = await gql.post(DELETE, {"confirm": "DELETE", "ownerId": ours}, auth)
        assert error_codes(body) == ["FORBIDDEN"], auth
    assert error_codes(await gql.post(DELETE, {"confirm": "DELETE"})) == ["UNAUTHENTICATED"]
    unconfirmed = await delete(gql, gql.bearer(Role.OWNER, owner.id), confirm="delete")
    assert [(e["__typename"], e["field"]) for e in unconfirmed["errors"]] == [
        ("InvalidInput", "confirm")]
    admin = gql.bearer(Role.ADMIN, "admin")
    unnamed = await delete(gql, admin)
    assert [e["field"] for e in unnamed["errors"]] == ["ownerId"]
    assert (await gql.ok(ME, {}, gql.bearer(Role.OWNER, owner.id)))["me"] is not None
    assert (await delete(gql, admin, owner.id))["deleted"] is True
    assert (await gql.ok(ME, {}, gql.bearer(Role.OWNER, owner.id)))["me"] is None
    assert (await gql.ok(ME, {}, gql.bearer(Role.OWNER, other.id)))["me"] is not None


async def test_consents_keep_a_history_and_the_tips_preference_in_step(
        gql: GraphQLClient, deps: Deps) -> None:
    owner = await add_owner(deps)
    before = (await _ok(gql, CONSENTS, owner))["me"]
    assert before["history"] == []
    assert {(c["purpose"], c["granted"], c["at"]) for c in before["consents"]} == {
        (p.value, False, None) for p in privacy.ConsentPurpose}
    given = await _ok(gql, CONSENT, owner, purpose="USAGE_BASED_TIPS", granted=True)
    assert given["recordConsent"]["consent"]["source"] == "APP"
    await _ok(gql, CONSENT, owner, purpose="MARKETING", granted=True)
    me = (await _ok(gql, CONSENTS, owner))["me"]
    assert me["notificationPreferences"]["allowUsageBasedTips"] is True
    await _ok(gql, PREFERENCES, owner, input={"allowUsageBasedTips": False})
    await _ok(gql, PREFERENCES, owner, input={"maxPerDay": 3})  # tips untouched: no record
    me = (await _ok(gql, CONSENTS, owner))["me"]
    assert me["notificationPreferences"]["allowUsageBasedTips"] is False
    current = {c["purpose"]: c for c in me["consents"]}
    assert (current["USAGE_BASED_TIPS"]["granted"], current["USAGE_BASED_TIPS"]["source"]) == (
        False, "PREFERENCES")
    assert current["USAGE_BASED_TIPS"]["at"] is not None
    assert (current["MARKETING"]["granted"], current["MARKETING"]["source"]) == (True, "APP")
    assert [(h["purpose"], h["granted"], h["source"]) for h in me["history"]] == [
        ("USAGE_BASED_TIPS", False, "PREFERENCES"), ("MARKETING", True, "APP"),
        ("USAGE_BASED_TIPS", True, "APP")]
    staff = await gql.post(CONSENT, {"purpose": "MARKETING", "granted": True},
                           gql.bearer(Role.ADMIN, "admin"))
    assert error_codes(staff) == ["FORBIDDEN"]
