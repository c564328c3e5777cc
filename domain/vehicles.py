"""Vehicles: one delivered car, its identity (VIN), model and the figures that age with it."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from pydantic import BaseModel, ConfigDict

from domain import validation
from domain.catalogue import find_model
from domain.errors import InvalidInput, InvalidVin
from domain.ids import new_id

MAX_NICKNAME = 40
MAX_ODOMETER_KM = 2_000_000
# ISO 3779: 17 characters, digits and capitals without I, O and Q (confused with 1 and 0).
_VIN = re.compile(r"^[A-HJ-NPR-Z0-9]{17}$")


class Vehicle(BaseModel):
    model_config = ConfigDict(frozen=True)
    id: str
    vin: str
    owner_id: str
    model_id: str
    nickname: str | None = None
    delivered_at: datetime
    odometer_km: float = 0.0
    software_version: str | None = None
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class VehicleRegistration:
    owner_id: str
    vin: str
    model_id: str
    delivered_at: datetime
    nickname: str | None = None
    odometer_km: float = 0.0


@dataclass(frozen=True, slots=True)
class VehicleChanges:
    """Only the fields that are set change; an empty nickname clears it."""

    nickname: str | None = None
    odometer_km: float | None = None


def normalize_vin(value: str) -> str:
    vin = value.strip()
    # ASCII first: upper() maps some other letters (long s, ligatures) into the alphabet.
    if not vin.isascii() or not _VIN.fullmatch(vin.upper()):
        raise InvalidVin("VIN must be 17 characters: digits and letters except I, O and Q",
                         field="vin")
    return vin.upper()


def model_id(value: str) -> str:
    if find_model(value) is None:
        raise InvalidInput(f"unknown vehicle model {value[:40]!r}", field="modelId")
    return value


def register(data: VehicleRegistration, now: datetime) -> Vehicle:
    delivered_at = validation.utc(data.delivered_at, "deliveredAt")
    if delivered_at > now:
        raise InvalidInput("deliveredAt cannot be in the future", field="deliveredAt")
    return Vehicle(
        id=new_id(now),
        vin=normalize_vin(data.vin),
        owner_id=data.owner_id,
        model_id=model_id(data.model_id),
        nickname=validation.optional_bounded(data.nickname, "nickname", max_len=MAX_NICKNAME),
        delivered_at=delivered_at,
        odometer_km=validation.non_negative(data.odometer_km, "odometerKm",
                                            maximum=MAX_ODOMETER_KM),
        created_at=now,
        updated_at=now,
    )


def changed_fields(vehicle: Vehicle, changes: VehicleChanges) -> dict[str, object]:
    """The validated field updates; the odometer never runs backwards."""
    fields: dict[str, object] = {}
    if changes.nickname is not None:
        fields["nickname"] = validation.optional_bounded(changes.nickname, "nickname",
                                                         max_len=MAX_NICKNAME)
    if changes.odometer_km is not None:
        km = validation.non_negative(changes.odometer_km, "odometerKm", maximum=MAX_ODOMETER_KM)
        if km < vehicle.odometer_km:
            raise InvalidInput("odometerKm cannot go down", field="odometerKm")
        fields["odometer_km"] = km
    return fields
