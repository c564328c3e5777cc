"""Owner registration and owner search terms."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from domain import owners
from domain.errors import InvalidEmail, InvalidInput
from domain.ids import looks_like_id, new_id
from domain.owners import MAX_NAME, OwnerRegistration

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def registration(**changes: str) -> OwnerRegistration:
    fields = {"name": "Ana Costa", "email": "ana.costa@example.com", "locale": "pt-PT",
              "timezone": "Europe/Lisbon"} | changes
    return OwnerRegistration(**fields)


def test_register_keeps_valid_input() -> None:
    owner = owners.register(registration(), NOW)
    assert owner.name == "Ana Costa"
    assert owner.email == "ana.costa@example.com"
    assert owner.locale == "pt-PT"
    assert owner.timezone == "Europe/Lisbon"


def test_register_stamps_creation_and_update_time_with_now() -> None:
    owner = owners.register(registration(), NOW)
    assert owner.created_at == NOW
    assert owner.updated_at == NOW


def test_register_gives_an_id_from_the_registration_time() -> None:
    owner = owners.register(registration(), NOW)
    assert looks_like_id(owner.id)
    assert owner.id[:12] == new_id(NOW)[:12]


def test_two_registrations_at_the_same_time_get_different_ids() -> None:
    assert owners.register(registration(), NOW).id != owners.register(registration(), NOW).id


def test_register_defaults_to_english_and_utc() -> None:
    owner = owners.register(OwnerRegistration(name="Ben", email="ben@example.com"), NOW)
    assert owner.locale == "en"
    assert owner.timezone == "UTC"


def test_register_trims_the_name_and_normalizes_the_email() -> None:
    owner = owners.register(registration(name="  Ana Costa ", email=" Ana.Costa@EXAMPLE.com "),
                            NOW)
    assert owner.name == "Ana Costa"
    assert owner.email == "ana.costa@example.com"


def test_name_of_the_maximum_length_is_accepted() -> None:
    assert owners.register(registration(name="x" * MAX_NAME), NOW).name == "x" * MAX_NAME


@pytest.mark.parametrize("name", ["", "   ", "x" * (MAX_NAME + 1)])
def test_blank_or_too_long_name_is_rejected(name: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        owners.register(registration(name=name), NOW)
    assert refused.value.field == "name"


def test_invalid_email_is_rejected_as_invalid_email() -> None:
    with pytest.raises(InvalidEmail) as refused:
        owners.register(registration(email="ana.costa.example.com"), NOW)
    assert refused.value.field == "email"


def test_bad_locale_is_rejected() -> None:
    with pytest.raises(InvalidInput) as refused:
        owners.register(registration(locale="Portuguese"), NOW)
    assert refused.value.field == "locale"


def test_unknown_timezone_is_rejected() -> None:
    with pytest.raises(InvalidInput) as refused:
        owners.register(registration(timezone="Europe/Atlantis"), NOW)
    assert refused.value.field == "timezone"


def test_the_first_bad_field_is_reported() -> None:
    with pytest.raises(InvalidInput) as refused:
        owners.register(registration(name="", email="bad", locale="bad", timezone="bad"), NOW)
    assert refused.value.field == "name"


def test_a_registered_owner_cannot_be_changed_in_place() -> None:
    owner = owners.register(registration(), NOW)
    with pytest.raises(ValidationError, match="frozen"):
        owner.name = "Someone Else"  # type: ignore[misc]


@pytest.mark.parametrize("empty", [None, "", "   "])
def test_a_missing_or_blank_search_means_no_filter(empty: str | None) -> None:
    assert owners.search_term(empty) is None


def test_a_search_term_is_trimmed() -> None:
    assert owners.search_term("  costa ") == "costa"


def test_a_search_term_longer_than_a_name_is_rejected() -> None:
    with pytest.raises(InvalidInput) as refused:
        owners.search_term("x" * (MAX_NAME + 1))
    assert refused.value.field == "search"
