"""Energy use and range: a calibrated physics model of consumption.

Consumption per km is rolling resistance plus aerodynamic drag, divided by the drivetrain
efficiency, plus the auxiliary load (cabin and battery heating, air conditioning) spread over
the distance driven in an hour. The physics value is scaled per model so that, at the reference
conditions, it equals the catalogue's rated consumption exactly.
"""

from __future__ import annotations

from dataclasses import dataclass

from domain.catalogue import VehicleModel
from domain.errors import InvalidInput

GRAVITY = 9.81
REGEN_RECOVERY = 0.65
DRIVETRAIN_EFFICIENCY = 0.88
_AIR_GAS_CONSTANT = 287.05
_SEA_LEVEL_PRESSURE_PA = 101_325.0
_BASE_AUX_W = 250.0
_HEATING_W_PER_C = 125.0  # below 20 C: about 4 kW in total at -10 C
_MAX_HEATING_W = 6_000.0
_COOLING_W_PER_C = 40.0  # above 25 C


def _check(value: float, field: str, low: float, high: float, unit: str = "") -> None:
    if not low <= value <= high:
        raise InvalidInput(f"{field} must be between {low:g} and {high:g}{unit}", field=field)


@dataclass(frozen=True, slots=True)
class Conditions:
    """Driving conditions; `elevation_gain_m` is net over a leg (negative is a descent)."""

    speed_kmh: float = 100.0
    temperature_c: float = 20.0
    payload_kg: float = 80.0
    elevation_gain_m: float = 0.0

    def __post_init__(self) -> None:
        _check(self.speed_kmh, "cruiseSpeedKmh", 5, 250, " km/h")
        _check(self.temperature_c, "outsideTemperatureC", -40, 55, " C")
        _check(self.payload_kg, "payloadKg", 0, 1500, " kg")
        _check(self.elevation_gain_m, "elevationGainM", -9000, 9000, " m")


REFERENCE = Conditions()
"""The conditions at which the catalogue's rated consumption holds."""


def air_density(temperature_c: float) -> float:
    """Dry air at sea-level pressure, kg/m3."""
    return _SEA_LEVEL_PRESSURE_PA / (_AIR_GAS_CONSTANT * (temperature_c + 273.15))


def auxiliary_power_w(temperature_c: float) -> float:
    """Electronics, cabin and battery conditioning: rises steeply in the cold."""
    heating = min(_MAX_HEATING_W, _HEATING_W_PER_C * max(0.0, 20.0 - temperature_c))
    cooling = _COOLING_W_PER_C * max(0.0, temperature_c - 25.0)
    return _BASE_AUX_W + heating + cooling


def _physics_wh_per_km(model: VehicleModel, c: Conditions, drivetrain_efficiency: float) -> float:
    speed_ms = c.speed_kmh / 3.6
    mass = model.mass_kg + c.payload_kg
    rolling_n = model.rolling_resistance * mass * GRAVITY
    aero_n = 0.5 * air_density(c.temperature_c) * model.drag_area_m2 * speed_ms**2
    traction_wh_per_km = (rolling_n + aero_n) / 3.6 / drivetrain_efficiency  # N * 1000 m / 3600
    return traction_wh_per_km + auxiliary_power_w(c.temperature_c) / c.speed_kmh


def consumption_wh_per_km(
    model: VehicleModel, c: Conditions, drivetrain_efficiency: float = DRIVETRAIN_EFFICIENCY
) -> float:
    """Consumption on the flat (elevation is counted per leg by `leg_energy_kwh`)."""
    _check(drivetrain_efficiency, "drivetrainEfficiency", 0.5, 1.0)
    calibration = model.efficiency_wh_per_km / _physics_wh_per_km(
        model, REFERENCE, drivetrain_efficiency
    )
    return calibration * _physics_wh_per_km(model, c, drivetrain_efficiency)


def elevation_energy_kwh(
    model: VehicleModel, c: Conditions, drivetrain_efficiency: float = DRIVETRAIN_EFFICIENCY
) -> float:
    """m g h: divided by the efficiency uphill; 65% recovered by regeneration downhill."""
    joules = (model.mass_kg + c.payload_kg) * GRAVITY * c.elevation_gain_m
    if joules >= 0:
        return joules / drivetrain_efficiency / 3.6e6
    return REGEN_RECOVERY * joules / 3.6e6


def leg_energy_kwh(model: VehicleModel, distance_km: float, c: Conditions) -> float:
    """Battery energy for a leg; negative when a long descent recovers more than it uses."""
    _check(distance_km, "distanceKm", 0, 40_000, " km")
    return consumption_wh_per_km(model, c) * distance_km / 1000 + elevation_energy_kwh(model, c)


def range_km(
    model: VehicleModel,
    soc_percent: float,
    c: Conditions = REFERENCE,
    usable_capacity_kwh: float | None = None,
    measured_wh_per_km: float | None = None,
) -> float:
    """Distance on the flat from `soc_percent` down to 0%.

    `measured_wh_per_km` is the vehicle's own consumption at about the reference conditions;
    when given, the model is scaled by measured / rated.
    """
    _check(soc_percent, "socPercent", 0, 100, "%")
    usable = model.battery_capacity_kwh if usable_capacity_kwh is None else usable_capacity_kwh
    _check(usable, "usableCapacityKwh", 1, 300, " kWh")
    per_km = consumption_wh_per_km(model, c)
    if measured_wh_per_km is not None:
        _check(measured_wh_per_km, "measuredWhPerKm", 50, 1000, " Wh/km")
        per_km *= measured_wh_per_km / model.efficiency_wh_per_km
    return usable * soc_percent / 100 * 1000 / per_km
