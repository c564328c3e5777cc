"""Hostile values for the fuzzers: huge, unicode, control characters, lone surrogates,
non-finite and extreme numbers, and datetimes from year 1 to 9999, naive or with any offset.

Runs are reproducible (`derandomize`); EVJ_FUZZ_EXAMPLES scales how many examples each test
draws and EVJ_FUZZ_RANDOM=1 draws new ones on every run (failures are then saved by Hypothesis).
"""

from __future__ import annotations

import os
from datetime import UTC, date, datetime, time, timedelta, timezone, tzinfo
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

EXAMPLES = int(os.environ.get("EVJ_FUZZ_EXAMPLES", "200"))
RANDOM = os.environ.get("EVJ_FUZZ_RANDOM") == "1"


def fuzz_settings(examples: int = EXAMPLES) -> settings:
    checks = [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much,
              HealthCheck.function_scoped_fixture]
    if RANDOM:  # failures found are saved and replayed first next time
        return settings(max_examples=examples, deadline=None, suppress_health_check=checks)
    return settings(max_examples=examples, derandomize=True, database=None, deadline=None,
                    suppress_health_check=checks)


NOW = datetime(2026, 6, 15, 12, 30, tzinfo=UTC)

# --- text -------------------------------------------------------------------------------------

_ODD_CHARS = st.one_of(
    st.characters(),  # any code point Hypothesis likes, control characters included
    st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF),  # lone surrogates (JSON \ud800)
    st.sampled_from(["\x00", "\n", "\t", "\u200b", "\u202e", "\ufeff", "\u00df", "\ufb01",
                     "\u0130", "\u0663", "\U0001d7d9", "\U0001f697", "$", ".", "{", "\\", "'",
                     '"']),
)


_LITERAL_CHARS = st.characters(exclude_categories=["Cs"])


def texts(max_size: int = 60, *, surrogates: bool = True) -> st.SearchStrategy[str]:
    """Short odd strings, blanks, and now and then a huge one. A GraphQL document cannot hold
    a lone surrogate (only variables can): `surrogates=False` leaves them out."""
    return st.one_of(
        st.text(_ODD_CHARS if surrogates else _LITERAL_CHARS, max_size=max_size),
        st.text(max_size=max_size),
        st.sampled_from(["", " ", "\t\n", "$where", "{\"$gt\": \"\"}", "null", "NaN", "-0",
                         "1e309", "0" * 30, "9" * 400]),
        st.integers(min_value=1, max_value=12).map(lambda k: "x" * (10 ** (k % 6) + k)),
    )


def maybe[T](strategy: st.SearchStrategy[T]) -> st.SearchStrategy[T | None]:
    return st.none() | strategy


def near_valid(valid: st.SearchStrategy[str], max_size: int = 60) -> st.SearchStrategy[str]:
    """Valid values, valid values with odd edits, and hostile text."""
    edited = st.tuples(valid, texts(8), st.sampled_from(["prefix", "suffix", "upper", "lower",
                                                         "pad"])).map(_edit)
    return st.one_of(valid, edited, texts(max_size))


def _edit(args: tuple[str, str, str]) -> str:
    value, noise, how = args
    return {"prefix": noise + value, "suffix": value + noise, "upper": value.upper(),
            "lower": value.lower(), "pad": f"  {value}\n"}[how]


# --- numbers ----------------------------------------------------------------------------------

def floats() -> st.SearchStrategy[float]:
    """Every float: NaN, infinities, -0.0, subnormals, huge; and plain in-range ones."""
    return st.one_of(st.floats(), st.floats(min_value=-200, max_value=2000),
                     st.sampled_from([0.0, -0.0, 1e-320, 1e308, -1e308, float("nan"),
                                      float("inf"), float("-inf"), 100.0, 100.00000000000001]))


def ints() -> st.SearchStrategy[int]:
    return st.one_of(st.integers(), st.integers(min_value=-5, max_value=120),
                     st.sampled_from([0, -1, 2**31 - 1, -(2**31), 2**53 + 1, 2**63, 10**400]))


# --- times ------------------------------------------------------------------------------------

def offsets() -> st.SearchStrategy[tzinfo | None]:
    fixed = st.integers(min_value=-(24 * 60 - 1), max_value=24 * 60 - 1).map(
        lambda m: timezone(timedelta(minutes=m)))
    return st.one_of(st.none(), st.just(UTC), fixed, st.timezones())


# The fuzzers draw datetimes right up to year 1 and year 9999 (they once overflowed; fixed).
AVOID_CALENDAR_EDGES = False
_EDGE = timedelta(days=366) if AVOID_CALENDAR_EDGES else timedelta(0)
FIRST = datetime.min + _EDGE
LAST = datetime.max - _EDGE


