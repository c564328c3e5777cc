"""Notifications through the public API: rules -> policy -> inbox, preferences, marks, privacy."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from starlette.applications import Starlette

from api.notifying import NotifyingEventSink
from domain.access import Role
from domain.appointments import AppointmentBooked, AppointmentCancelled, AppointmentStatus
from domain.battery import BatteryHealthBelowThreshold
from domain.owners import Owner
from domain.telemetry import FaultCodesReported
from domain.vehicles import Vehicle
from services.deps import Deps
from services.inbox import remind_lapsed_owners
from services.notifications import notify, release_due_notifications
from tests.conftest import GraphQLClient, error_codes
from tests.factories import add_owner, add_vehicle, gid

# Yesterday noon: recent enough for the factories' vehicles (delivered 100 days before now).
NOON = (datetime.now(UTC) - timedelta(days=1)).replace(hour=12, minute=0, second=0,
                                                        microsecond=0)
LATE = NOON.replace(hour=23, minute=15)
NEXT_MORNING = NOON.replace(hour=7) + timedelta(days=1)
INBOX = """
query($unread: Boolean) {
  me { notifications(first: 10, unreadOnly: $unread) {
    edges { cursor node { id kind category priority title body locale deepLink data
                          deliverAfter readAt actedAt vehicle { id nickname } } }
    pageInfo { hasNextPage endCursor } } }
}"""
PREFERENCES = """
mutation($input: NotificationPreferencesInput!) {
  updateNotificationPreferences(input: $input) {
    preferences { channels quietHours { start end } timezone locale mutedCategories
                  maxPerDay allowUsageBasedTips }
    errors { __typename field message }
  }
}"""
MARK_READ = """
mutation($id: ID!) { markNotificationRead(id: $id) {
  notification { id readAt actedAt } errors { __typename message } } }"""
MARK_ACTED = """
mutation($id: ID!) { markNotificationActed(id: $id) {
  notification { id readAt actedAt } errors { __typename message } } }"""
INGEST = """
mutation($batch: [TelemetryInput!]!) { ingestTelemetry(batch: $batch) { stored rejected } }"""


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock(app: Starlette) -> Clock:
    """The app's use cases (and its event sink) on a clock the test moves."""
    fake = Clock(NOON)
    sink = NotifyingEventSink()
    deps = dataclasses.replace(app.state.deps, clock=fake, events=sink)
    sink.attach(deps)
    app.state.deps = deps
    return fake


@pytest.fixture
def live(app: Starlette, clock: Clock) -> Deps:
    deps: Deps = app.state.deps
    return deps


async def owner_with_car(deps: Deps, name: str = "Ana Costa") -> tuple[Owner, Vehicle]:
    owner = await add_owner(deps, name)
    car = await add_vehicle(deps, owner)
    return owner, car


async def inbox(gql: GraphQLClient, owner: Owner, unread: bool = False) -> list[dict[str, Any]]:
    data = await gql.ok(INBOX, {"unread": unread}, gql.bearer(Role.OWNER, owner.id))
    return [edge["node"] for edge in data["me"]["notifications"]["edges"]]


async def report_fault(gql: GraphQLClient, car: Vehicle, clock: Clock, code: str,
                       event_id: str) -> None:
    item = {"vin": car.vin, "eventId": event_id, "at": clock.now.isoformat(),
            "socPercent": 70.0, "charging": False, "faultCodes": [code]}
    data = await gql.ok(INGEST, {"batch": [item]}, gql.bearer(Role.VEHICLE_GATEWAY, "gw"))
    assert data["ingestTelemetry"]["stored"] == 1


def fault(car: Vehicle, code: str, clock: Clock) -> FaultCodesReported:
    return FaultCodesReported(at=clock.now, vehicle_id=car.id, owner_id=car.owner_id,
                              codes=(code,))


async def test_a_fault_from_telemetry_reaches_the_owner_inbox(
        gql: GraphQLClient, live: Deps, clock: Clock) -> None:
    owner, car = await owner_with_car(live)
    await report_fault(gql, car, clock, "P1A10", "e1")
    [note] = await inbox(gql, owner)
    assert note["kind"] == "FAULT_DETECTED"
    assert note["priority"] == "HIGH"
    assert note["title"].endswith("reported fault P1A10")
    assert note["data"]["concern"] == "Fault code P1A10: Battery coolant pump fault"
    assert note["deepLink"].startswith("evjourney://service/book?")
    assert note["vehicle"]["id"] == gid("Vehicle", car.id)


