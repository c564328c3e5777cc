"""Builds the repositories for one database; the composition root calls this once."""

from __future__ import annotations

from dataclasses import dataclass

from store.appointments import MongoAppointmentRepository
from store.battery import MongoBatteryRepository
from store.capacity import MongoCapacityRepository
from store.charging import MongoChargingRepository
from store.charging_stations import MongoChargingStationRepository
from store.client import Database
from store.ota import MongoOtaRepository
from store.owners import MongoOwnerRepository
from store.service_centers import MongoServiceCenterRepository
from store.vehicles import MongoVehicleRepository


@dataclass(frozen=True, slots=True)
class MongoRepositories:
    owners: MongoOwnerRepository
    vehicles: MongoVehicleRepository
    charging: MongoChargingRepository
    battery: MongoBatteryRepository
    centers: MongoServiceCenterRepository
    capacity: MongoCapacityRepository
    appointments: MongoAppointmentRepository
    ota: MongoOtaRepository
    stations: MongoChargingStationRepository


def build_repositories(db: Database) -> MongoRepositories:
    return MongoRepositories(
        owners=MongoOwnerRepository(db), vehicles=MongoVehicleRepository(db),
        charging=MongoChargingRepository(db), battery=MongoBatteryRepository(db),
        centers=MongoServiceCenterRepository(db), capacity=MongoCapacityRepository(db),
        appointments=MongoAppointmentRepository(db), ota=MongoOtaRepository(db),
        stations=MongoChargingStationRepository(db))