def datetimes() -> st.SearchStrategy[datetime]:
    """Any time from year 1 to 9999, naive or with any offset; mostly near NOW."""
    around_now = st.timedeltas(min_value=timedelta(days=-60), max_value=timedelta(days=60)).map(
        lambda d: (NOW + d).replace(tzinfo=None))
    naive = st.one_of(st.datetimes(FIRST, LAST), around_now,
                      st.sampled_from([FIRST, LAST, datetime(1970, 1, 1), datetime(2009, 12, 31)]))
    return st.builds(lambda when, zone: when.replace(tzinfo=zone), naive, offsets())


def dates() -> st.SearchStrategy[date]:
    return st.dates(FIRST.date(), LAST.date())


def times() -> st.SearchStrategy[time]:
    return st.times()


def clock_texts() -> st.SearchStrategy[str]:
    valid = st.builds(lambda h, m: f"{h:02d}:{m:02d}", st.integers(0, 23), st.integers(0, 59))
    odd = ["24:00", "23:60", "7:00", "07:00:00", "\uff11\uff12:\uff10\uff10", "1\u0663:0\u0660",
           "-1:00"]
    return near_valid(valid, 12) | st.sampled_from(odd)


# --- records: mostly valid, with a few fields hostile -----------------------------------------

Fields = dict[str, st.SearchStrategy[Any]]


@st.composite
def records(draw: st.DrawFn, valid: Fields, hostile: Fields) -> dict[str, Any]:
    """A valid record with up to three fields (now and then all of them) replaced by hostile
    values, so the checks behind the first field are reached too."""
    values = {name: draw(strategy) for name, strategy in valid.items()}
    names = draw(st.permutations(sorted(hostile)))
    count = draw(st.sampled_from([0, 1, 1, 1, 2, 2, 3, len(names)]))
    for name in names[:count]:
        values[name] = draw(hostile[name])
    return values


# --- JSON and OCPI locations (importChargingStations) -----------------------------------------

# Integers far beyond float range (they once overflowed the OCPI parser; fixed).
JSON_INTS = st.integers(-(2**1400), 2**1400) | st.sampled_from([0, -1, 2**53 + 1, 2**63])
JSON_LEAVES = st.one_of(st.none(), st.booleans(), JSON_INTS, floats(), texts(40))
JSON_VALUES = st.recursive(JSON_LEAVES, lambda inner: st.lists(inner, max_size=4)
                           | st.dictionaries(texts(12), inner, max_size=4), max_leaves=12)


def ocpi_connector() -> st.SearchStrategy[dict[str, Any]]:
    power = st.one_of(st.fixed_dictionaries({"max_electric_power": st.integers(1000, 350_000)}),
                      st.fixed_dictionaries({"max_voltage": st.integers(100, 920),
                                             "max_amperage": st.integers(6, 500)}))
    hostile = {"standard": JSON_LEAVES, "format": JSON_LEAVES,
               "power_type": texts(12) | JSON_LEAVES, "max_electric_power": JSON_LEAVES,
               "max_voltage": JSON_LEAVES, "max_amperage": JSON_LEAVES}
    return st.tuples(records({"standard": st.just("IEC_62196_T2_COMBO"),
                              "format": st.just("CABLE"),
                              "power_type": st.sampled_from(["AC_1_PHASE", "AC_3_PHASE", "DC"])},
                             hostile), power).map(lambda pair: pair[1] | pair[0])


def ocpi_locations() -> st.SearchStrategy[Any]:
    coordinates = records({"latitude": st.floats(-90, 90).map(str),
                           "longitude": st.floats(-180, 180).map(str)},
                          {"latitude": JSON_LEAVES, "longitude": JSON_LEAVES})
    evse = records({"status": st.sampled_from(["AVAILABLE", "REMOVED"]),
                    "connectors": st.lists(ocpi_connector(), max_size=3)},
                   {"status": JSON_LEAVES, "connectors": JSON_VALUES})
    location = records(
        {"id": st.just("LOC1"), "country_code": st.just("DE"), "party_id": st.just("ION"),
         "coordinates": coordinates, "address": st.just("Street 1"), "city": st.just("Berlin"),
         "country": st.just("DEU"), "name": maybe(st.just("Hub")),
         "operator": maybe(st.just({"name": "Ionity"})),
         "evses": st.lists(evse, max_size=3),
         "last_updated": st.datetimes(timezones=offsets()).map(datetime.isoformat)},
        {"id": JSON_LEAVES, "country_code": JSON_LEAVES, "party_id": JSON_LEAVES,
         "coordinates": JSON_VALUES, "address": JSON_LEAVES, "city": JSON_LEAVES,
         "country": JSON_LEAVES, "name": JSON_LEAVES, "operator": JSON_VALUES,
         "evses": JSON_VALUES, "last_updated": datetimes().map(datetime.isoformat) | JSON_LEAVES})
    return location | JSON_VALUES
