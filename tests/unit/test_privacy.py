"""Privacy rules: pseudonyms, masking, the current consent per purpose, confirmation."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from domain import privacy
from domain.errors import InvalidInput
from domain.ids import new_id
from domain.notifications.model import NotificationPreferences
from domain.privacy import ConsentPurpose, ConsentSource

NOW = datetime(2026, 3, 1, 12, tzinfo=UTC)
SALT, OTHER_SALT = privacy.new_salt(), privacy.new_salt()


def test_a_pseudonym_is_stable_for_one_salt_and_unrelated_across_salts() -> None:
    owner = new_id(NOW)
    assert privacy.pseudonym(SALT, owner) == privacy.pseudonym(SALT, owner)
    assert privacy.pseudonym(SALT, owner) != privacy.pseudonym(OTHER_SALT, owner)
    assert len(privacy.pseudonym(SALT, owner)) == 24
    assert owner not in privacy.pseudonym(SALT, owner)


def test_an_anonymous_id_keeps_the_creation_time_only() -> None:
    old = new_id(NOW)
    new = privacy.anonymous_id(SALT, old)
    assert new[:12] == old[:12]
    assert new != old
    assert privacy.anonymous_id(SALT, "not-an-id") == privacy.pseudonym(SALT, "not-an-id")


def test_tokens_are_masked_but_for_the_last_four_characters() -> None:
    assert privacy.masked_token("abcdefgh1234") == "********1234"
    assert privacy.masked_token("abc") == "abc"


def test_the_tips_consent_follows_the_preference_and_others_their_newest_record() -> None:
    records = [privacy.consent("o", ConsentPurpose.MARKETING, True, ConsentSource.APP, NOW),
               privacy.consent("o", ConsentPurpose.USAGE_BASED_TIPS, True, ConsentSource.APP,
                               NOW)]
    states = {s.purpose: s for s in privacy.current_consents(
        records, NotificationPreferences(allow_usage_based_tips=True))}
    assert (states[ConsentPurpose.MARKETING].granted, states[ConsentPurpose.MARKETING].at) == (
        True, NOW)
    assert states[ConsentPurpose.USAGE_BASED_TIPS].source is ConsentSource.APP
    assert states[ConsentPurpose.TELEMETRY_ANALYTICS].granted is False
    assert states[ConsentPurpose.TELEMETRY_ANALYTICS].at is None
    # A preference that no record explains (data from before consents) is shown undated.
    legacy = {s.purpose: s for s in privacy.current_consents(
        [], NotificationPreferences(allow_usage_based_tips=True))}
    assert (legacy[ConsentPurpose.USAGE_BASED_TIPS].granted,
            legacy[ConsentPurpose.USAGE_BASED_TIPS].at) == (True, None)


def test_only_a_change_of_the_tips_preference_owes_a_record() -> None:
    off, on = NotificationPreferences(), NotificationPreferences(allow_usage_based_tips=True)
    assert privacy.tips_consent_change("o", off, off.model_copy(update={"max_per_day": 3}),
                                       ConsentSource.PREFERENCES, NOW) is None
    record = privacy.tips_consent_change("o", off, on, ConsentSource.PREFERENCES, NOW)
    assert record is not None
    assert (record.purpose, record.granted, record.source) == (
        ConsentPurpose.USAGE_BASED_TIPS, True, ConsentSource.PREFERENCES)


def test_deletion_needs_the_exact_confirmation() -> None:
    privacy.check_confirmation("DELETE")
    for text in ("delete", "DELETE ", ""):
        with pytest.raises(InvalidInput) as refused:
            privacy.check_confirmation(text)
        assert refused.value.field == "confirm"


def test_exports_are_plain_json() -> None:
    doc = {"_id": "x", "schemaVersion": 1, "at": NOW, "day": date(2026, 3, 1),
           "items": [{"source": ConsentSource.APP}], "n": 1.5}
    assert privacy.jsonable(doc) == {"id": "x", "at": NOW.isoformat(), "day": "2026-03-01",
                                     "items": [{"source": "APP"}], "n": 1.5}
