"""Schema-driven GraphQL fuzzing against the running app (in-process, httpx.ASGITransport).

Two generators, both from the introspected schema, for every root query and mutation:
- schemathesis writes documents with arbitrary literal arguments (input objects, lists, enums,
  hostile scalars) and nested selections, with their own arguments;
- a small generator of ours sends the arguments as variables (the path JSON clients use: lone
  surrogates, NaN, huge numbers, nulls and unknown fields reach the server that way).
Ids are drawn mostly from seeded data (the caller's own and another owner's) and strings often
from plausible values (VINs, locales, versions), so the checks behind the lookups are reached.
Each case is sent as ADMIN and as OWNER; every response must be below 500, with every error
carrying an `extensions.code` and none of them INTERNAL_SERVER_ERROR.

EVJ_FUZZ_GRAPHQL_EXAMPLES sets the examples per operation, role and generator (default 4);
EVJ_FUZZ_RANDOM=1 draws new cases on every run.
"""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any, cast

import graphql
import pytest
import schemathesis
from hypothesis import given
from hypothesis import strategies as st
from schemathesis.graphql import nodes
from starlette.applications import Starlette
from strawberry.relay import to_base64

from domain.access import Role
from resolvers.schema import schema as app_schema
from services.deps import Deps
from tests.conftest import GraphQLClient
from tests.factories import add_center, add_owner, add_vehicle, next_weekday_at, session_input
from tests.fuzz.strategies import (
    JSON_VALUES,
    dates,
    datetimes,
    floats,
    fuzz_settings,
    ints,
    ocpi_locations,
    texts,
    times,
)

pytestmark = pytest.mark.skipif(
    os.environ.get("EVJ_TEST_BACKEND") == "wire",
    reason="fuzzes the API layer; the in-process pass covers it, the wire pass would only "
           "repeat it more slowly")

EXAMPLES = int(os.environ.get("EVJ_FUZZ_GRAPHQL_EXAMPLES", "4"))
INTERNAL = "INTERNAL_SERVER_ERROR"

# --- scalars: seeded ids, hostile times and JSON ----------------------------------------------

ID_POOL: list[str] = ["0190a3c4d5e6f7a8b9c0d1e2"]  # filled by `seed` before any case is drawn


def _pooled(index: int) -> str:
    return ID_POOL[index % len(ID_POOL)]


IDS = st.one_of(
    st.integers(0, 10_000).map(_pooled), st.integers(0, 10_000).map(_pooled),
    texts(30), st.sampled_from([to_base64("Vehicle", "nope"), to_base64("Nope", "x"), "%%%",
                                to_base64("Vehicle", "0190a3c4d5e6f7a8b9c0d1e2")]))


def _iso(value: Any) -> str:
    return str(value.isoformat())


def _soon(minutes: int) -> str:
    return (datetime.now(UTC) + timedelta(minutes=minutes)).isoformat()


DATETIME_TEXTS = st.one_of(datetimes().map(_iso), st.integers(-60 * 24 * 60, 60 * 24 * 60).map(
    _soon), texts(40), st.sampled_from(["2026-02-30T10:00:00Z", "2026-06-01", "T10:00",
                                        "2026-06-01T10:00:00+25:00", "now"]))


def _json_ast(value: Any) -> graphql.ValueNode:
    if value is None:
        return graphql.NullValueNode()
    if isinstance(value, bool):
        return graphql.BooleanValueNode(value=value)
    if isinstance(value, int):
        return graphql.IntValueNode(value=str(value))
    if isinstance(value, float):
        # A literal has no NaN or infinity; send those as the strings JSON APIs see.
        return (graphql.FloatValueNode(value=repr(value)) if value == value and abs(value) != float(
            "inf") else graphql.StringValueNode(value=repr(value)))
    if isinstance(value, str):
        return graphql.StringValueNode(value=value.encode("utf-8", "replace").decode())
    if isinstance(value, list):
        return graphql.ListValueNode(values=tuple(_json_ast(item) for item in value))
    fields = tuple(graphql.ObjectFieldNode(name=graphql.NameNode(value=key), value=_json_ast(item))
                   for key, item in value.items() if _is_name(key))
    return graphql.ObjectValueNode(fields=fields)


