"""Deterministic demo data: same seed and count, same owners and vehicles; all of it valid."""

from __future__ import annotations

from itertools import islice

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain import owners, validation, vehicles
from domain.catalogue import find_model
from domain.ids import looks_like_id
from domain.owners import OwnerRegistration
from domain.vehicles import MAX_ODOMETER_KM
from services.demo import EPOCH, DemoOwner, demo_owner_id, generate

SEED = 7
COUNT = 200
seeds = st.integers(min_value=0, max_value=2**31)


def demo(count: int = COUNT, seed: int = SEED) -> list[DemoOwner]:
    return list(generate(count, seed))


# --- determinism ----------------------------------------------------------------------------


@given(seeds, st.integers(min_value=0, max_value=30))
@settings(max_examples=25)
def test_same_seed_and_count_give_identical_data(seed: int, count: int) -> None:
    assert demo(count, seed) == demo(count, seed)


@given(seeds, seeds)
@settings(max_examples=25)
def test_different_seeds_give_different_owners(seed: int, other: int) -> None:
    if seed == other:
        other += 1
    first = {item.owner.id for item in demo(5, seed)}
    second = {item.owner.id for item in demo(5, other)}
    assert first.isdisjoint(second)


def test_different_seeds_give_different_vins() -> None:
    first = {v.vin for item in demo(20, 1) for v in item.vehicles}
    second = {v.vin for item in demo(20, 2) for v in item.vehicles}
    assert first.isdisjoint(second)


def test_a_larger_count_extends_a_smaller_one() -> None:
    assert demo(50)[:10] == demo(10)


def test_start_skips_the_leading_owners() -> None:
    assert list(generate(10, SEED, start=4)) == demo(10)[4:]


@pytest.mark.parametrize("count", [0, 1, 17])
def test_count_is_the_number_of_owners(count: int) -> None:
    assert len(demo(count)) == count


def test_generation_is_lazy() -> None:
    # A huge count costs nothing until it is consumed.
    assert len(list(islice(generate(10**12, SEED), 3))) == 3


@given(seeds)
@settings(max_examples=25)
def test_demo_owner_id_is_the_first_generated_owners_id(seed: int) -> None:
    assert demo_owner_id(seed) == next(generate(1, seed)).owner.id


@pytest.mark.parametrize("index", [0, 1, 5, 42])
def test_demo_owner_id_names_the_owner_at_an_index(index: int) -> None:
    assert demo_owner_id(SEED, index) == demo(index + 1)[index].owner.id


# --- the data is valid domain data -----------------------------------------------------------


def test_every_generated_vin_is_a_normalized_vin() -> None:
    for item in demo():
        for vehicle in item.vehicles:
            assert vehicles.normalize_vin(vehicle.vin) == vehicle.vin


def test_generated_vins_are_unique() -> None:
    vins = [vehicle.vin for item in demo() for vehicle in item.vehicles]
    assert len(set(vins)) == len(vins)


def test_generated_emails_are_unique() -> None:
    emails = [item.owner.email for item in demo()]
    assert len(set(emails)) == len(emails)


def test_generated_emails_are_already_normalized() -> None:
    for item in demo():
        assert validation.email_address(item.owner.email) == item.owner.email


def test_generated_owners_pass_owner_registration() -> None:
    for item in demo():
        owner = item.owner
        again = owners.register(OwnerRegistration(name=owner.name, email=owner.email,
                                                  locale=owner.locale, timezone=owner.timezone,
                                                  region=owner.region),
                                owner.created_at)
        assert again.model_dump(exclude={"id"}) == owner.model_dump(exclude={"id"})


def test_ids_are_well_formed_and_unique() -> None:
    items = demo()
    all_ids = [item.owner.id for item in items]
    all_ids += [vehicle.id for item in items for vehicle in item.vehicles]
    assert all(looks_like_id(value) for value in all_ids)
    assert len(set(all_ids)) == len(all_ids)


def test_every_owner_has_one_to_three_vehicles_of_their_own() -> None:
    for item in demo():
        assert 1 <= len(item.vehicles) <= 3
        assert all(vehicle.owner_id == item.owner.id for vehicle in item.vehicles)


def test_most_owners_have_one_vehicle_and_some_have_more() -> None:
    counts = [len(item.vehicles) for item in demo()]
    assert counts.count(1) > len(counts) / 2
    assert any(count > 1 for count in counts)


def test_generated_vehicles_use_catalogue_models() -> None:
    for item in demo():
        for vehicle in item.vehicles:
            assert find_model(vehicle.model_id) is not None


def test_vehicles_are_delivered_after_their_owner_joined() -> None:
    for item in demo():
        assert item.owner.created_at == item.owner.updated_at < EPOCH
        for vehicle in item.vehicles:
            assert vehicle.delivered_at >= item.owner.created_at
            assert vehicle.created_at == vehicle.updated_at == vehicle.delivered_at


def test_odometers_are_within_range_and_grow_with_time_owned() -> None:
    for item in demo():
        for vehicle in item.vehicles:
            assert 0 <= vehicle.odometer_km <= MAX_ODOMETER_KM
            days_owned = max((EPOCH - vehicle.delivered_at).days, 0)
            # Between 20 and 60 km a day, rounded to 0.1 km.
            assert days_owned * 20 - 0.05 <= vehicle.odometer_km <= days_owned * 60 + 0.05


def test_nicknames_are_valid_or_absent() -> None:
    for item in demo():
        for vehicle in item.vehicles:
            if vehicle.nickname is not None:
                assert validation.optional_bounded(
                    vehicle.nickname, "nickname", max_len=vehicles.MAX_NICKNAME
                ) == vehicle.nickname


def test_vehicles_are_delivered_by_the_reference_time() -> None:
    late = [(index, vehicle.delivered_at) for index, item in enumerate(demo())
            for vehicle in item.vehicles if vehicle.delivered_at > EPOCH]
    assert late == []
