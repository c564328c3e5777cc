"""The vehicle model catalogue: nominal figures that the battery, range and charging rules use.

Figures are typical public values for current EVs (see shared/DOMAIN.md, reference numbers):
usable capacity, WLTP-like consumption, on-board AC charger, DC peak and a DC curve.
"""

from __future__ import annotations

import itertools

from pydantic import BaseModel, ConfigDict


class CurvePoint(BaseModel):
    model_config = ConfigDict(frozen=True)
    soc_percent: float
    power_kw: float


class VehicleModel(BaseModel):
    model_config = ConfigDict(frozen=True)
    id: str
    name: str
    manufacturer: str
    battery_capacity_kwh: float
    efficiency_wh_per_km: float
    max_ac_power_kw: float
    max_dc_power_kw: float
    nominal_voltage: int
    mass_kg: float
    drag_area_m2: float
    rolling_resistance: float
    dc_charging_curve: tuple[CurvePoint, ...]

    def dc_power_at(self, soc_percent: float) -> float:
        """Charging power at a state of charge, interpolated linearly on the curve."""
        points = self.dc_charging_curve
        if soc_percent <= points[0].soc_percent:
            return points[0].power_kw
        for low, high in itertools.pairwise(points):
            if soc_percent <= high.soc_percent:
                span = (soc_percent - low.soc_percent) / (high.soc_percent - low.soc_percent)
                return low.power_kw + span * (high.power_kw - low.power_kw)
        return points[-1].power_kw


def _curve(*pairs: tuple[float, float]) -> tuple[CurvePoint, ...]:
    return tuple(CurvePoint(soc_percent=s, power_kw=p) for s, p in pairs)


# 400 V packs peak early and taper from about 50%; 800 V packs hold a plateau longer.
_CURVE_400V_CITY = _curve((0, 45), (10, 50), (50, 44), (70, 30), (80, 22), (90, 12), (100, 5))
_CURVE_400V = _curve((0, 120), (10, 135), (30, 130), (50, 105), (70, 70), (80, 50), (90, 25),
                     (100, 8))
_CURVE_400V_LARGE = _curve((0, 150), (10, 170), (40, 160), (55, 120), (70, 85), (80, 60),
                           (90, 30), (100, 10))
_CURVE_800V = _curve((0, 200), (10, 240), (50, 235), (65, 190), (80, 120), (90, 55), (100, 15))

CATALOGUE: tuple[VehicleModel, ...] = (
    VehicleModel(id="volta-city", name="Volta City", manufacturer="Volta",
                 battery_capacity_kwh=42.0, efficiency_wh_per_km=145, max_ac_power_kw=11,
                 max_dc_power_kw=50, nominal_voltage=400, mass_kg=1700, drag_area_m2=0.62,
                 rolling_resistance=0.009, dc_charging_curve=_CURVE_400V_CITY),
    VehicleModel(id="volta-one", name="Volta One", manufacturer="Volta",
                 battery_capacity_kwh=58.0, efficiency_wh_per_km=160, max_ac_power_kw=11,
                 max_dc_power_kw=135, nominal_voltage=400, mass_kg=1850, drag_area_m2=0.58,
                 rolling_resistance=0.009, dc_charging_curve=_CURVE_400V),
    VehicleModel(id="volta-one-lr", name="Volta One Long Range", manufacturer="Volta",
                 battery_capacity_kwh=77.0, efficiency_wh_per_km=168, max_ac_power_kw=11,
                 max_dc_power_kw=170, nominal_voltage=400, mass_kg=2050, drag_area_m2=0.58,
                 rolling_resistance=0.0095, dc_charging_curve=_CURVE_400V_LARGE),
    VehicleModel(id="volta-tourer", name="Volta Tourer", manufacturer="Volta",
                 battery_capacity_kwh=84.0, efficiency_wh_per_km=175, max_ac_power_kw=22,
                 max_dc_power_kw=240, nominal_voltage=800, mass_kg=2150, drag_area_m2=0.55,
                 rolling_resistance=0.0095, dc_charging_curve=_CURVE_800V),
    VehicleModel(id="volta-cargo", name="Volta Cargo SUV", manufacturer="Volta",
                 battery_capacity_kwh=98.0, efficiency_wh_per_km=205, max_ac_power_kw=11,
                 max_dc_power_kw=240, nominal_voltage=800, mass_kg=2480, drag_area_m2=0.70,
                 rolling_resistance=0.0105, dc_charging_curve=_CURVE_800V),
)

_BY_ID = {model.id: model for model in CATALOGUE}


def find_model(model_id: str) -> VehicleModel | None:
    return _BY_ID.get(model_id)