async def test_the_same_condition_inside_its_window_notifies_once(
        live: Deps, clock: Clock, gql: GraphQLClient) -> None:
    owner, car = await owner_with_car(live)
    event = BatteryHealthBelowThreshold(at=clock.now, vehicle_id=car.id, threshold=80.0,
                                        state_of_health_percent=79.5)
    assert len(await notify(live, [event, event])) == 1
    clock.now += timedelta(days=30)
    assert await notify(live, [event]) == []
    clock.now += timedelta(days=400)  # the window (a year) is over
    assert len(await notify(live, [event])) == 1
    assert len(await inbox(gql, owner)) == 2


async def test_quiet_hours_defer_until_morning_and_the_worker_delivers(
        live: Deps, clock: Clock, gql: GraphQLClient) -> None:
    owner, car = await owner_with_car(live)
    clock.now = LATE
    [created] = await notify(live, [fault(car, "P1A10", clock)])
    assert created.deliver_after == NEXT_MORNING
    assert await inbox(gql, owner) == []  # not delivered yet
    clock.now = NEXT_MORNING + timedelta(seconds=1)
    assert await release_due_notifications(live, clock.now) == 1
    assert [n["kind"] for n in await inbox(gql, owner)] == ["FAULT_DETECTED"]
    assert await release_due_notifications(live, clock.now) == 0  # delivered once


async def test_critical_bypasses_quiet_hours(live: Deps, clock: Clock,
                                             gql: GraphQLClient) -> None:
    owner, car = await owner_with_car(live)
    clock.now = LATE
    await notify(live, [fault(car, "P0AA6", clock)])
    [note] = await inbox(gql, owner)
    assert note["priority"] == "CRITICAL"


async def test_preferences_change_language_mutes_and_cap(
        gql: GraphQLClient, live: Deps, clock: Clock) -> None:
    owner, car = await owner_with_car(live)
    data = await gql.ok(PREFERENCES, {"input": {
        "locale": "de-DE", "timezone": "Europe/Berlin", "maxPerDay": 1,
        "mutedCategories": ["BATTERY"], "quietHours": {"start": "23:00", "end": "06:30"},
        "channels": ["PUSH"]}}, gql.bearer(Role.OWNER, owner.id))
    prefs = data["updateNotificationPreferences"]["preferences"]
    assert prefs == {"channels": ["IN_APP", "PUSH"], "quietHours": {"start": "23:00:00",
                                                                    "end": "06:30:00"},
                     "timezone": "Europe/Berlin", "locale": "de-DE",
                     "mutedCategories": ["BATTERY"], "maxPerDay": 1,
                     "allowUsageBasedTips": False}
    low = BatteryHealthBelowThreshold(at=clock.now, vehicle_id=car.id, threshold=80.0,
                                      state_of_health_percent=79.0)
    assert await notify(live, [low]) == []  # muted
    first, second = await notify(live, [fault(car, "P1A10", clock), fault(car, "U0100", clock)])
    assert first.deliver_after == clock.now
    berlin = ZoneInfo("Europe/Berlin")
    tomorrow = clock.now.astimezone(berlin).date() + timedelta(days=1)
    assert second.deliver_after == datetime.combine(tomorrow, time(6, 30), berlin)
    [note] = await inbox(gql, owner)
    assert note["locale"] == "de"
    assert note["title"].endswith("meldet Fehler P1A10")


async def test_bad_preferences_are_typed_errors(gql: GraphQLClient, live: Deps) -> None:
    owner, _ = await owner_with_car(live)
    data = await gql.ok(PREFERENCES, {"input": {"maxPerDay": 500}},
                        gql.bearer(Role.OWNER, owner.id))
    payload = data["updateNotificationPreferences"]
    assert payload["preferences"] is None
    assert payload["errors"][0]["field"] == "maxPerDay"


@pytest.mark.parametrize(("role", "code"), [(None, "UNAUTHENTICATED"),
                                            (Role.OEM_ANALYST, "FORBIDDEN")])
async def test_only_owners_change_preferences(gql: GraphQLClient, live: Deps,
                                              role: Role | None, code: str) -> None:
    auth = gql.bearer(role, "someone") if role else None
    body = await gql.post(PREFERENCES, {"input": {"maxPerDay": 2}}, auth)
    assert error_codes(body) == [code]


