"""Field rules shared by every input: bounded strings, email, locale, timezone, ranges, UTC."""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain import validation
from domain.errors import InvalidEmail, InvalidInput

# --- bounded strings ------------------------------------------------------------------------


def test_bounded_strips_surrounding_whitespace() -> None:
    assert validation.bounded("  Ana Costa \n", "name", max_len=20) == "Ana Costa"


def test_bounded_accepts_exactly_the_maximum_length() -> None:
    assert validation.bounded("x" * 10, "name", max_len=10) == "x" * 10


def test_bounded_counts_length_after_stripping() -> None:
    assert validation.bounded("   " + "x" * 10 + "   ", "name", max_len=10) == "x" * 10


def test_too_long_string_is_rejected_with_its_field() -> None:
    with pytest.raises(InvalidInput, match="1 to 10 characters") as refused:
        validation.bounded("x" * 11, "name", max_len=10)
    assert refused.value.field == "name"
    assert refused.value.code == "BAD_USER_INPUT"


@pytest.mark.parametrize("blank", ["", " ", "\t\n  "])
def test_blank_string_is_rejected(blank: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        validation.bounded(blank, "name", max_len=10)
    assert refused.value.field == "name"


def test_bounded_honours_a_minimum_length() -> None:
    assert validation.bounded("abc", "code", max_len=5, min_len=3) == "abc"
    with pytest.raises(InvalidInput, match="3 to 5 characters"):
        validation.bounded("ab", "code", max_len=5, min_len=3)


@given(st.text(max_size=60))
def test_bounded_either_returns_a_stripped_string_within_bounds_or_refuses(value: str) -> None:
    fits = 1 <= len(value.strip()) <= 30
    printable = not re.search(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]", value.strip())
    try:
        text = validation.bounded(value, "name", max_len=30)
    except InvalidInput:
        assert not (fits and printable)  # too long or short, or unprintable
    else:
        assert text == value.strip()
        assert 1 <= len(text) <= 30


@pytest.mark.parametrize("empty", [None, "", "   "])
def test_optional_bounded_turns_missing_or_blank_into_none(empty: str | None) -> None:
    assert validation.optional_bounded(empty, "nickname", max_len=5) is None


def test_optional_bounded_strips_a_present_value() -> None:
    assert validation.optional_bounded(" Blue ", "nickname", max_len=5) == "Blue"


def test_optional_bounded_still_rejects_too_long_values() -> None:
    with pytest.raises(InvalidInput) as refused:
        validation.optional_bounded("x" * 6, "nickname", max_len=5)
    assert refused.value.field == "nickname"


# --- email ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "normalized"),
    [
        ("ana.costa@example.com", "ana.costa@example.com"),
        ("Ana.Costa@Example.COM", "ana.costa@example.com"),
        ("  ben@example.org \n", "ben@example.org"),
        ("x+tag@mail.example.de", "x+tag@mail.example.de"),
    ],
)
def test_valid_emails_are_trimmed_and_lower_cased(raw: str, normalized: str) -> None:
    assert validation.email_address(raw) == normalized


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "   ",
        "ana",
        "ana@",
        "@example.com",
        "ana@@example.com",
        "ana costa@example.com",
        "ana@localhost",  # no dot in the domain
        "ana@example",
        "ana@example..com",
        ".ana@example.com",
        "ana@example.invalid",  # a special-use name mail cannot go to
    ],
)
def test_invalid_emails_are_rejected(bad: str) -> None:
    with pytest.raises(InvalidEmail, match="not a valid email address") as refused:
        validation.email_address(bad)
    assert refused.value.field == "email"
    assert refused.value.code == "INVALID_EMAIL"


def _address_of_length(length: int) -> str:
    """A well-formed address (64-character local part, labels under 64) of the given length."""
    tail = length - 64 - 1 - (63 + 1) * 2 - len(".com")
    return "a" * 64 + "@" + "b" * 63 + "." + "c" * 63 + "." + "d" * tail + ".com"


def test_email_of_254_characters_is_accepted() -> None:
    address = _address_of_length(254)
    assert len(address) == 254
    assert validation.email_address(address) == address


def test_email_longer_than_254_characters_is_rejected() -> None:
    address = _address_of_length(255)
    assert len(address) == 255
    with pytest.raises(InvalidEmail, match="longer than 254") as refused:
        validation.email_address(address)
    assert refused.value.field == "email"


def test_email_error_names_the_field_it_was_given() -> None:
    with pytest.raises(InvalidEmail) as refused:
        validation.email_address("nope", field="contactEmail")
    assert refused.value.field == "contactEmail"
    assert refused.value.message.startswith("contactEmail ")


label = st.from_regex(r"[A-Za-z0-9]{1,12}", fullmatch=True)


@given(
    st.lists(label, min_size=1, max_size=3).map(".".join),
    st.from_regex(r"[A-Za-z][A-Za-z0-9]{0,12}", fullmatch=True),
    st.sampled_from(["com", "org", "de", "net", "COM"]),
)
@settings(deadline=None)
def test_plain_ascii_emails_are_accepted_in_lower_case(local: str, host: str, tld: str) -> None:
    address = f"{local}@{host}.{tld}"
    assert validation.email_address(address) == address.lower()


