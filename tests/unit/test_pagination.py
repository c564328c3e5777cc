"""Keyset pagination: opaque cursors, page-size limits, and the `first + 1` next-page probe."""

from __future__ import annotations

import base64
import random
import re
import string
from datetime import UTC, datetime

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from domain.errors import InvalidInput
from domain.ids import new_id
from domain.pagination import (
    DEFAULT_PAGE_SIZE,
    MAX_PAGE_SIZE,
    decode_cursor,
    encode_cursor,
    page_from_rows,
    page_request,
)

ID = "019ab1c2d3e4f5a6b7c8d9e0"

ids = st.builds(
    lambda at, seed: new_id(at, random.Random(seed)),
    st.datetimes(min_value=datetime(1970, 1, 2), max_value=datetime(2200, 1, 1),
                 timezones=st.just(UTC)),
    st.integers(),
)


def b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode()


@given(ids)
def test_a_cursor_decodes_to_the_id_it_was_made_from(key: str) -> None:
    assert decode_cursor(encode_cursor(key)) == key


@given(ids)
def test_a_cursor_is_url_safe_and_does_not_show_the_id(key: str) -> None:
    cursor = encode_cursor(key)
    assert set(cursor) <= set(string.ascii_letters + string.digits + "-_=")
    assert key not in cursor


@given(st.text())
def test_arbitrary_text_is_refused_as_a_cursor(garbage: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        decode_cursor(garbage)
    assert refused.value.field == "after"


@given(st.binary())
def test_base64_of_anything_but_a_prefixed_id_is_refused_as_a_cursor(raw: bytes) -> None:
    assume(not re.fullmatch(rb"c1:[0-9a-f]{24}", raw))
    with pytest.raises(InvalidInput):
        decode_cursor(b64(raw))


@pytest.mark.parametrize(
    "cursor",
    [
        "",
        ID,  # a bare id is not a cursor
        b64(f"c2:{ID}".encode()),  # another cursor version
        b64(ID.encode()),  # no prefix at all
        b64(f"c1:{ID.upper()}".encode()),  # not an id we make
        b64(f"c1:{ID}0".encode()),  # 25 characters
        encode_cursor("not-an-id"),
        b64(b"c1:\xff\xfe"),  # not UTF-8
        "!!!!",
        "YQ",  # base64 with its padding missing
        "\ud800",  # a lone surrogate cannot even be encoded
    ],
)
def test_malformed_cursors_are_refused(cursor: str) -> None:
    with pytest.raises(InvalidInput, match="not a cursor") as refused:
        decode_cursor(cursor)
    assert refused.value.field == "after"


def test_page_size_defaults_to_twenty() -> None:
    assert DEFAULT_PAGE_SIZE == 20
    assert page_request(None, None).first == 20


@pytest.mark.parametrize("first", [0, 1, 20, 100])
def test_page_sizes_from_0_to_100_are_accepted(first: int) -> None:
    request = page_request(first, None)
    assert request.first == first
    assert request.after is None


@given(st.integers(min_value=0, max_value=MAX_PAGE_SIZE))
def test_every_page_size_within_the_limit_is_kept(first: int) -> None:
    assert page_request(first, None).first == first


@pytest.mark.parametrize("first", [-1, 101, -1000, 10**9])
def test_page_sizes_outside_0_to_100_are_refused(first: int) -> None:
    with pytest.raises(InvalidInput, match="between 0 and 100") as refused:
        page_request(first, None)
    assert refused.value.field == "first"


@given(st.integers().filter(lambda first: not 0 <= first <= MAX_PAGE_SIZE))
def test_every_page_size_beyond_the_limit_is_refused(first: int) -> None:
    with pytest.raises(InvalidInput):
        page_request(first, None)


def test_page_request_decodes_the_after_cursor() -> None:
    assert page_request(5, encode_cursor(ID)).after == ID


def test_page_request_with_an_empty_after_starts_at_the_beginning() -> None:
    assert page_request(5, "").after is None


def test_page_request_refuses_a_bad_after_cursor() -> None:
    with pytest.raises(InvalidInput) as refused:
        page_request(5, "garbage")
    assert refused.value.field == "after"


def test_page_request_checks_the_size_before_the_cursor() -> None:
    with pytest.raises(InvalidInput) as refused:
        page_request(101, "garbage")
    assert refused.value.field == "first"


def test_the_extra_row_means_there_is_a_next_page() -> None:
    page = page_from_rows(["a", "b", "c"], 2)
    assert page.items == ["a", "b"]
    assert page.has_next


def test_as_many_rows_as_asked_means_this_is_the_last_page() -> None:
    page = page_from_rows(["a", "b"], 2)
    assert page.items == ["a", "b"]
    assert not page.has_next


def test_fewer_rows_than_asked_means_this_is_the_last_page() -> None:
    page = page_from_rows(["a"], 2)
    assert page.items == ["a"]
    assert not page.has_next


def test_a_zero_size_page_only_says_whether_anything_exists() -> None:
    probe = page_from_rows(["a"], 0)
    assert probe.items == []
    assert probe.has_next
    assert not page_from_rows([], 0).has_next


@given(st.lists(st.integers(), max_size=MAX_PAGE_SIZE + 1),
       st.integers(min_value=0, max_value=MAX_PAGE_SIZE))
def test_a_page_is_the_leading_rows_and_has_next_iff_rows_were_left_over(
    rows: list[int], first: int
) -> None:
    page = page_from_rows(rows, first)
    assert page.items == rows[: len(page.items)]
    assert len(page.items) == min(first, len(rows))
    assert page.has_next == (len(rows) > first)