def _literal(text: str) -> bool:
    """Only variables carry lone surrogates; in a document they are a syntax error."""
    return not any("\ud800" <= char <= "\udfff" for char in text)


def _is_name(key: str) -> bool:
    return key.isascii() and (key[:1].isalpha() or key[:1] == "_") and key.replace(
        "_", "a").isalnum()


VINS: list[str] = ["WVWZZZ1JZXW000001"]  # the seeded vehicles' VINs, filled by `seed`
PLAUSIBLE = st.sampled_from([
    "DELETE", "en", "de-DE", "Europe/Berlin", "UTC", "EUR", "DE", "2026.10.2", "2026.9", "1.0",
    "22:00", "06:00", "volta-one", "volta-city", "ana@example.com", "P0A80", "e-1", "ext-1",
    "Ionity", "fcm-token-0123456789", "Annual service done."])
STRINGS = st.one_of(PLAUSIBLE, st.integers(0, 99).map(lambda i: VINS[i % len(VINS)]),
                    texts(80))
INTS = st.one_of(st.integers(-5, 120), st.integers(-(2**31), 2**31 - 1))
LITERAL_FLOATS = st.one_of(st.floats(-200, 2000), st.floats(allow_nan=False,
                                                            allow_infinity=False))


def _register_scalars() -> None:
    scalar = schemathesis.graphql.scalar
    scalar("ID", IDS.filter(_literal).map(nodes.String))
    scalar("String", st.one_of(PLAUSIBLE, st.integers(0, 99).map(lambda i: VINS[i % len(VINS)]),
                               texts(80, surrogates=False)).map(nodes.String))
    scalar("Int", INTS.map(nodes.Int))
    scalar("Float", LITERAL_FLOATS.map(nodes.Float))
    scalar("DateTime", DATETIME_TEXTS.filter(_literal).map(nodes.String))
    scalar("Date", (dates().map(_iso) | texts(12, surrogates=False)).map(nodes.String))
    scalar("Time", (times().map(_iso) | texts(12, surrogates=False)).map(nodes.String))
    scalar("JSON", (ocpi_locations() | JSON_VALUES).map(_json_ast))


_register_scalars()


def _operations() -> list[Any]:
    introspection = app_schema.execute_sync(graphql.get_introspection_query())
    assert introspection.errors is None, introspection.errors
    assert introspection.data is not None
    loaded = schemathesis.graphql.from_dict(introspection.data)
    operations = [cast(Any, result).ok() for result in loaded.get_all_operations()]
    # Subscriptions run over WebSockets; their own tests cover them.
    return [op for op in operations if not op.label.startswith("Subscription.")]


OPERATIONS = _operations()

# --- seeded data ------------------------------------------------------------------------------


def gid(type_name: str, node_id: str) -> str:
    return to_base64(type_name, node_id)


