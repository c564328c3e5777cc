"""What a rule may know besides its event: the owner, the vehicle and per-kind extras."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from domain.battery import BatteryHealth
from domain.catalogue import find_model
from domain.events import DomainEvent
from domain.notifications.model import Candidate, Withdrawal
from domain.ota import SoftwareRelease
from domain.owners import Owner
from domain.service_centers import ServiceCenter
from domain.service_schedule import ServiceDue
from domain.vehicles import Vehicle

DAY = timedelta(days=1)
APP = "evjourney://"


@dataclass(frozen=True, slots=True)
class Facts:
    owner: Owner
    vehicle: Vehicle | None
    now: datetime
    release: SoftwareRelease | None = None
    center: ServiceCenter | None = None
    health: BatteryHealth | None = None
    service_due: Sequence[ServiceDue] = ()

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.owner.timezone)

    def local(self, at: datetime) -> datetime:
        return at.astimezone(self.zone)

    @property
    def vehicle_name(self) -> str:
        if self.vehicle is None:
            return ""
        if self.vehicle.nickname:
            return self.vehicle.nickname
        model = find_model(self.vehicle.model_id)
        return model.name if model else self.vehicle.model_id


type Proposal = Candidate | Withdrawal
type Rule = Callable[[Any, Facts], list[Proposal]]
type Rules = dict[type[DomainEvent], list[Rule]]


def booking_link(vehicle_id: str, concern: str) -> str:
    """Opens the booking form with the concern filled in."""
    return f"{APP}service/book?{urlencode({'vehicleId': vehicle_id, 'concern': concern})}"
