"""Vehicles: VIN rules, registration and the changes an owner may make."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain import vehicles
from domain.errors import InvalidInput, InvalidVin
from domain.ids import looks_like_id, new_id
from domain.vehicles import (
    MAX_NICKNAME,
    MAX_ODOMETER_KM,
    Vehicle,
    VehicleChanges,
    VehicleRegistration,
)

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
OWNER_ID = "0193a1b2c3d4e5f607182930"
VIN = "WVWZZZ1JZXW000001"
# ISO 3779: digits and capital letters except I, O and Q.
VIN_ALPHABET = "0123456789ABCDEFGHJKLMNPRSTUVWXYZ"
FORBIDDEN_LETTERS = "IOQioq"

allowed_chars = VIN_ALPHABET + VIN_ALPHABET.lower()
vins = st.text(alphabet=allowed_chars, min_size=17, max_size=17)


def registration(
    *, vin: str = VIN, model_id: str = "volta-one",
    delivered_at: datetime = NOW - timedelta(days=30), nickname: str | None = None,
    odometer_km: float = 0.0,
) -> VehicleRegistration:
    return VehicleRegistration(owner_id=OWNER_ID, vin=vin, model_id=model_id,
                               delivered_at=delivered_at, nickname=nickname,
                               odometer_km=odometer_km)


def vehicle(odometer_km: float = 1000.0, nickname: str | None = "Blue") -> Vehicle:
    return vehicles.register(registration(odometer_km=odometer_km, nickname=nickname), NOW)


# --- VIN ------------------------------------------------------------------------------------


@given(vins)
def test_every_17_character_vin_over_the_allowed_alphabet_is_accepted_upper_cased(
    vin: str,
) -> None:
    assert vehicles.normalize_vin(vin) == vin.upper()


@given(vins, st.sampled_from([" ", "\t", "\n", "  \r\n"]))
def test_whitespace_around_a_vin_is_ignored(vin: str, padding: str) -> None:
    assert vehicles.normalize_vin(padding + vin + padding) == vin.upper()


@given(vins, st.sampled_from(FORBIDDEN_LETTERS), st.integers(min_value=0, max_value=16))
def test_vin_with_i_o_or_q_anywhere_is_rejected(vin: str, letter: str, at: int) -> None:
    spoiled = vin[:at] + letter + vin[at + 1:]
    with pytest.raises(InvalidVin):
        vehicles.normalize_vin(spoiled)


@given(st.text(alphabet=allowed_chars, max_size=40).filter(lambda vin: len(vin) != 17))
def test_vin_of_any_other_length_is_rejected(vin: str) -> None:
    with pytest.raises(InvalidVin):
        vehicles.normalize_vin(vin)


@given(st.text(max_size=30))
def test_normalize_vin_returns_a_clean_vin_or_raises_invalid_vin(value: str) -> None:
    try:
        vin = vehicles.normalize_vin(value)
    except InvalidVin:
        return
    assert len(vin) == 17
    assert set(vin) <= set(VIN_ALPHABET)


@pytest.mark.parametrize(
    "bad",
    [
        "WVWZZZ1JZXW00000O",  # letter O
        "WVWZZZ1JZXW00000I",  # letter I
        "WVWZZZ1JZXW00000Q",  # letter Q
        "WVWZZZ1JZXW00000",  # 16 characters
        "WVWZZZ1JZXW0000001",  # 18 characters
        "WVWZZZ1JZ W000001",  # a space inside
        "WVWZZZ1JZ-XW00001",  # punctuation
        "",
    ],
)
def test_malformed_vins_are_rejected_with_the_vin_code(bad: str) -> None:
    with pytest.raises(InvalidVin, match="17 characters") as refused:
        vehicles.normalize_vin(bad)
    assert refused.value.field == "vin"
    assert refused.value.code == "INVALID_VIN"
    assert isinstance(refused.value, InvalidInput)


def test_vin_with_letter_o_is_rejected() -> None:
    with pytest.raises(InvalidVin):
        vehicles.normalize_vin("1HGCM82633AOO4352")


@pytest.mark.parametrize(
    "bad",
    ["\u017f" * 17, "\ufb00" + "A" * 15],
    ids=["long-s", "ff-ligature-16-chars"],
)
def test_vin_with_non_ascii_characters_is_rejected(bad: str) -> None:
    with pytest.raises(InvalidVin):
        vehicles.normalize_vin(bad)


# --- model ----------------------------------------------------------------------------------


def test_known_model_id_is_accepted() -> None:
    assert vehicles.model_id("volta-tourer") == "volta-tourer"


def test_unknown_model_id_is_rejected_without_echoing_long_input() -> None:
    with pytest.raises(InvalidInput, match="unknown vehicle model") as refused:
        vehicles.model_id("x" * 1000)
    assert refused.value.field == "modelId"
    assert len(refused.value.message) < 100


# --- registration ---------------------------------------------------------------------------


def test_register_builds_the_vehicle_from_valid_input() -> None:
    registered = vehicles.register(
        registration(vin=" wvwzzz1jzxw000001 ", nickname=" Sparky ", odometer_km=12.5), NOW)
    assert registered.vin == VIN
    assert registered.owner_id == OWNER_ID
    assert registered.model_id == "volta-one"
    assert registered.nickname == "Sparky"
    assert registered.odometer_km == 12.5
    assert registered.delivered_at == NOW - timedelta(days=30)
    assert registered.software_version is None
    assert registered.created_at == registered.updated_at == NOW


def test_register_gives_an_id_from_the_registration_time() -> None:
    registered = vehicles.register(registration(), NOW)
    assert looks_like_id(registered.id)
    assert registered.id[:12] == new_id(NOW)[:12]


def test_delivery_in_the_future_is_rejected() -> None:
    with pytest.raises(InvalidInput, match="future") as refused:
        vehicles.register(registration(delivered_at=NOW + timedelta(microseconds=1)), NOW)
    assert refused.value.field == "deliveredAt"


def test_delivery_right_now_is_accepted() -> None:
    assert vehicles.register(registration(delivered_at=NOW), NOW).delivered_at == NOW


def test_naive_delivery_time_is_taken_as_utc() -> None:
    naive = datetime(2026, 6, 1, 9, 30)
    registered = vehicles.register(registration(delivered_at=naive), NOW)
    assert registered.delivered_at == datetime(2026, 6, 1, 9, 30, tzinfo=UTC)
    assert registered.delivered_at.tzinfo is UTC


def test_naive_delivery_later_today_in_utc_is_in_the_future() -> None:
    naive_later = NOW.replace(tzinfo=None) + timedelta(hours=1)
    with pytest.raises(InvalidInput) as refused:
        vehicles.register(registration(delivered_at=naive_later), NOW)
    assert refused.value.field == "deliveredAt"


def test_delivery_with_an_offset_is_stored_in_utc() -> None:
    # 13:00 in UTC+02:00 is 11:00 UTC: before NOW (12:00 UTC), so not in the future.
    local = datetime(2026, 11, 25, 13, 0, tzinfo=timezone(timedelta(hours=2)))
    registered = vehicles.register(registration(delivered_at=local), NOW)
    assert registered.delivered_at == datetime(2026, 11, 25, 11, 0, tzinfo=UTC)
    assert registered.delivered_at.tzinfo is UTC


def test_unknown_model_is_rejected() -> None:
    with pytest.raises(InvalidInput) as refused:
        vehicles.register(registration(model_id="volta-hovercraft"), NOW)
    assert refused.value.field == "modelId"


def test_invalid_vin_is_rejected_at_registration() -> None:
    with pytest.raises(InvalidVin):
        vehicles.register(registration(vin="NOT-A-VIN"), NOW)


def test_nickname_of_the_maximum_length_is_accepted() -> None:
    registered = vehicles.register(registration(nickname="n" * MAX_NICKNAME), NOW)
    assert registered.nickname == "n" * MAX_NICKNAME


def test_too_long_nickname_is_rejected() -> None:
    with pytest.raises(InvalidInput) as refused:
        vehicles.register(registration(nickname="n" * (MAX_NICKNAME + 1)), NOW)
    assert refused.value.field == "nickname"


@pytest.mark.parametrize("blank", [None, "", "   "])
def test_missing_or_blank_nickname_is_stored_as_none(blank: str | None) -> None:
    assert vehicles.register(registration(nickname=blank), NOW).nickname is None


@pytest.mark.parametrize("km", [0.0, MAX_ODOMETER_KM])
def test_odometer_at_either_end_of_its_range_is_accepted(km: float) -> None:
    assert vehicles.register(registration(odometer_km=km), NOW).odometer_km == km


@pytest.mark.parametrize("km", [-0.1, MAX_ODOMETER_KM + 1])
def test_odometer_outside_its_range_is_rejected(km: float) -> None:
    with pytest.raises(InvalidInput) as refused:
        vehicles.register(registration(odometer_km=km), NOW)
    assert refused.value.field == "odometerKm"


# --- changes --------------------------------------------------------------------------------


def test_no_changes_give_no_fields() -> None:
    assert vehicles.changed_fields(vehicle(), VehicleChanges()) == {}


def test_a_new_nickname_is_trimmed() -> None:
    assert vehicles.changed_fields(vehicle(), VehicleChanges(nickname=" Daily ")) == {
        "nickname": "Daily"}


@pytest.mark.parametrize("empty", ["", "   "])
def test_an_empty_nickname_clears_it(empty: str) -> None:
    assert vehicles.changed_fields(vehicle(), VehicleChanges(nickname=empty)) == {
        "nickname": None}


def test_a_too_long_nickname_change_is_rejected() -> None:
    with pytest.raises(InvalidInput) as refused:
        vehicles.changed_fields(vehicle(), VehicleChanges(nickname="n" * (MAX_NICKNAME + 1)))
    assert refused.value.field == "nickname"


def test_odometer_can_go_up() -> None:
    assert vehicles.changed_fields(vehicle(1000), VehicleChanges(odometer_km=1500.5)) == {
        "odometer_km": 1500.5}


def test_odometer_may_stay_the_same() -> None:
    assert vehicles.changed_fields(vehicle(1000), VehicleChanges(odometer_km=1000)) == {
        "odometer_km": 1000}


def test_odometer_cannot_go_down() -> None:
    with pytest.raises(InvalidInput, match="cannot go down") as refused:
        vehicles.changed_fields(vehicle(1000), VehicleChanges(odometer_km=999.9))
    assert refused.value.field == "odometerKm"


@pytest.mark.parametrize("km", [-1, MAX_ODOMETER_KM + 1])
def test_odometer_change_outside_its_range_is_rejected(km: float) -> None:
    with pytest.raises(InvalidInput) as refused:
        vehicles.changed_fields(vehicle(0), VehicleChanges(odometer_km=km))
    assert refused.value.field == "odometerKm"


def test_nickname_and_odometer_change_together() -> None:
    changes = VehicleChanges(nickname="Family car", odometer_km=2000)
    assert vehicles.changed_fields(vehicle(1000), changes) == {
        "nickname": "Family car", "odometer_km": 2000}


def test_changes_do_not_touch_the_vehicle() -> None:
    current = vehicle(1000, nickname="Blue")
    vehicles.changed_fields(current, VehicleChanges(nickname="", odometer_km=5000))
    assert current.nickname == "Blue"
    assert current.odometer_km == 1000


@given(st.floats(min_value=0, max_value=MAX_ODOMETER_KM),
       st.floats(min_value=0, max_value=MAX_ODOMETER_KM))
def test_odometer_change_is_accepted_exactly_when_it_does_not_go_down(
    current_km: float, new_km: float
) -> None:
    current = vehicle(current_km)
    if new_km >= current_km:
        assert vehicles.changed_fields(current, VehicleChanges(odometer_km=new_km)) == {
            "odometer_km": new_km}
    else:
        with pytest.raises(InvalidInput):
            vehicles.changed_fields(current, VehicleChanges(odometer_km=new_km))