async def seed(deps: Deps, gql: GraphQLClient) -> str:
    """Two owners with vehicles, a center, a visit, a session, a release and a campaign, a
    station: returns the first owner's id (the OWNER the cases are sent as)."""
    admin = gql.bearer(Role.ADMIN, "admin-1")
    ana, bob = await add_owner(deps), await add_owner(deps, name="Bob", region="DE")
    mine, theirs = await add_vehicle(deps, ana), await add_vehicle(deps, bob)
    center = await add_center(deps)
    await gql.ok("mutation($i: ChargingSessionInput!) { recordChargingSession(input: $i) "
                 "{ session { id } errors { code } } }", {"i": session_input(mine)}, admin)
    booked = await gql.ok(
        "mutation($i: BookServiceAppointmentInput!) { bookServiceAppointment(input: $i) "
        "{ appointment { id } errors { code } } }",
        {"i": {"vehicleId": gid("Vehicle", mine.id), "centerId": gid("ServiceCenter", center.id),
               "start": next_weekday_at(10).isoformat(), "serviceTypes": ["TYRE_ROTATION"]}},
        admin)
    release = await gql.ok(
        "mutation($i: CreateSoftwareReleaseInput!) { createSoftwareRelease(input: $i) "
        "{ release { id } errors { code } } }",
        {"i": {"version": "2026.10.2", "notes": [{"locale": "en", "text": "Fixes."}],
               "targetModels": ["volta-one"], "criticality": "FEATURE", "sizeMb": 500,
               "estimatedInstallMinutes": 30}}, admin)
    release_id = release["createSoftwareRelease"]["release"]["id"]
    campaign = await gql.ok(
        "mutation($i: CreateUpdateCampaignInput!) { createUpdateCampaign(input: $i) "
        "{ campaign { id } errors { code } } }", {"i": {"releaseId": release_id}}, admin)
    campaign_id = campaign["createUpdateCampaign"]["campaign"]["id"]
    await gql.ok("mutation($id: ID!) { startUpdateCampaign(id: $id) { errors { code } } }",
                 {"id": campaign_id}, admin)
    await gql.ok("mutation($l: [JSON!]!) { importChargingStations(locations: $l) "
                 "{ imported } }", {"l": [OCPI_LOCATION]}, admin)
    ID_POOL[:] = [gid("Owner", ana.id), gid("Owner", bob.id), gid("Vehicle", mine.id),
                  gid("Vehicle", theirs.id), gid("ServiceCenter", center.id),
                  booked["bookServiceAppointment"]["appointment"]["id"], release_id,
                  campaign_id, gid("ChargingStation", "DE-ION-LOC1"), ana.id, mine.id]
    return ana.id


OCPI_LOCATION = {
    "id": "LOC1", "country_code": "DE", "party_id": "ION", "name": "Ionity Berlin",
    "address": "Street 1", "city": "Berlin", "country": "DEU",
    "coordinates": {"latitude": "52.52", "longitude": "13.40"},
    "last_updated": "2026-01-01T00:00:00Z", "operator": {"name": "Ionity"},
    "evses": [{"status": "AVAILABLE", "connectors": [
        {"standard": "IEC_62196_T2_COMBO", "format": "CABLE", "power_type": "DC",
         "max_electric_power": 350000}]}]}

# --- arguments as variables -------------------------------------------------------------------

GRAPHQL_SCHEMA: graphql.GraphQLSchema = app_schema._schema
VARIABLE_SCALARS: dict[str, st.SearchStrategy[Any]] = {
    "String": STRINGS, "ID": IDS, "Int": INTS | ints(), "Float": floats(),
    "Boolean": st.booleans(), "DateTime": DATETIME_TEXTS, "Date": dates().map(_iso) | texts(12),
    "Time": times().map(_iso) | texts(12), "JSON": ocpi_locations() | JSON_VALUES,
}


def value_of(type_: graphql.GraphQLInputType, depth: int = 0) -> st.SearchStrategy[Any]:
    """Values of a GraphQL input type as JSON; now and then a wrong kind of value or null."""
    if isinstance(type_, graphql.GraphQLNonNull):
        return value_of(type_.of_type, depth)
    wrong: st.SearchStrategy[Any] = st.sampled_from([None, "", 0, [], {}, True])
    if isinstance(type_, graphql.GraphQLList):
        return st.lists(value_of(type_.of_type, depth + 1), max_size=3) | wrong
    if isinstance(type_, graphql.GraphQLEnumType):
        return st.sampled_from(sorted(type_.values)) | texts(12)
    if isinstance(type_, graphql.GraphQLInputObjectType):
        return _object_of(type_, depth) | wrong
    assert isinstance(type_, graphql.GraphQLScalarType), type_
    return VARIABLE_SCALARS[type_.name] | wrong


