"""Public charging stations: OCPI 2.2.1 `Location` import and a deterministic demo network.

A station is one OCPI Location; its connectors are those of every EVSE that is not REMOVED.
A connector's power is its `max_electric_power` (W) when given, else voltage x amperage, times
three for AC_3_PHASE (OCPI gives the line-to-neutral voltage). Powers are never summed.
"""

from __future__ import annotations

import math
import random
import re
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime, timedelta
from itertools import count as counting
from typing import Any

from pydantic import BaseModel, ConfigDict

from domain import validation
from domain.errors import InvalidInput
from domain.geo import GeoPoint, distance_km, point

POWER_TYPES = frozenset({"AC_1_PHASE", "AC_2_PHASE", "AC_2_PHASE_SPLIT", "AC_3_PHASE", "DC"})
_UNSAFE_ID_CHARS = re.compile(r"[^A-Za-z0-9_.-]")


class Connector(BaseModel):
    model_config = ConfigDict(frozen=True)
    type: str  # OCPI ConnectorType, e.g. IEC_62196_T2_COMBO, CHADEMO, IEC_62196_T2
    format: str  # SOCKET or CABLE
    power_type: str  # AC_1_PHASE, AC_3_PHASE, DC, ...
    max_power_kw: float


class ChargingStation(BaseModel):
    model_config = ConfigDict(frozen=True)
    id: str
    name: str
    operator: str | None
    location: GeoPoint
    address: str
    city: str
    country: str  # ISO 3166-1 alpha-3, as OCPI gives it
    connectors: tuple[Connector, ...]
    price_per_kwh: float | None = None
    currency: str | None = None
    updated_at: datetime

    @property
    def max_power_kw(self) -> float:
        """The fastest connector's power; 0 for a station without connectors."""
        return max((connector.max_power_kw for connector in self.connectors), default=0.0)


def station_id(country_code: str, party_id: str, location_id: str) -> str:
    """Our id for an OCPI location: unique per CPO, only characters safe in ids and URLs."""
    return _UNSAFE_ID_CHARS.sub("_", f"{country_code}-{party_id}-{location_id}")


# --- OCPI import ---------------------------------------------------------------------------


def _required_text(doc: Mapping[str, Any], key: str, field: str) -> str:
    value = doc.get(key)
    if not isinstance(value, str) or not value.strip():
        raise InvalidInput(f"{field} must be a non-empty string", field=field)
    return value.strip()


def _optional_text(doc: Mapping[str, Any], key: str, field: str) -> str | None:
    return None if doc.get(key) is None else _required_text(doc, key, field)


