"""engagementMetrics against a hand-computed fixture, k-anonymity and who may ask."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from api.app import create_app
from api.settings import Settings
from domain.access import Role
from domain.appointments import Appointment, AppointmentStatus
from domain.ids import new_id
from domain.notifications.rules.engagement import OwnerLapsed
from domain.owners import Owner
from domain.service_centers import ServiceType
from services.deps import Deps
from services.inbox import mark_acted, mark_read
from services.journey import refresh_stages
from services.notifications import notify
from tests.conftest import GraphQLClient, error_codes
from tests.factories import add_center, add_owner, add_vehicle

METRICS = """query($filter: EngagementFilter) { engagementMetrics(filter: $filter) {
  owners npsScore csatPercent responses digitalEngagementRate notificationOpenRate
  notificationActionRate serviceRetentionRate firstTimeFixRate
  stageFunnel { stage owners } stageTransitions { from to count }
  byTouchpoint { touchpoint nps csat responses }
  byRegion { region serviceRetentionRate firstTimeFixRate owners }
  timeSeries(interval: MONTH) { periodStart npsScore responses }
} }"""
FEEDBACK = """mutation($input: FeedbackInput!) { submitFeedback(input: $input) {
  feedback { id npsScore csatScore comment } errors { __typename field message } } }"""
TOUCH = """mutation($input: TouchpointInput!) { recordTouchpoint(input: $input) {
  touchpoint { kind } duplicate errors { __typename message } } }"""
NOW = datetime.now(UTC)

DE_NPS, FR_NPS = [10, 9, 8, 6, 3, 10], [9, 9, 7, 0]
DE_CSAT = [5, 4, 3, 5, 2, 4]


async def answer(gql: GraphQLClient, owner: Owner, **fields: Any) -> dict[str, Any]:
    data = await gql.ok(FEEDBACK, {"input": fields}, gql.bearer(Role.OWNER, owner.id))
    payload: dict[str, Any] = data["submitFeedback"]
    assert payload["errors"] == []
    return payload


async def metrics(gql: GraphQLClient, role: Role = Role.OEM_ANALYST,
                  **filter: Any) -> dict[str, Any]:
    data = await gql.ok(METRICS, {"filter": filter or None}, gql.bearer(role, "analyst-1"))
    result: dict[str, Any] = data["engagementMetrics"]
    return result


@pytest.fixture
async def population(gql: GraphQLClient, deps: Deps, app: Starlette) -> dict[str, list[Owner]]:
    """6 owners in DE (volta-one), 4 in FR (volta-city), with known answers and events."""
    de = [await add_owner(deps, f"De {i}", region="DE") for i in range(6)]
    fr = [await add_owner(deps, f"Fr {i}", region="FR") for i in range(4)]
    cars = {o.id: await add_vehicle(deps, o, model_id="volta-one" if o in de else "volta-city")
            for o in de + fr}
    await refresh_stages(deps)  # all EARLY_OWNERSHIP (delivered 100 days ago)
    for owner, score in zip(de + fr, DE_NPS + FR_NPS, strict=True):
        await answer(gql, owner, touchpoint="APP", npsScore=score)
    for owner, score in zip(de, DE_CSAT, strict=True):
        await answer(gql, owner, touchpoint="SERVICE_VISIT", csatScore=score,
                     comment=f"visit comment {score}")
    for i, owner in enumerate(de[:4]):
        await gql.ok(TOUCH, {"input": {"eventId": f"open-{i}", "kind": "APP_OPEN",
                                       "at": NOW.isoformat()}}, gql.bearer(Role.OWNER, owner.id))
    await _notifications(deps, de + fr, cars)
    await _dues(app, de, fr, cars)
    await _repairs(deps, de, cars)
    return {"de": de, "fr": fr}


async def _notifications(deps: Deps, owners: list[Owner], cars: dict[str, Any]) -> None:
    """One each; 5 opened, 2 of them acted on."""
    events = [OwnerLapsed(at=NOW, owner_id=o.id, vehicle_id=cars[o.id].id, inactive_days=70)
              for o in owners]
    quiet = {"notification_preferences": owners[0].notification_preferences.model_copy(
        update={"quiet_hours": None})}
    for o in owners:
        await deps.notification_settings.set_preferences(
            o.id, quiet["notification_preferences"], o.locale, o.timezone, NOW)
    created = await notify(deps, events)
    assert len(created) == 10
    for n in created[:5]:
        await mark_read(deps, _owner_actor(n.owner_id), n.id)
    for n in created[:2]:
        await mark_acted(deps, _owner_actor(n.owner_id), n.id)


def _owner_actor(owner_id: str) -> Any:
    from domain.access import Principal

    return Principal(role=Role.OWNER, subject=owner_id)


async def _dues(app: Starlette, de: list[Owner], fr: list[Owner], cars: dict[str, Any]) -> None:
    """DE: 4 of 6 retained; FR: 1 of 4."""
    rows = []
    for owners, retained in ((de, 4), (fr, 1)):
        for i, owner in enumerate(owners):
            rows.append({"_id": f"{cars[owner.id].id}:ANNUAL_SERVICE:x", "ownerId": owner.id,
                         "vehicleId": cars[owner.id].id, "serviceType": "ANNUAL_SERVICE",
                         "dueOn": NOW - timedelta(days=120), "region": owner.region,
                         "modelId": cars[owner.id].model_id, "stage": "EARLY_OWNERSHIP",
                         "status": "RETAINED" if i < retained else "LAPSED"})
    await app.state.db["serviceDues"].insert_many(rows)


async def _repairs(deps: Deps, de: list[Owner], cars: dict[str, Any]) -> None:
    """5 repairs at a DE center 45 days ago, one reopened."""
    center = await add_center(deps)
    done = NOW - timedelta(days=45)
    visits = [Appointment(
        id=new_id(done), vehicle_id=cars[o.id].id, owner_id=o.id, center_id=center.id,
        timezone=center.timezone, start=done - timedelta(hours=2), end=done,
        service_types=(ServiceType.HIGH_VOLTAGE_REPAIR,), status=AppointmentStatus.COMPLETED,
        concern_categories=("HIGH_VOLTAGE",), reopened=i == 0, completed_at=done,
        created_at=done - timedelta(days=3)) for i, o in enumerate(de[:5])]
    await deps.appointments.add_many(visits)


async def test_every_metric_matches_the_hand_computed_figures(
        gql: GraphQLClient, population: dict[str, list[Owner]]) -> None:
    m = await metrics(gql)
    assert m["owners"] == 10
    assert m["npsScore"] == 20.0  # 5 promoters, 3 detractors of 10
    assert m["csatPercent"] == 66.7  # 4 of 6 answered 4-5
    assert m["responses"] == 10
    # Every owner used the app here (their survey answers are app requests): 10 of 10.
    assert m["digitalEngagementRate"] == 100.0
    assert m["notificationOpenRate"] == 50.0  # 5 of 10
    assert m["notificationActionRate"] == 20.0  # 2 of 10
    assert m["serviceRetentionRate"] == 50.0  # 5 of 10 dues
    assert m["firstTimeFixRate"] == 80.0  # 4 of 5 repairs not reopened
    funnel = {row["stage"]: row["owners"] for row in m["stageFunnel"]}
    assert funnel["EARLY_OWNERSHIP"] == 10
    assert funnel["ONBOARDING"] is None  # 0 owners: under 5, suppressed
    assert m["stageTransitions"] == [{"from": None, "to": "EARLY_OWNERSHIP", "count": 10}]
    by_touchpoint = {row["touchpoint"]: row for row in m["byTouchpoint"]}
    assert by_touchpoint["APP"] == {"touchpoint": "APP", "nps": 20.0, "csat": None,
                                    "responses": 10}
    assert by_touchpoint["SERVICE_VISIT"]["csat"] == 66.7
    regions = {row["region"]: row for row in m["byRegion"]}
    assert regions["DE"]["serviceRetentionRate"] == 66.7
    assert regions["DE"]["firstTimeFixRate"] == 80.0
    assert regions["FR"] == {"region": "FR", "serviceRetentionRate": None,
                             "firstTimeFixRate": None, "owners": None}  # 4 owners
    [month] = [p for p in m["timeSeries"] if p["responses"]]
    assert (month["npsScore"], month["responses"]) == (20.0, 10)


async def test_filters_narrow_the_group_and_small_groups_are_suppressed(
        gql: GraphQLClient, population: dict[str, list[Owner]]) -> None:
    de = await metrics(gql, regions=["DE"])
    assert de["owners"] == 6
    assert de["npsScore"] == 16.7  # 3 promoters, 2 detractors of 6
    assert de["digitalEngagementRate"] == 100.0
    assert (await metrics(gql, models=["volta-one"]))["npsScore"] == 16.7
    fr = await metrics(gql, regions=["FR"])  # 4 owners: below k = 5
    assert fr["owners"] is None
    assert fr["npsScore"] is None
    assert fr["digitalEngagementRate"] is None
    assert fr["byTouchpoint"][0]["nps"] is None
    nobody = await metrics(gql, stages=["RENEWAL"])
    assert nobody["owners"] is None


@pytest.mark.parametrize("role", [Role.OWNER, Role.SERVICE_STAFF, Role.VEHICLE_GATEWAY])
async def test_only_analysts_and_admins_read_analytics(gql: GraphQLClient, deps: Deps,
                                                       role: Role) -> None:
    body = await gql.post(METRICS, {}, gql.bearer(role, "someone", center_id="c1"))
    assert error_codes(body) == ["FORBIDDEN"]
    assert error_codes(await gql.post(METRICS, {})) == ["UNAUTHENTICATED"]
    assert "errors" not in await gql.post(METRICS, {}, gql.bearer(Role.ADMIN, "admin"))


async def test_bad_periods_are_clear_errors(gql: GraphQLClient, deps: Deps) -> None:
    auth = gql.bearer(Role.OEM_ANALYST, "a")
    backwards = {"filter": {"from": NOW.isoformat(), "to": (NOW - timedelta(days=1)).isoformat()}}
    assert error_codes(await gql.post(METRICS, backwards, auth)) == ["BAD_USER_INPUT"]
    long = {"filter": {"from": (NOW - timedelta(days=2000)).isoformat()}}
    assert error_codes(await gql.post(METRICS, long, auth)) == ["BAD_USER_INPUT"]


async def test_comments_are_shown_to_their_author_and_admins_only(
        gql: GraphQLClient, deps: Deps) -> None:
    owner = await add_owner(deps, region="DE")
    await add_vehicle(deps, owner)
    given = await answer(gql, owner, touchpoint="CHARGING", csatScore=2, comment="slow")
    assert given["feedback"]["comment"] == "slow"
    bad = await gql.ok(FEEDBACK, {"input": {"touchpoint": "APP", "npsScore": 11}},
                       gql.bearer(Role.OWNER, owner.id))
    assert bad["submitFeedback"]["errors"][0]["field"] == "npsScore"
    none = await gql.ok(FEEDBACK, {"input": {"touchpoint": "APP"}},
                        gql.bearer(Role.OWNER, owner.id))
    assert none["submitFeedback"]["feedback"] is None
    analyst = await gql.post(FEEDBACK, {"input": {"touchpoint": "APP", "npsScore": 5}},
                             gql.bearer(Role.OEM_ANALYST, "a"))
    assert error_codes(analyst) == ["FORBIDDEN"]


async def test_an_owner_answering_often_is_still_one_owner(
        gql: GraphQLClient, population: dict[str, list[Owner]]) -> None:
    """k-anonymity counts distinct owners, not answers: 4 FR owners answering 3 times each
    (12 answers) stay suppressed, while the answers all count in the whole population."""
    for owner in population["fr"]:
        for score in (10, 10):
            await answer(gql, owner, touchpoint="CHARGING", npsScore=score)
    fr = await metrics(gql, regions=["FR"])
    assert fr["npsScore"] is None
    assert fr["responses"] is None
    charging = {row["touchpoint"]: row for row in (await metrics(gql))["byTouchpoint"]}
    assert charging["CHARGING"]["nps"] is None  # 8 answers from 4 owners
    everyone = await metrics(gql)
    assert everyone["responses"] == 18  # 10 + 8 NPS answers (max of NPS and CSAT counts)
    assert everyone["npsScore"] == 55.6  # 13 promoters, 3 detractors of 18


async def test_a_query_the_database_refuses_is_not_reported_as_an_outage(
        settings: Settings) -> None:
    """The embedded engine refuses a `$group` over more documents than its limit (here 3):
    the client gets DATABASE_ERROR, not SERVICE_UNAVAILABLE, and the server stays ready."""
    if settings.mongodb_uri:
        pytest.skip("the limit belongs to the embedded engine")
    app = create_app(settings.model_copy(update={"evj_aggregation_limit": 3}))
    async with (app.router.lifespan_context(app),
                httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                  base_url="http://test") as http):
        deps: Deps = app.state.deps
        owners = [await add_owner(deps, f"Owner {i}", region="DE") for i in range(4)]
        gql = GraphQLClient(http, settings)
        for owner in owners:
            await answer(gql, owner, touchpoint="APP", npsScore=9)
        body = await gql.post(METRICS, {}, gql.bearer(Role.OEM_ANALYST, "a"))
        assert set(error_codes(body)) == {"DATABASE_ERROR"}
        assert body["errors"][0]["message"] == "The database could not run this request."
        assert (await http.get("/readyz")).status_code == 200


@pytest.mark.parametrize("interval", ["WEEK", "MONTH"])
async def test_app_use_per_period_counts_each_owner_once(
        gql: GraphQLClient, population: dict[str, list[Owner]], interval: str) -> None:
    """Every owner used the app now (4 of them twice: an APP_OPEN and their requests): the
    period holding now has 10 of 10 owners, the others none."""
    query = ("query($f: EngagementFilter) { engagementMetrics(filter: $f) { timeSeries(interval: "
             f"{interval}) {{ periodStart digitalEngagementRate }} }} }}")
    data = await gql.ok(query, {"f": None}, gql.bearer(Role.OEM_ANALYST, "a"))
    *before, last = data["engagementMetrics"]["timeSeries"]
    assert last["digitalEngagementRate"] == 100.0
    assert datetime.fromisoformat(last["periodStart"]) <= NOW
    assert before
    assert {p["digitalEngagementRate"] for p in before} == {0.0}


async def test_the_funnel_counts_owners_as_the_last_daily_sweep_left_them(
        gql: GraphQLClient, deps: Deps, population: dict[str, list[Owner]]) -> None:
    """Stages change only in the sweep, which also takes the census the funnel reads: an owner
    who arrives after it is counted from the next one."""
    newcomer = await add_owner(deps, "New", region="DE")
    await add_vehicle(deps, newcomer, model_id="volta-one")
    assert (await metrics(gql))["owners"] == 10
    await refresh_stages(deps)
    m = await metrics(gql)
    assert m["owners"] == 11
    assert {row["stage"]: row["owners"] for row in m["stageFunnel"]}["EARLY_OWNERSHIP"] == 11
    assert (await metrics(gql, regions=["DE"], models=["volta-one"]))["owners"] == 7
