"""Registering and listing owners: typed errors and pagination edges."""

from __future__ import annotations

from typing import Any

import pytest

from domain.access import Role
from services.deps import Deps
from tests.conftest import GraphQLClient, error_codes
from tests.factories import add_owner

REGISTER = """
mutation($input: RegisterOwnerInput!) {
  registerOwner(input: $input) {
    owner { id name email locale timezone }
    errors { __typename message field code }
  }
}"""
OWNERS_PAGE = """
query($first: Int, $after: String, $search: String) {
  owners(first: $first, after: $after, search: $search) {
    edges { cursor node { email } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}"""


async def _register(gql: GraphQLClient, **fields: Any) -> dict[str, Any]:
    data = {"name": "Ana Costa", "email": "ana@example.com", **fields}
    body = await gql.ok(REGISTER, {"input": data}, gql.bearer(Role.ADMIN, "admin"))
    payload: dict[str, Any] = body["registerOwner"]
    return payload


async def test_admin_registers_an_owner(gql: GraphQLClient) -> None:
    payload = await _register(gql, email="Ana.Costa@Example.COM", locale="pt-PT",
                              timezone="Europe/Lisbon")
    assert payload["errors"] == []
    assert payload["owner"]["email"] == "ana.costa@example.com"
    assert payload["owner"]["timezone"] == "Europe/Lisbon"


@pytest.mark.parametrize(("fields", "typename", "field"), [
    ({"email": "not-an-email"}, "InvalidEmail", "email"),
    ({"email": "a" * 250 + "@example.com"}, "InvalidEmail", "email"),
    ({"name": "   "}, "InvalidInput", "name"),
    ({"name": "x" * 101}, "InvalidInput", "name"),
    ({"locale": "english"}, "InvalidInput", "locale"),
    ({"timezone": "Mars/Olympus"}, "InvalidInput", "timezone"),
])
async def test_bad_owner_input_is_a_typed_error(
    gql: GraphQLClient, fields: dict[str, str], typename: str, field: str
) -> None:
    payload = await _register(gql, **fields)
    assert payload["owner"] is None
    [error] = payload["errors"]
    assert (error["__typename"], error["field"]) == (typename, field)


async def test_duplicate_email_is_refused_and_nothing_is_written(gql: GraphQLClient) -> None:
    assert (await _register(gql))["errors"] == []
    payload = await _register(gql, name="Another", email="ANA@example.com")
    assert [e["__typename"] for e in payload["errors"]] == ["DuplicateEmail"]
    listed = await gql.ok(OWNERS_PAGE, {"first": 10}, gql.bearer(Role.ADMIN, "admin"))
    assert len(listed["owners"]["edges"]) == 1


async def test_owner_cannot_register_owners(gql: GraphQLClient) -> None:
    body = await gql.post(REGISTER, {"input": {"name": "X", "email": "x@example.com"}},
                          gql.bearer(Role.OWNER, "someone"))
    assert error_codes(body) == ["FORBIDDEN"]


async def test_pages_walk_every_owner_once_in_order(gql: GraphQLClient, deps: Deps) -> None:
    emails = [(await add_owner(deps, email=f"o{i}@example.com")).email for i in range(7)]
    auth = gql.bearer(Role.ADMIN, "admin")
    seen: list[str] = []
    after = None
    for _ in range(10):
        page = (await gql.ok(OWNERS_PAGE, {"first": 3, "after": after}, auth))["owners"]
        seen += [edge["node"]["email"] for edge in page["edges"]]
        assert page["pageInfo"]["endCursor"] == page["edges"][-1]["cursor"]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert seen == emails


async def test_page_edges(gql: GraphQLClient, deps: Deps) -> None:
    for i in range(3):
        await add_owner(deps, email=f"o{i}@example.com")
    auth = gql.bearer(Role.ADMIN, "admin")
    empty = (await gql.ok(OWNERS_PAGE, {"first": 0}, auth))["owners"]
    assert empty["edges"] == []
    assert empty["pageInfo"] == {"hasNextPage": True, "hasPreviousPage": False,
                                 "startCursor": None, "endCursor": None}
    exact = (await gql.ok(OWNERS_PAGE, {"first": 3}, auth))["owners"]
    assert len(exact["edges"]) == 3
    assert exact["pageInfo"]["hasNextPage"] is False
    last = exact["pageInfo"]["endCursor"]
    past_end = (await gql.ok(OWNERS_PAGE, {"first": 3, "after": last}, auth))["owners"]
    assert past_end["edges"] == []
    assert past_end["pageInfo"]["hasNextPage"] is False


@pytest.mark.parametrize("variables", [
    {"first": 101}, {"first": -1}, {"after": "bm90LWEtY3Vyc29y"}, {"after": "%%%"},
])
async def test_bad_page_arguments_are_clear_errors(
    gql: GraphQLClient, variables: dict[str, Any]
) -> None:
    body = await gql.post(OWNERS_PAGE, variables, gql.bearer(Role.ADMIN, "admin"))
    assert error_codes(body) == ["BAD_USER_INPUT"]


async def test_search_matches_name_or_email_literally(gql: GraphQLClient, deps: Deps) -> None:
    await add_owner(deps, name="Greta Berg", email="greta@example.com")
    await add_owner(deps, name="Hiro Nakamura", email="hiro@example.org")
    await add_owner(deps, name="Dot.Star", email="dot@example.com")
    auth = gql.bearer(Role.ADMIN, "admin")

    async def emails(search: str) -> list[str]:
        page = (await gql.ok(OWNERS_PAGE, {"search": search}, auth))["owners"]
        return [edge["node"]["email"] for edge in page["edges"]]

    assert await emails("BERG") == ["greta@example.com"]
    assert await emails("example.org") == ["hiro@example.org"]
    assert await emails(".*") == []  # a regex would match everyone