@given(st.text(max_size=80))
@settings(deadline=None)
def test_email_check_only_ever_raises_invalid_email(value: str) -> None:
    try:
        normalized = validation.email_address(value)
    except InvalidEmail:
        return
    assert "@" in normalized
    assert normalized == normalized.lower()


# --- locale ---------------------------------------------------------------------------------


@pytest.mark.parametrize("tag", ["en", "de", "fil", "de-DE", "en-GB", "fil-PH"])
def test_language_and_optional_region_tags_are_accepted(tag: str) -> None:
    assert validation.locale_tag(tag) == tag


@pytest.mark.parametrize(
    "tag",
    ["", "e", "EN", "En", "english", "en-us", "en_US", "de-DEU", "en-", "-DE", "zh-Hans",
     " en", "en ", "en-GB-x"],
)
def test_malformed_locale_tags_are_rejected(tag: str) -> None:
    with pytest.raises(InvalidInput, match="'en' or 'de-DE'") as refused:
        validation.locale_tag(tag)
    assert refused.value.field == "locale"


@pytest.mark.parametrize("tag", ["en\n", "de-DE\n"])
def test_locale_with_a_trailing_newline_is_rejected(tag: str) -> None:
    with pytest.raises(InvalidInput):
        validation.locale_tag(tag)


@given(st.from_regex(r"[a-z]{2,3}(-[A-Z]{2})?", fullmatch=True))
def test_every_well_formed_locale_tag_is_kept_as_given(tag: str) -> None:
    assert validation.locale_tag(tag) == tag


# --- timezone -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name", ["UTC", "Europe/Berlin", "America/New_York", "Asia/Kolkata", "Etc/GMT+2"]
)
def test_iana_timezones_are_accepted(name: str) -> None:
    assert validation.timezone_name(name) == name


@pytest.mark.parametrize(
    "name",
    [
        "",
        "Mars/Olympus_Mons",
        "europe/berlin",
        "Europe/Berlin ",
        "CEST+2",
        "../../etc/passwd",
        "/etc/localtime",
        "Europe/",
        "zone.tab",  # a file in the database that is not a zone
        "a\x00b",
        "Europe/" + "x" * 60,  # longer than 64 characters
    ],
)
def test_unknown_timezones_are_rejected(name: str) -> None:
    with pytest.raises(InvalidInput, match="not an IANA timezone") as refused:
        validation.timezone_name(name)
    assert refused.value.field == "timezone"


@pytest.mark.parametrize("name", ["Europe", "America"])
def test_a_region_without_a_city_is_rejected(name: str) -> None:
    with pytest.raises(InvalidInput):
        validation.timezone_name(name)


@given(st.text(max_size=70))
@settings(deadline=None)
def test_timezone_check_either_keeps_the_name_or_raises_invalid_input(value: str) -> None:
    try:
        kept = validation.timezone_name(value)
    except InvalidInput:
        return
    assert kept == value


# --- numeric ranges -------------------------------------------------------------------------


@pytest.mark.parametrize("value", [0, 0.0, 12.5, 1000])
def test_values_from_zero_to_the_maximum_are_accepted(value: float) -> None:
    assert validation.non_negative(value, "odometerKm", maximum=1000) == value


@pytest.mark.parametrize("value", [-0.001, -1, 1000.001, math.inf, -math.inf, math.nan])
def test_values_outside_zero_to_the_maximum_are_rejected(value: float) -> None:
    with pytest.raises(InvalidInput, match="between 0 and 1000") as refused:
        validation.non_negative(value, "odometerKm", maximum=1000)
    assert refused.value.field == "odometerKm"


# --- UTC ------------------------------------------------------------------------------------


def test_a_naive_time_is_taken_as_utc_wall_clock() -> None:
    naive = datetime(2026, 5, 1, 9, 30)
    assert validation.utc(naive) == datetime(2026, 5, 1, 9, 30, tzinfo=UTC)
    assert validation.utc(naive).tzinfo is UTC


def test_an_offset_time_is_converted_to_the_same_instant_in_utc() -> None:
    berlin_summer = datetime(2026, 5, 1, 11, 30, tzinfo=timezone(timedelta(hours=2)))
    converted = validation.utc(berlin_summer)
    assert converted.tzinfo is UTC
    assert (converted.hour, converted.minute) == (9, 30)
    assert converted == berlin_summer


@given(st.datetimes(min_value=datetime(1970, 1, 2), max_value=datetime(2200, 12, 30),
                    timezones=st.timezones()))
def test_utc_keeps_the_instant_of_aware_times(at: datetime) -> None:
    offset = at.utcoffset()
    assert offset is not None
    converted = validation.utc(at)
    assert converted.tzinfo is UTC
    # Compare wall clocks: `==` across zones is False for times in a DST fold (PEP 495).
    assert converted.replace(tzinfo=None) == at.replace(tzinfo=None) - offset


@pytest.mark.parametrize("year", [1, 1969, 2201, 9999])
def test_times_outside_the_years_of_ev_ownership_are_refused(year: int) -> None:
    with pytest.raises(InvalidInput):
        validation.utc(datetime(year, 6, 1, tzinfo=UTC), "startedAt")
