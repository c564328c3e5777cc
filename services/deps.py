"""What every use case receives: the ports it may use and a clock."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from domain.ports import EventSink, OwnerRepository, VehicleRepository


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class Deps:
    owners: OwnerRepository
    vehicles: VehicleRepository
    events: EventSink
    clock: Callable[[], datetime] = field(default=utc_now)