def _object_of(type_: graphql.GraphQLInputObjectType, depth: int) -> st.SearchStrategy[Any]:
    fields = type_.fields
    required = {name: value_of(f.type, depth + 1) for name, f in fields.items()
                if graphql.is_required_input_field(f)}
    optional = {name: value_of(f.type, depth + 1) for name, f in fields.items()
                if name not in required and depth < 3}
    extra = st.dictionaries(st.sampled_from(["unknownField", "$where", "__proto__"]),
                            JSON_VALUES, max_size=1)
    return st.builds(lambda known, more: known | more,
                     st.fixed_dictionaries(required, optional=optional), extra)


def variables_strategy(kind: str, name: str) -> st.SearchStrategy[dict[str, Any]]:
    """Documents calling one root field with every argument as a variable."""
    root = GRAPHQL_SCHEMA.query_type if kind == "query" else GRAPHQL_SCHEMA.mutation_type
    assert root is not None
    field = root.fields[name]
    declared = ", ".join(f"${arg}: {spec.type}" for arg, spec in field.args.items())
    passed = ", ".join(f"{arg}: ${arg}" for arg in field.args)
    composite = graphql.is_composite_type(graphql.get_named_type(field.type))
    call = f"{name}({passed})" if passed else name
    document = (f"{kind} Fuzz{'(' + declared + ')' if declared else ''} "
                f"{{ {call}{' { __typename }' if composite else ''} }}")
    values = st.fixed_dictionaries({arg: value_of(spec.type) for arg, spec in field.args.items()})
    return values.map(lambda variables: {"query": document, "variables": variables})


def _root_fields() -> list[tuple[str, str]]:
    found = []
    for kind, root in (("query", GRAPHQL_SCHEMA.query_type),
                       ("mutation", GRAPHQL_SCHEMA.mutation_type)):
        assert root is not None
        found += [(kind, name) for name, field in root.fields.items() if field.args]
    return found


ROOT_FIELDS_WITH_ARGUMENTS = _root_fields()

# --- the oracle -------------------------------------------------------------------------------

# Errors the oracle tolerates without a code, and operations it skips: none now (the bugs the
# fuzzers found are fixed and pinned by test_known_bug_is_answered_cleanly below).
KNOWN_UNCODED: tuple[str, ...] = ()
KNOWN_BROKEN: tuple[str, ...] = ()


def problems(status: int, text: str, known: tuple[str, ...] = KNOWN_UNCODED) -> list[str]:
    """What is wrong with a response: a server error, an error without a code, a masked one."""
    if status >= 500:
        return [f"HTTP {status}: {text[:300]}"]
    try:
        body = json.loads(text)
    except ValueError:
        return [f"HTTP {status} with a body that is not JSON: {text[:300]}"]
    found = []
    for error in body.get("errors") or []:
        code = (error.get("extensions") or {}).get("code")
        if not code and not str(error.get("message", "")).startswith(known or ("\0",)):
            found.append(f"error without extensions.code: {error}")
        elif code == INTERNAL or error.get("message") == "Internal server error":
            found.append(f"{code} at {error.get('path')}: {error.get('message')}")
    return found


Payload = dict[str, Any]
Send = Callable[[Payload], tuple[int, str]]


def fuzz(cases: st.SearchStrategy[Payload], send: Send, examples: int) -> str | None:
    """Sends the cases; the smallest failing one with what was wrong, or None."""
    failures: list[str] = []

    @fuzz_settings(examples)
    @given(cases)
    def check(payload: Payload) -> None:
        status, text = send(payload)
        found = problems(status, text)
        if found:
            failures.append(json.dumps(payload)[:2000] + "\n  -> " + "\n  -> ".join(found))
        assert not found, found

    try:
        check()
    except AssertionError:
        return failures[-1] if failures else "failed"
    return None


