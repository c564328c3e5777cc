"""Identifiers: 24 lower-case hex characters, the creation millisecond first."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.ids import looks_like_id, new_id

UNIX_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
HEX = "0123456789abcdef"
ONE_MS = timedelta(milliseconds=1)

# Any instant after 1970 whose millisecond count fits the 12 hex characters of the prefix.
instants = st.datetimes(
    min_value=datetime(1970, 1, 2), max_value=datetime(2200, 1, 1), timezones=st.just(UTC)
)
# The era the service runs in (the exact-millisecond test below covers the rest).
current_era = st.datetimes(
    min_value=datetime(2005, 1, 1), max_value=datetime(2037, 12, 31), timezones=st.just(UTC)
)


def exact_millis(at: datetime) -> int:
    """Milliseconds since 1970 in integer arithmetic, free of float rounding."""
    return (at - UNIX_EPOCH) // ONE_MS


@given(instants, st.integers(min_value=0, max_value=2**32))
def test_new_id_is_24_lower_case_hex_characters(at: datetime, seed: int) -> None:
    made = new_id(at, random.Random(seed))
    assert len(made) == 24
    assert set(made) <= set(HEX)
    assert looks_like_id(made)


@given(instants)
def test_new_id_without_rng_is_also_well_formed(at: datetime) -> None:
    assert looks_like_id(new_id(at))


@given(current_era)
def test_id_prefix_is_the_creation_millisecond(at: datetime) -> None:
    assert int(new_id(at)[:12], 16) == exact_millis(at)


@given(current_era, current_era, st.integers(), st.integers())
def test_ids_from_different_milliseconds_sort_in_time_order(
    first: datetime, second: datetime, seed_a: int, seed_b: int
) -> None:
    earlier, later = sorted((first, second))
    if exact_millis(earlier) == exact_millis(later):
        # Within one millisecond the random tail decides; nothing to promise.
        later = earlier + ONE_MS
    assert new_id(earlier, random.Random(seed_a)) < new_id(later, random.Random(seed_b))


@given(instants, instants)
def test_id_prefix_never_runs_backwards_in_time(first: datetime, second: datetime) -> None:
    earlier, later = sorted((first, second))
    assert new_id(earlier)[:12] <= new_id(later)[:12]


@pytest.mark.parametrize(
    "at",
    [
        datetime(2038, 1, 19, 3, 14, 8, 2000, tzinfo=UTC),
        datetime(2004, 10, 31, 3, 49, 22, 695000, tzinfo=UTC),
    ],
    ids=["2038-01-19T03:14:08.002Z", "2004-10-31T03:49:22.695Z"],
)
def test_id_prefix_is_the_exact_millisecond_outside_the_current_era(at: datetime) -> None:
    assert new_id(at)[:12] == f"{exact_millis(at):012x}"


def test_same_time_and_rng_state_give_the_same_id() -> None:
    at = datetime(2026, 3, 1, 8, 30, tzinfo=UTC)
    assert new_id(at, random.Random(42)) == new_id(at, random.Random(42))


def test_ids_made_in_the_same_millisecond_differ_in_their_tail() -> None:
    at = datetime(2026, 3, 1, 8, 30, tzinfo=UTC)
    made = {new_id(at) for _ in range(50)}
    assert len(made) == 50
    assert {value[:12] for value in made} == {f"{exact_millis(at):012x}"}


@given(st.text(alphabet=HEX, min_size=24, max_size=24))
def test_any_24_lower_case_hex_characters_look_like_an_id(value: str) -> None:
    assert looks_like_id(value)


@given(st.text(alphabet=HEX, max_size=40).filter(lambda value: len(value) != 24))
def test_hex_of_another_length_does_not_look_like_an_id(value: str) -> None:
    assert not looks_like_id(value)


@given(
    st.text(alphabet=HEX, min_size=23, max_size=23),
    st.characters().filter(lambda char: char not in HEX),
    st.integers(min_value=0, max_value=23),
)
def test_a_single_non_hex_character_spoils_an_id(stem: str, intruder: str, at: int) -> None:
    assert not looks_like_id(stem[:at] + intruder + stem[at:])


def test_upper_case_hex_does_not_look_like_an_id() -> None:
    assert not looks_like_id("0193A1B2C3D4E5F60718293A")
