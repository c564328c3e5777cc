"""Vehicle models: the catalogue of nominal figures."""

from __future__ import annotations

import strawberry

from domain import catalogue


@strawberry.type(description="A point on the DC charging curve.")
class ChargingCurvePoint:
    soc_percent: float = strawberry.field(description="State of charge, percent.")
    power_kw: float = strawberry.field(description="Charging power at that state of charge, kW.")


@strawberry.type(description="A vehicle model with its nominal (as-new) figures.")
class VehicleModel:
    id: strawberry.ID = strawberry.field(description="Stable model identifier.")
    name: str = strawberry.field(description="Marketing name.")
    manufacturer: str = strawberry.field(description="Brand.")
    battery_capacity_kwh: float = strawberry.field(description="Nominal usable capacity, kWh.")
    efficiency_wh_per_km: float = strawberry.field(
        description="Rated consumption at the reference conditions (WLTP-like), Wh/km.")
    max_ac_power_kw: float = strawberry.field(description="On-board AC charger limit, kW.")
    max_dc_power_kw: float = strawberry.field(description="DC peak charging power, kW.")
    nominal_voltage: int = strawberry.field(description="Pack voltage class: 400 or 800 V.")
    mass_kg: float = strawberry.field(description="Kerb mass, kg.")
    dc_charging_curve: list[ChargingCurvePoint] = strawberry.field(
        description="DC charging power by state of charge, ascending SoC.")

    @classmethod
    def from_domain(cls, model: catalogue.VehicleModel) -> VehicleModel:
        return cls(
            id=strawberry.ID(model.id), name=model.name, manufacturer=model.manufacturer,
            battery_capacity_kwh=model.battery_capacity_kwh,
            efficiency_wh_per_km=model.efficiency_wh_per_km,
            max_ac_power_kw=model.max_ac_power_kw, max_dc_power_kw=model.max_dc_power_kw,
            nominal_voltage=model.nominal_voltage, mass_kg=model.mass_kg,
            dc_charging_curve=[ChargingCurvePoint(soc_percent=p.soc_percent, power_kw=p.power_kw)
                               for p in model.dc_charging_curve],
        )


# The catalogue is static: map it once, not per request.
MODELS = {model.id: VehicleModel.from_domain(model) for model in catalogue.CATALOGUE}


@strawberry.type
class CatalogueQuery:
    @strawberry.field(description="All vehicle models in the catalogue.")
    def vehicle_models(self) -> list[VehicleModel]:
        return list(MODELS.values())
