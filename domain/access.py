"""Who may see and change what. The API authenticates; these rules decide per object."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from domain.errors import AccessDenied


class Role(StrEnum):
    OWNER = "OWNER"
    SERVICE_STAFF = "SERVICE_STAFF"
    OEM_ANALYST = "OEM_ANALYST"
    ADMIN = "ADMIN"
    # The connected-vehicle backend that forwards telemetry; it acts for no person.
    VEHICLE_GATEWAY = "VEHICLE_GATEWAY"


@dataclass(frozen=True, slots=True)
class Principal:
    role: Role
    subject: str
    center_id: str | None = None

    @property
    def owner_id(self) -> str | None:
        return self.subject if self.role is Role.OWNER else None

    @property
    def is_admin(self) -> bool:
        return self.role is Role.ADMIN


def can_read_owner(actor: Principal, owner_id: str) -> bool:
    return actor.is_admin or actor.owner_id == owner_id


def can_manage_owner_vehicles(actor: Principal, owner_id: str) -> bool:
    """Registering or editing vehicles: an admin, or the owner for themself."""
    return can_read_owner(actor, owner_id)


def can_manage_center(actor: Principal, center_id: str) -> bool:
    """Staff run their own center's calendar; admins any."""
    return actor.is_admin or (actor.role is Role.SERVICE_STAFF and actor.center_id == center_id)


def can_change_appointment(actor: Principal, owner_id: str, center_id: str) -> bool:
    """Rescheduling and cancelling: the owner, the center's staff, or an admin."""
    return can_read_owner(actor, owner_id) or can_manage_center(actor, center_id)


def can_ingest_telemetry(actor: Principal) -> bool:
    """Vehicle data comes from the gateway (or an admin replaying it), never from a person."""
    return actor.role in (Role.VEHICLE_GATEWAY, Role.ADMIN)


def can_export_owner_data(actor: Principal, owner_id: str) -> bool:
    """A data export goes to the person it is about, never to anyone else (admins included)."""
    return actor.owner_id == owner_id


def can_erase_owner(actor: Principal, owner_id: str) -> bool:
    """Deleting an account: the owner themself, or an admin (a request by mail, a court order)."""
    return can_read_owner(actor, owner_id)


def ensure(allowed: bool, what: str) -> None:
    if not allowed:
        raise AccessDenied(f"not allowed to {what}")
