"""The vehicle model catalogue and its DC charging curves, against ../shared/DOMAIN.md."""

from __future__ import annotations

from itertools import pairwise

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.catalogue import CATALOGUE, CurvePoint, VehicleModel, find_model

# A two-segment curve whose interpolated values can be worked out by hand.
TOY = VehicleModel(
    id="toy", name="Toy", manufacturer="Test", battery_capacity_kwh=50, efficiency_wh_per_km=150,
    max_ac_power_kw=11, max_dc_power_kw=100, nominal_voltage=400, mass_kg=1800,
    drag_area_m2=0.6, rolling_resistance=0.01,
    dc_charging_curve=(CurvePoint(soc_percent=10, power_kw=60),
                       CurvePoint(soc_percent=50, power_kw=100),
                       CurvePoint(soc_percent=100, power_kw=0)),
)

models = st.sampled_from(CATALOGUE)
curve_points = [
    pytest.param(model, point, id=f"{model.id}@{point.soc_percent:g}")
    for model in CATALOGUE for point in model.dc_charging_curve
]


def test_catalogue_is_not_empty() -> None:
    assert len(CATALOGUE) >= 1


def test_model_ids_are_unique() -> None:
    ids = [model.id for model in CATALOGUE]
    assert len(set(ids)) == len(ids)


@pytest.mark.parametrize("model", CATALOGUE, ids=lambda model: model.id)
def test_every_model_is_found_by_its_id(model: VehicleModel) -> None:
    assert find_model(model.id) is model


@pytest.mark.parametrize("unknown", ["", "volta", "VOLTA-ONE", "volta-one ", "tesla-model-3"])
def test_unknown_model_ids_find_nothing(unknown: str) -> None:
    assert find_model(unknown) is None


# --- figures within the domain brief's reference numbers -----------------------------------


@pytest.mark.parametrize("model", CATALOGUE, ids=lambda model: model.id)
def test_usable_capacity_is_between_40_and_100_kwh(model: VehicleModel) -> None:
    assert 40 <= model.battery_capacity_kwh <= 100


@pytest.mark.parametrize("model", CATALOGUE, ids=lambda model: model.id)
def test_consumption_is_between_14_and_22_kwh_per_100_km(model: VehicleModel) -> None:
    assert 140 <= model.efficiency_wh_per_km <= 220


@pytest.mark.parametrize("model", CATALOGUE, ids=lambda model: model.id)
def test_on_board_ac_charger_is_a_standard_size(model: VehicleModel) -> None:
    assert model.max_ac_power_kw in {7.4, 11, 22}


@pytest.mark.parametrize("model", CATALOGUE, ids=lambda model: model.id)
def test_dc_peak_is_between_50_and_270_kw(model: VehicleModel) -> None:
    assert 50 <= model.max_dc_power_kw <= 270


@pytest.mark.parametrize("model", CATALOGUE, ids=lambda model: model.id)
def test_drag_area_and_rolling_resistance_are_plausible(model: VehicleModel) -> None:
    assert 0.45 <= model.drag_area_m2 <= 0.7
    assert 0.008 <= model.rolling_resistance <= 0.011


@pytest.mark.parametrize("model", CATALOGUE, ids=lambda model: model.id)
def test_pack_voltage_is_400_or_800(model: VehicleModel) -> None:
    assert model.nominal_voltage in {400, 800}


# --- charging curves ------------------------------------------------------------------------


@pytest.mark.parametrize("model", CATALOGUE, ids=lambda model: model.id)
def test_curve_soc_rises_strictly_from_0_to_100(model: VehicleModel) -> None:
    socs = [point.soc_percent for point in model.dc_charging_curve]
    assert socs[0] == 0
    assert socs[-1] == 100
    assert all(low < high for low, high in pairwise(socs))


@pytest.mark.parametrize("model", CATALOGUE, ids=lambda model: model.id)
def test_curve_peak_is_the_models_max_dc_power(model: VehicleModel) -> None:
    powers = [point.power_kw for point in model.dc_charging_curve]
    assert max(powers) == model.max_dc_power_kw
    assert min(powers) > 0


@pytest.mark.parametrize("model", CATALOGUE, ids=lambda model: model.id)
def test_power_above_80_percent_falls_below_half_the_peak(model: VehicleModel) -> None:
    assert model.dc_power_at(90) < model.max_dc_power_kw / 2
    assert model.dc_power_at(90) < model.dc_power_at(80) < model.dc_power_at(60)


def test_800v_models_hold_their_plateau_longer_than_400v_models() -> None:
    def share_at_half(model: VehicleModel) -> float:
        return model.dc_power_at(50) / model.max_dc_power_kw

    high = [share_at_half(model) for model in CATALOGUE if model.nominal_voltage == 800]
    low = [share_at_half(model) for model in CATALOGUE if model.nominal_voltage == 400]
    assert high
    assert low
    assert min(high) > max(low)


@pytest.mark.parametrize(("model", "point"), curve_points)
def test_power_at_a_curve_point_is_that_points_power(model: VehicleModel,
                                                     point: CurvePoint) -> None:
    assert model.dc_power_at(point.soc_percent) == pytest.approx(point.power_kw)


def test_power_is_interpolated_linearly_between_points() -> None:
    assert TOY.dc_power_at(30) == pytest.approx(80)  # halfway from 60 kW to 100 kW
    assert TOY.dc_power_at(20) == pytest.approx(70)
    assert TOY.dc_power_at(75) == pytest.approx(50)  # halfway down from 100 kW to 0 kW
    assert TOY.dc_power_at(90) == pytest.approx(20)


def test_power_outside_the_curve_is_held_at_the_nearest_end() -> None:
    assert TOY.dc_power_at(0) == 60
    assert TOY.dc_power_at(-5) == 60
    assert TOY.dc_power_at(120) == 0


@given(models, st.floats(min_value=-50, max_value=150, allow_nan=False))
def test_power_stays_within_the_curves_range(model: VehicleModel, soc: float) -> None:
    powers = [point.power_kw for point in model.dc_charging_curve]
    assert min(powers) <= model.dc_power_at(soc) <= max(powers)


@given(models, st.floats(min_value=0, max_value=100))
def test_power_lies_between_the_two_curve_points_around_the_soc(
    model: VehicleModel, soc: float
) -> None:
    points = model.dc_charging_curve
    below = max((p for p in points if p.soc_percent <= soc), key=lambda p: p.soc_percent)
    above = min((p for p in points if p.soc_percent >= soc), key=lambda p: p.soc_percent)
    low, high = sorted((below.power_kw, above.power_kw))
    assert low - 1e-9 <= model.dc_power_at(soc) <= high + 1e-9