def all_cases() -> dict[str, st.SearchStrategy[Payload]]:
    cases = {f"{op.label} (literals)": op.as_strategy().map(lambda case: {"query": case.body})
             for op in OPERATIONS}
    cases |= {f"{kind} {name} (variables)": variables_strategy(kind, name)
              for kind, name in ROOT_FIELDS_WITH_ARGUMENTS}
    # Erasing the seeded owner would leave little to find for the operations after it.
    ordered = sorted(cases, key=lambda label: "eleteMyAccount" in label)
    return {label: cases[label] for label in ordered if label not in KNOWN_BROKEN}


SENT: dict[Role, int] = {}


@pytest.mark.parametrize("role", [Role.ADMIN, Role.OWNER])
async def test_no_operation_fails_with_a_server_error(app: Starlette, gql: GraphQLClient,
                                                      role: Role) -> None:
    owner_id = await seed(app.state.deps, gql)
    subject = owner_id if role is Role.OWNER else "admin-1"
    headers = {"Authorization": gql.bearer(role, subject), "Content-Type": "application/json"}
    loop = asyncio.get_running_loop()
    SENT[role] = 0

    async def post(payload: Payload) -> tuple[int, str]:
        # ASCII JSON: lone surrogates travel as \ud800 escapes, NaN as NaN, as clients may send.
        response = await gql.http.post("/graphql", content=json.dumps(payload).encode(),
                                       headers=headers)
        SENT[role] += 1
        return response.status_code, response.text

    def send(payload: Payload) -> tuple[int, str]:
        return asyncio.run_coroutine_threadsafe(post(payload), loop).result(timeout=60)

    def run_all() -> dict[str, str]:
        results = {label: fuzz(cases, send, EXAMPLES) for label, cases in all_cases().items()}
        return {label: failure for label, failure in results.items() if failure}

    failed = await asyncio.to_thread(run_all)
    assert not failed, "\n\n".join(f"{label}:\n{failure}" for label, failure in failed.items())
    assert SENT[role] >= len(all_cases()) * min(EXAMPLES, 2)
    print(f"{role}: {SENT[role]} requests over {len(all_cases())} operations")


def test_every_root_operation_is_fuzzed() -> None:
    labels = {op.label for op in OPERATIONS}
    assert {"Query.me", "Query.node", "Mutation.importChargingStations",
            "Mutation.recordChargingSessions"} <= labels
    assert len(labels) >= 40
    assert ("mutation", "ingestTelemetry") in ROOT_FIELDS_WITH_ARGUMENTS


def test_the_oracle_flags_masked_errors_and_missing_codes() -> None:
    masked = {"errors": [{"message": "Internal server error",
                          "extensions": {"code": INTERNAL}}]}
    assert problems(200, json.dumps(masked))
    assert problems(200, json.dumps({"errors": [{"message": "x"}]}))
    assert problems(502, "")
    assert not problems(200, json.dumps({"errors": [{"message": "no",
                                                     "extensions": {"code": "NOT_FOUND"}}]}))


# --- known bugs: each is answered cleanly once fixed (then drop the marker) -------------------

MISSING = "0190a3c4d5e6f7a8b9c0d1e2"
SESSION = "mutation($i: ChargingSessionInput!) { recordChargingSession(input: $i) { __typename } }"
IMPORT = "mutation($l: [JSON!]!) { importChargingStations(locations: $l) { imported } }"
EDGE_SESSION = {"externalId": "edge", "startedAt": "0001-01-01T00:00:00+00:01",
                "endedAt": "0001-01-01T04:00:00", "locationType": "HOME",
                "energyDeliveredKwh": 1, "socStartPercent": 10, "socEndPercent": 20}
INFINITE_POWER = {"status": "AVAILABLE", "connectors": [
    {"standard": "IEC_62196_T2_COMBO", "format": "CABLE", "power_type": "DC",
     "max_voltage": 1e200, "max_amperage": 1e200}]}
