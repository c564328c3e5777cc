"""Domain events: what happened, in the past tense. Later features react to them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class DomainEvent:
    at: datetime


@dataclass(frozen=True, slots=True)
class OwnerRegistered(DomainEvent):
    owner_id: str


@dataclass(frozen=True, slots=True)
class VehicleRegistered(DomainEvent):
    vehicle_id: str
    owner_id: str
    model_id: str


@dataclass(frozen=True, slots=True)
class VehicleUpdated(DomainEvent):
    vehicle_id: str
    fields: tuple[str, ...]
