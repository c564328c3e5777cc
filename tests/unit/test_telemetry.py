"""Telemetry rules: checking events, ordering, driving segments and measured consumption."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from domain import telemetry
from domain.access import Principal, Role, can_ingest_telemetry
from domain.errors import InvalidInput
from domain.geo import GeoPoint
from domain.telemetry import (
    FaultCodesReported,
    TelemetryEvent,
    TelemetryReport,
    VehicleStatus,
    VehicleStatusReported,
)

NOW = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
VIN = "WVWZZZ1JZXW000001"
CAPACITY = 60.0


def report(minute: int = 0, **fields: Any) -> TelemetryReport:
    values: dict[str, Any] = {"vin": VIN, "event_id": f"e-{minute}",
                              "at": NOW - timedelta(hours=2) + timedelta(minutes=minute),
                              "soc_percent": 80.0, "odometer_km": 1000.0, "charging": False}
    return TelemetryReport(**{**values, **fields})


def event(minute: int = 0, **fields: Any) -> TelemetryEvent:
    return telemetry.accept(report(minute, **fields), "v-1", VIN, NOW)


def fold(*events: TelemetryEvent, before: VehicleStatus | None = None) -> VehicleStatus:
    after = telemetry.advance(before, "v-1", events, CAPACITY)
    assert after is not None
    return after


def test_an_event_is_checked_and_normalised() -> None:
    at = datetime(2025, 6, 1, 11, 0, 0, 123456, tzinfo=UTC)
    checked = telemetry.accept(report(at=at, fault_codes=(" p0a80", "U0100", "P0A80")),
                               "v-1", VIN, NOW)
    assert checked.at == datetime(2025, 6, 1, 11, 0, 0, 123000, tzinfo=UTC)
    assert checked.fault_codes == ("P0A80", "U0100")
    assert checked.received_at == NOW


def test_a_clock_a_little_ahead_is_tolerated() -> None:
    assert telemetry.accept(report(at=NOW + timedelta(minutes=4)), "v-1", VIN, NOW)


@pytest.mark.parametrize(("fields", "field"), [
    ({"soc_percent": 100.5}, "socPercent"),
    ({"soc_percent": -1}, "socPercent"),
    ({"odometer_km": -0.1}, "odometerKm"),
    ({"range_km": -5}, "rangeKm"),
    ({"battery_temp_c": 120}, "batteryTempC"),
    ({"charger_power_kw": -3}, "chargerPowerKw"),
    ({"location": GeoPoint(lat=90.5, lng=0)}, "location"),
    ({"location": GeoPoint(lat=0, lng=-181)}, "location"),
    ({"at": NOW + timedelta(minutes=6)}, "at"),
    ({"at": datetime(1970, 1, 1, tzinfo=UTC)}, "at"),
    ({"event_id": " "}, "eventId"),
    ({"event_id": "x" * 101}, "eventId"),
    ({"fault_codes": tuple(f"P{i:04d}" for i in range(51))}, "faultCodes"),
    ({"fault_codes": ("P" * 33,)}, "faultCodes"),
    ({"fault_codes": ("P0 A80",)}, "faultCodes"),
    ({"fault_codes": ("",)}, "faultCodes"),
])
def test_implausible_events_are_refused(fields: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        telemetry.accept(report(**fields), "v-1", VIN, NOW)
    assert refused.value.field == field


def test_events_apply_in_time_order_whatever_order_they_arrive_in() -> None:
    status = fold(event(10, soc_percent=70), event(0), event(5, soc_percent=75))
    assert (status.at, status.event_id, status.soc_percent) == (event(10).at, "e-10", 70)


def test_events_older_than_the_state_change_nothing() -> None:
    newest = fold(event(10, soc_percent=70))
    assert telemetry.advance(newest, "v-1", [event(5, soc_percent=20)], CAPACITY) is None
    assert telemetry.advance(newest, "v-1", [event(10, event_id="again")], CAPACITY) is None


def test_values_not_reported_carry_over() -> None:
    first = fold(event(0, range_km=300, location=GeoPoint(lat=52.5, lng=13.4),
                       fault_codes=("P0A80",)))
    second = fold(event(1, soc_percent=None, range_km=None, location=None), before=first)
    assert second.soc_percent == 80
    assert second.range_km == 300
    assert second.location == GeoPoint(lat=52.5, lng=13.4)
    assert second.fault_codes == ("P0A80",)
    assert fold(event(2, fault_codes=()), before=second).active_fault_codes == ()


def test_driving_adds_distance_and_the_energy_of_the_soc_drop() -> None:
    status = fold(event(0), event(30, soc_percent=70, odometer_km=1050),
                  event(60, soc_percent=60, odometer_km=1110))
    assert status.driven_km == pytest.approx(110)
    assert status.energy_used_kwh == pytest.approx(0.20 * CAPACITY)


def test_accumulation_continues_from_the_stored_state() -> None:
    first = fold(event(0), event(30, soc_percent=70, odometer_km=1050))
    second = fold(event(60, soc_percent=60, odometer_km=1100), before=first)
    assert (second.driven_km, second.energy_used_kwh) == pytest.approx((100, 12))


@pytest.mark.parametrize(("before", "after"), [
    ({"charging": True}, {}),
    ({}, {"charging": True}),
    ({}, {"odometer_km": 2000}),  # a 1,000 km jump: a lost stretch or a new cluster
    ({}, {"odometer_km": 1000}),  # parked
    ({}, {"odometer_km": 990}),
    ({}, {"soc_percent": 85}),  # regeneration downhill or a charge in between
    ({"soc_percent": None}, {}),
    ({}, {"odometer_km": None}),
])
def test_only_plain_driving_counts(before: dict[str, Any], after: dict[str, Any]) -> None:
    start = telemetry.Reading(**{"soc_percent": 80.0, "odometer_km": 1000.0, **before})
    end = telemetry.Reading(**{"soc_percent": 70.0, "odometer_km": 1050.0, **after})
    assert telemetry.driving_segment(start, end, CAPACITY) is None


def test_plain_driving_is_a_segment() -> None:
    start = telemetry.Reading(soc_percent=80.0, odometer_km=1000.0)
    end = telemetry.Reading(soc_percent=70.0, odometer_km=1050.0, charging=False)
    assert telemetry.driving_segment(start, end, CAPACITY) == telemetry.Segment(50, 6.0)


def _status(driven_km: float, energy_used_kwh: float) -> VehicleStatus:
    return VehicleStatus(vehicle_id="v-1", at=NOW, event_id="e", driven_km=driven_km,
                         energy_used_kwh=energy_used_kwh)


def test_measured_consumption_needs_enough_distance() -> None:
    assert telemetry.measured_wh_per_km(None) is None
    assert telemetry.measured_wh_per_km(_status(199.9, 40)) is None
    assert telemetry.measured_wh_per_km(_status(200, 40)) == pytest.approx(200)


@pytest.mark.parametrize("energy_kwh", [5.0, 300.0])
def test_implausible_measured_consumption_is_not_used(energy_kwh: float) -> None:
    assert telemetry.measured_wh_per_km(_status(250, energy_kwh)) is None


def test_a_new_state_reports_itself_and_only_new_fault_codes() -> None:
    before = fold(event(0, fault_codes=("P0A80",)))
    after = fold(event(1, fault_codes=("P0A80", "U0100"), range_km=250), before=before)
    status, faults = telemetry.status_events(before, after, "owner-1")
    assert status == VehicleStatusReported(at=after.at, vehicle_id="v-1", owner_id="owner-1",
                                           soc_percent=80, charging=False, odometer_km=1000,
                                           range_km=250)
    assert faults == FaultCodesReported(at=after.at, vehicle_id="v-1", owner_id="owner-1",
                                        codes=("U0100",))
    cleared = fold(event(2, fault_codes=("U0100",)), before=after)
    assert [type(e) for e in telemetry.status_events(after, cleared, "owner-1")] == [
        VehicleStatusReported]


def test_the_first_state_reports_every_active_fault_code() -> None:
    first = fold(event(0, fault_codes=("P0A80",)))
    events = telemetry.status_events(None, first, "owner-1")
    assert [e.codes for e in events if isinstance(e, FaultCodesReported)] == [("P0A80",)]


@pytest.mark.parametrize("role", list(Role))
def test_only_the_gateway_and_admins_ingest_telemetry(role: Role) -> None:
    allowed = role in (Role.VEHICLE_GATEWAY, Role.ADMIN)
    assert can_ingest_telemetry(Principal(role, "subject-1")) is allowed


def test_a_report_leaves_out_what_was_not_measured() -> None:
    bare = TelemetryReport(vin=VIN, event_id="e", at=NOW)
    assert all(getattr(bare, f.name) is None for f in dataclasses.fields(bare)
               if f.name not in ("vin", "event_id", "at"))
    assert telemetry.accept(bare, "v-1", VIN, NOW).fault_codes is None


def test_a_fault_raised_and_cleared_inside_one_batch_is_still_reported() -> None:
    before = fold(event(0, fault_codes=("P1A10",)))
    batch = [event(2, fault_codes=()), event(1, fault_codes=("P1A10", "U0100"))]
    after = fold(*batch, before=before)
    assert after.active_fault_codes == ()
    assert telemetry.raised_fault_codes(before, telemetry.newer_than(before, batch)) == (
        "U0100",)
    [fault] = [e for e in telemetry.status_events(before, after, "o1", batch)
               if isinstance(e, telemetry.FaultCodesReported)]
    assert fault.codes == ("U0100",)  # P1A10 was already active