async def test_reading_and_acting_are_counted_once(
        gql: GraphQLClient, live: Deps, clock: Clock, app: Starlette) -> None:
    owner, car = await owner_with_car(live)
    await notify(live, [fault(car, "P1A10", clock)])
    [note] = await inbox(gql, owner)
    as_owner = gql.bearer(Role.OWNER, owner.id)
    for _ in range(2):
        read = await gql.ok(MARK_READ, {"id": note["id"]}, as_owner)
    assert read["markNotificationRead"]["notification"]["readAt"] is not None
    assert await inbox(gql, owner, unread=True) == []
    acted = await gql.ok(MARK_ACTED, {"id": note["id"]}, as_owner)
    assert acted["markNotificationActed"]["notification"]["actedAt"] is not None
    [row] = await app.state.db["notificationEngagement"].find({}).to_list(None)
    assert (row["delivered"], row["opened"], row["acted"]) == (1, 1, 1)
    assert row["kinds"] == {"FAULT_DETECTED": {"delivered": 1, "opened": 1, "acted": 1}}


async def test_an_owner_never_sees_or_marks_another_owners_notifications(
        gql: GraphQLClient, live: Deps, clock: Clock) -> None:
    ana, car = await owner_with_car(live)
    ben, _ = await owner_with_car(live, "Ben Ode")
    await notify(live, [fault(car, "P1A10", clock)])
    [note] = await inbox(gql, ana)
    assert await inbox(gql, ben) == []
    body = await gql.post(MARK_READ, {"id": note["id"]}, gql.bearer(Role.OWNER, ben.id))
    assert error_codes(body) == ["FORBIDDEN"]
    node = await gql.post('query($id: ID!) { node(id: $id) { id } }', {"id": note["id"]},
                          gql.bearer(Role.OWNER, ben.id))
    assert error_codes(node) == ["FORBIDDEN"]


async def test_a_cancelled_visit_withdraws_its_pending_reminder(
        live: Deps, clock: Clock, gql: GraphQLClient) -> None:
    owner, car = await owner_with_car(live)
    start = clock.now + timedelta(days=3)

    def visit(kind: type) -> Any:
        return kind(at=clock.now, appointment_id="a1", vehicle_id=car.id, owner_id=owner.id,
                    center_id="c-missing", start=start, status=AppointmentStatus.CONFIRMED)

    created = await notify(live, [visit(AppointmentBooked)])
    assert sorted(n.kind.value for n in created) == ["APPOINTMENT_CONFIRMED",
                                                     "APPOINTMENT_REMINDER"]
    await notify(live, [visit(AppointmentCancelled)])
    clock.now = start - timedelta(hours=23)
    assert await release_due_notifications(live, clock.now) == 0
    assert [n["kind"] for n in await inbox(gql, owner)] == ["APPOINTMENT_CONFIRMED"]


async def test_the_inbox_pages_newest_delivery_first(
        live: Deps, clock: Clock, gql: GraphQLClient) -> None:
    owner, car = await owner_with_car(live)
    for code in ("P1A10", "U0100", "C0035"):
        await notify(live, [fault(car, code, clock)])
        clock.now += timedelta(minutes=1)
    auth = gql.bearer(Role.OWNER, owner.id)
    query = """query($after: String) { me { notifications(first: 2, after: $after) {
      edges { node { data } } pageInfo { hasNextPage endCursor } } } }"""
    first = (await gql.ok(query, {}, auth))["me"]["notifications"]
    second = (await gql.ok(query, {"after": first["pageInfo"]["endCursor"]}, auth)
              )["me"]["notifications"]
    codes = [e["node"]["data"]["faultCode"] for e in first["edges"] + second["edges"]]
    assert codes == ["C0035", "U0100", "P1A10"]
    assert first["pageInfo"]["hasNextPage"] is True
    assert second["pageInfo"]["hasNextPage"] is False


async def test_a_request_records_app_use_and_lapsed_owners_get_one_nudge(
        gql: GraphQLClient, live: Deps, clock: Clock, app: Starlette) -> None:
    away, car = await owner_with_car(live)
    active, _ = await owner_with_car(live, "Ben Ode")
    for owner in (away, active):
        await inbox(gql, owner)  # an app request
    owners = app.state.db["owners"]
    doc = await owners.find_one({"_id": away.id})
    assert doc["lastActiveAt"] == clock.now
    await owners.update_one({"_id": away.id},
                            {"$set": {"lastActiveAt": clock.now - timedelta(days=75)}})
    assert await remind_lapsed_owners(live) == 1
    assert await remind_lapsed_owners(live) == 0  # nudged: not again for a month
    [note] = await inbox(gql, away)
    assert note["kind"] == "RE_ENGAGEMENT"
    assert note["vehicle"]["id"] == gid("Vehicle", car.id)