# name: (documents with variables, sent in turn; "{vehicle}"/"{center}" name seeded ids)
KNOWN_BUGS: dict[str, list[tuple[str, dict[str, Any]]]] = {
    "node of a vehicle that does not exist (500)": [
        ("query($id: ID!) { node(id: $id) { __typename } }",
         {"id": gid("Vehicle", MISSING)})],
    "node of an owner that does not exist (500)": [
        ("query($id: ID!) { node(id: $id) { __typename } }", {"id": gid("Owner", MISSING)})],
    "node with an id that is not a global id (no code)": [
        ("query($id: ID!) { node(id: $id) { __typename } }", {"id": MISSING})],
    "a variable of the wrong type (no code)": [
        ("query($s: String) { owners(search: $s) { __typename } }", {"s": 0})],
    "recordChargingSession starting at the start of the calendar (500)": [
        (SESSION, {"i": EDGE_SESSION | {"vehicleId": "{vehicle}"}})],
    "availableServiceSlots at the end of the calendar (500)": [
        ("query($c: ID!) { availableServiceSlots(centerId: $c, from: \"9999-12-30T00:00:00Z\", "
         "to: \"9999-12-31T23:59:59Z\", serviceTypes: [TYRE_ROTATION]) { start } }",
         {"c": "{center}"})],
    "engagementMetrics to the start of the calendar (500)": [
        ("{ engagementMetrics(filter: {to: \"0001-01-02T00:00:00Z\"}) { owners } }", {})],
    "Vehicle.chargingSessions from the start of the calendar (500)": [
        ("query($v: ID!) { node(id: $v) { ... on Vehicle { chargingSessions("
         "from: \"0001-01-01T00:00:00+01:00\") { edges { node { id } } } } } }",
         {"v": "{vehicle}"})],
    "recordTouchpoint at the end of the calendar (500)": [
        ("mutation { recordTouchpoint(input: {eventId: \"e\", kind: APP_OPEN, "
         "at: \"9999-12-31T23:59:59-01:00\"}) { __typename } }", {})],
    "importChargingStations with last_updated at the start of the calendar (500)": [
        (IMPORT, {"l": [OCPI_LOCATION | {"last_updated": "0001-01-01T00:00:00+01:00"}]})],
    "importChargingStations with an integer beyond float range (500)": [
        (IMPORT, {"l": [OCPI_LOCATION | {"coordinates": {"latitude": 10**400,
                                                        "longitude": "13.4"}}]})],
    "chargingStations after a station with infinite power was imported (no code)": [
        (IMPORT, {"l": [OCPI_LOCATION | {"id": "INF", "evses": [INFINITE_POWER]}]}),
        ("{ chargingStations(near: {lat: 52.52, lng: 13.40}) { edges { node { "
         "connectors { maxPowerKw } } } } }", {})],
}


@pytest.mark.parametrize("name", sorted(KNOWN_BUGS))
async def test_known_bug_is_answered_cleanly(app: Starlette, gql: GraphQLClient,
                                             name: str) -> None:
    owner_id = await seed(app.state.deps, gql)
    vehicle, center = ID_POOL[2], ID_POOL[4]
    role = Role.OWNER if "Touchpoint" in name else Role.ADMIN
    headers = {"Authorization": gql.bearer(role, owner_id if role is Role.OWNER else "admin-1"),
               "Content-Type": "application/json"}
    found = []
    for document, variables in KNOWN_BUGS[name]:
        text = json.dumps({"query": document, "variables": variables})
        text = text.replace('"{vehicle}"', json.dumps(vehicle)).replace(
            '"{center}"', json.dumps(center))
        response = await gql.http.post("/graphql", content=text.encode(), headers=headers)
        found += problems(response.status_code, response.text, known=())
    assert not found, found