def _number(value: object, field: str) -> float:
    """A finite positive number; OCPI sends numbers, coordinates arrive as decimal strings."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise InvalidInput(f"{field} must be a number", field=field)
    try:
        number = float(value)
    except (ValueError, OverflowError):
        raise InvalidInput(f"{field} must be a number, got {str(value)[:30]!r}",
                           field=field) from None
    if not math.isfinite(number):
        raise InvalidInput(f"{field} must be a finite number", field=field)
    return number


def _positive(value: object, field: str) -> float:
    if isinstance(value, str):  # power figures are JSON numbers in OCPI, never strings
        raise InvalidInput(f"{field} must be a number", field=field)
    number = _number(value, field)
    if number <= 0:
        raise InvalidInput(f"{field} must be greater than 0", field=field)
    return number


def _mapping(value: object, field: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise InvalidInput(f"{field} must be an object", field=field)
    return value


def _list(value: object, field: str) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise InvalidInput(f"{field} must be a list", field=field)
    return value


def _timestamp(value: object, field: str) -> datetime:
    if not isinstance(value, str):
        raise InvalidInput(f"{field} must be an ISO 8601 timestamp", field=field)
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise InvalidInput(f"{field} must be an ISO 8601 timestamp, got {value!r}",
                           field=field) from None
    # OCPI timestamps are UTC; BSON keeps milliseconds only.
    parsed = validation.utc(parsed, field)
    return parsed.replace(microsecond=parsed.microsecond // 1000 * 1000)


MAX_CONNECTOR_KW = 2000.0  # megawatt chargers for trucks are the top of the range


def connector_power_kw(doc: Mapping[str, Any], field: str = "connector") -> float:
    power_type = _required_text(doc, "power_type", f"{field}.power_type")
    if power_type not in POWER_TYPES:
        raise InvalidInput(f"{field}.power_type must be one of {sorted(POWER_TYPES)}",
                           field=f"{field}.power_type")
    if doc.get("max_electric_power") is not None:
        return _positive(doc["max_electric_power"], f"{field}.max_electric_power") / 1000
    voltage = _positive(doc.get("max_voltage"), f"{field}.max_voltage")
    amperage = _positive(doc.get("max_amperage"), f"{field}.max_amperage")
    phases = 3 if power_type == "AC_3_PHASE" else 1
    kw = voltage * amperage * phases / 1000
    if not 0 < kw <= MAX_CONNECTOR_KW:
        raise InvalidInput(f"{field}: {kw:g} kW is not a charger's power", field=field)
    return kw


def _connector(doc: object, field: str) -> Connector:
    data = _mapping(doc, field)
    return Connector(type=_required_text(data, "standard", f"{field}.standard"),
                     format=_required_text(data, "format", f"{field}.format"),
                     power_type=_required_text(data, "power_type", f"{field}.power_type"),
                     max_power_kw=connector_power_kw(data, field))


def from_ocpi_location(doc: Mapping[str, Any]) -> ChargingStation:
    """One OCPI 2.2.1 Location as a station; InvalidInput names the first malformed field."""
    doc = _mapping(doc, "location")
    location_id = _required_text(doc, "id", "id")
    country_code = _required_text(doc, "country_code", "country_code")
    party_id = _required_text(doc, "party_id", "party_id")
    coordinates = doc.get("coordinates")
    if coordinates is None:
        raise InvalidInput("coordinates are required", field="coordinates")
    coordinates = _mapping(coordinates, "coordinates")
    if coordinates.get("latitude") is None or coordinates.get("longitude") is None:
        raise InvalidInput("coordinates need latitude and longitude", field="coordinates")
    latitude = _number(coordinates["latitude"], "coordinates.latitude")
    longitude = _number(coordinates["longitude"], "coordinates.longitude")
    address = _required_text(doc, "address", "address")
    operator = doc.get("operator")
    operator_name = (None if operator is None
                     else _optional_text(_mapping(operator, "operator"), "name", "operator.name"))
    connectors: list[Connector] = []
    for e, evse in enumerate(_list(doc.get("evses"), "evses")):
        evse_doc = _mapping(evse, f"evses[{e}]")
        if evse_doc.get("status") == "REMOVED":
            continue
        for c, connector in enumerate(_list(evse_doc.get("connectors"), f"evses[{e}].connectors")):
            connectors.append(_connector(connector, f"evses[{e}].connectors[{c}]"))
    return ChargingStation(
        id=station_id(country_code, party_id, location_id),
        name=_optional_text(doc, "name", "name") or address,  # name is optional in OCPI
        operator=operator_name,
        location=point(latitude, longitude, "coordinates"),
        address=address,
        city=_required_text(doc, "city", "city"),
        country=_required_text(doc, "country", "country"),
        connectors=tuple(connectors),
        updated_at=_timestamp(doc.get("last_updated"), "last_updated"),
    )


# --- Demo network --------------------------------------------------------------------------

DEMO_EPOCH = datetime(2025, 1, 1, tzinfo=UTC)
MIN_SPACING_KM = 25.0
MAX_SPACING_KM = 60.0
CITY_RADIUS_KM = 12.0

# code: (name, lat, lng, ISO alpha-2, ISO alpha-3)
DEMO_CITIES: dict[str, tuple[str, float, float, str, str]] = {
    "HAM": ("Hamburg", 53.5511, 9.9937, "DE", "DEU"),
    "BER": ("Berlin", 52.5200, 13.4050, "DE", "DEU"),
    "MUC": ("Munich", 48.1351, 11.5820, "DE", "DEU"),
    "MIL": ("Milan", 45.4642, 9.1900, "IT", "ITA"),
    "PAR": ("Paris", 48.8566, 2.3522, "FR", "FRA"),
    "AMS": ("Amsterdam", 52.3676, 4.9041, "NL", "NLD"),
}
DEMO_CORRIDORS: tuple[tuple[str, str], ...] = (
    ("HAM", "BER"), ("BER", "MUC"), ("MUC", "MIL"), ("MIL", "PAR"), ("PAR", "AMS"),
    ("AMS", "HAM"),
)
# name: (OCPI party id, lowest price, highest price) in EUR/kWh
DEMO_OPERATORS: dict[str, tuple[str, float, float]] = {
    "Ionity": ("ION", 0.59, 0.79),
    "Fastned": ("FAS", 0.49, 0.69),
    "Allego": ("ALG", 0.45, 0.69),
    "EnBW": ("EBW", 0.39, 0.59),
    "Tesla": ("TSL", 0.39, 0.59),
}


def _ccs(kw: float) -> Connector:
    return Connector(type="IEC_62196_T2_COMBO", format="CABLE", power_type="DC", max_power_kw=kw)


def _chademo() -> Connector:
    return Connector(type="CHADEMO", format="CABLE", power_type="DC", max_power_kw=50.0)


def _type2(kw: float) -> Connector:
    return Connector(type="IEC_62196_T2", format="SOCKET", power_type="AC_3_PHASE",
                     max_power_kw=kw)


def _corridor_connectors(rng: random.Random, operator: str) -> tuple[Connector, ...]:
    if operator == "Ionity":
        return tuple(_ccs(350.0) for _ in range(rng.randint(4, 6)))
    kw = rng.choice((150.0, 150.0, 350.0)) if operator != "Tesla" else 150.0
    connectors = [_ccs(kw) for _ in range(rng.randint(2, 6))]
    if operator in ("Fastned", "Allego") and rng.random() < 0.5:
        connectors.append(_chademo())
    if rng.random() < 0.4:
        connectors.append(_type2(22.0))
    return tuple(connectors)


def _city_connectors(rng: random.Random) -> tuple[Connector, ...]:
    if rng.random() < 0.3:
        return (_ccs(50.0), _chademo(), _type2(22.0))
    kw = rng.choice((11.0, 22.0))
    return tuple(_type2(kw) for _ in range(rng.randint(2, 4)))


def _station(seed: int, key: str, site: GeoPoint, name: str, address: str, city: str,
             country: tuple[str, str], corridor: bool) -> ChargingStation:
    rng = random.Random(f"{seed}:station:{key}")
    operator = rng.choice(list(DEMO_OPERATORS) if corridor else ["Allego", "EnBW", "Fastned"])
    party, low, high = DEMO_OPERATORS[operator]
    connectors = _corridor_connectors(rng, operator) if corridor else _city_connectors(rng)
    return ChargingStation(
        id=station_id(country[0], party, key), name=f"{operator} {name}", operator=operator,
        location=site, address=address, city=city, country=country[1], connectors=connectors,
        price_per_kwh=round(rng.uniform(low, high), 2), currency="EUR",
        updated_at=DEMO_EPOCH - timedelta(seconds=rng.randrange(90 * 24 * 3600)))


def _corridor(seed: int, start: str, end: str) -> list[ChargingStation]:
    """Stations every 25-60 km on the straight line between two cities, a little off it."""
    rng = random.Random(f"{seed}:corridor:{start}-{end}")
    a_name, a_lat, a_lng, *a_country = DEMO_CITIES[start]
    b_name, b_lat, b_lng, *b_country = DEMO_CITIES[end]
    total = distance_km(GeoPoint(lat=a_lat, lng=a_lng), GeoPoint(lat=b_lat, lng=b_lng))
    stations: list[ChargingStation] = []
    km = rng.uniform(MIN_SPACING_KM, MAX_SPACING_KM)
    while total - km >= MIN_SPACING_KM:
        t = km / total
        site = GeoPoint(lat=round(a_lat + (b_lat - a_lat) * t + rng.uniform(-0.005, 0.005), 6),
                        lng=round(a_lng + (b_lng - a_lng) * t + rng.uniform(-0.005, 0.005), 6))
        first_half = t < 0.5
        key = f"{start}-{end}-{len(stations) + 1:03d}"
        stations.append(_station(
            seed, key, site, name=f"{a_name}-{b_name} km {km:.0f}",
            address=f"Motorway {a_name}-{b_name}, km {km:.0f}",
            city=a_name if first_half else b_name,
            country=(a_country[0], a_country[1]) if first_half else (b_country[0], b_country[1]),
            corridor=True))
        km += rng.uniform(MIN_SPACING_KM, MAX_SPACING_KM)
    return stations


def _city_station(seed: int, code: str, index: int) -> ChargingStation:
    name, lat, lng, alpha2, alpha3 = DEMO_CITIES[code]
    rng = random.Random(f"{seed}:city:{code}:{index}")
    bearing = rng.uniform(0, 2 * math.pi)
    radius = CITY_RADIUS_KM * math.sqrt(rng.random())
    d_lat = radius * math.cos(bearing) / 111.32
    d_lng = radius * math.sin(bearing) / (111.32 * math.cos(math.radians(lat)))
    site = GeoPoint(lat=round(lat + d_lat, 6), lng=round(lng + d_lng, 6))
    return _station(seed, f"{code}-C{index:03d}", site, name=f"{name} #{index}",
                    address=f"{name} city charging point {index}", city=name,
                    country=(alpha2, alpha3), corridor=False)


def _network(seed: int) -> Iterator[ChargingStation]:
    corridors = [_corridor(seed, start, end) for start, end in DEMO_CORRIDORS]
    for index in range(max(len(stations) for stations in corridors)):
        for stations in corridors:
            if index < len(stations):
                yield stations[index]
    for index in counting(1):
        for code in DEMO_CITIES:
            yield _city_station(seed, code, index)


def demo_network(seed: int, count: int) -> list[ChargingStation]:
    """`count` stations: corridor stations first (the corridors taken in turn, so any prefix is
    spread over all of them), then city clusters. Same seed, same stations; a smaller count is
    a prefix of a larger one."""
    if count < 0:
        raise InvalidInput("count must not be negative", field="count")
    network = _network(seed)
    return [next(network) for _ in range(count)]
