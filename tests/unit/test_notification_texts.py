"""Texts in the owner's language with their own numbers; preferences validation."""

from __future__ import annotations

from datetime import UTC, datetime, time

import pytest

from domain.errors import InvalidInput
from domain.notifications.model import Category, Channel, Kind
from domain.notifications.preferences import PreferenceChanges, apply
from domain.notifications.texts import DE, EN, language, render
from domain.owners import Owner

NOW = datetime(2026, 6, 10, 12, tzinfo=UTC)
OWNER = Owner(id="o1", name="Ana", email="ana@example.com", created_at=NOW, updated_at=NOW)


def test_every_kind_has_english_and_german_texts() -> None:
    assert set(EN) == set(DE)
    assert {key.split(":")[0] for key in EN} == {kind.value for kind in Kind}


def test_german_text_uses_german_number_format_and_the_nickname() -> None:
    title, body, lang = render(Kind.BATTERY_HEALTH_LOW, None, "de-AT",
                               {"vehicle": "Blitz", "soh": 78.46, "threshold": 80.0})
    assert lang == "de"
    assert title == "Blitz: Batteriezustand bei 78,5 %"
    assert "unter 80 %" in body


def test_english_text_and_thousands() -> None:
    title, body, lang = render(Kind.SERVICE_DUE, "DISTANCE", "en-GB",
                               {"vehicle": "Blitz", "service": "ANNUAL_SERVICE",
                                "due_km": 30000.0, "odometer_km": 29123.4, "due_on": NOW.date()})
    assert lang == "en"
    assert title == "Blitz: annual service due soon"
    assert "30,000 km (29,123 km now)" in body


def test_an_unsupported_language_falls_back_to_english() -> None:
    assert language("fr-FR") == "en"
    assert language("de") == "de"


def test_preferences_keep_the_inbox_and_validate_the_cap() -> None:
    settings = apply(OWNER, PreferenceChanges(channels=(Channel.PUSH,), max_per_day=3,
                                              muted_categories=(Category.TIPS,),
                                              timezone="Europe/Berlin", locale="de-DE"))
    assert settings.preferences.channels == (Channel.IN_APP, Channel.PUSH)
    assert settings.preferences.max_per_day == 3
    assert (settings.timezone, settings.locale) == ("Europe/Berlin", "de-DE")
    with pytest.raises(InvalidInput):
        apply(OWNER, PreferenceChanges(max_per_day=0))
    with pytest.raises(InvalidInput):
        apply(OWNER, PreferenceChanges(timezone="Mars/Olympus"))


def test_equal_quiet_hours_switch_them_off() -> None:
    settings = apply(OWNER, PreferenceChanges(quiet_hours=(time(0), time(0))))
    assert settings.preferences.quiet_hours is None
