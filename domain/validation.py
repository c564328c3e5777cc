"""Field rules shared by every input: bounded strings, email, locale, timezone."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from email_validator import EmailNotValidError, validate_email

from domain.errors import InvalidEmail, InvalidInput

MAX_EMAIL = 254
_LOCALE = re.compile(r"^[a-z]{2,3}(-[A-Z]{2})?$")
_CURRENCY = re.compile(r"[A-Z]{3}")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# Times outside these years are not EV ownership data, and near the ends of the calendar the
# arithmetic on them (a day before, a month after) overflows.
EARLIEST_YEAR, LATEST_YEAR = 1970, 2200


def bounded(value: str, field: str, *, max_len: int, min_len: int = 1) -> str:
    text = value.strip()
    if not min_len <= len(text) <= max_len:
        raise InvalidInput(f"{field} must be {min_len} to {max_len} characters", field=field)
    return printable(text, field)


def printable(text: str, field: str) -> str:
    """Text a database can store and a screen can show: valid Unicode (no lone surrogates),
    no control characters but tab and line breaks."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise InvalidInput(f"{field} is not valid Unicode text", field=field) from None
    if _CONTROL.search(text):
        raise InvalidInput(f"{field} contains control characters", field=field)
    return text


def optional_bounded(value: str | None, field: str, *, max_len: int) -> str | None:
    if value is None or not value.strip():
        return None
    return bounded(value, field, max_len=max_len)


def email_address(value: str, field: str = "email") -> str:
    if len(value) > MAX_EMAIL:
        raise InvalidEmail(f"{field} is longer than {MAX_EMAIL} characters", field=field)
    try:
        # Deliverability needs DNS, which is I/O; syntax is what the domain can judge.
        checked = validate_email(value.strip(), check_deliverability=False)
    except EmailNotValidError as error:
        raise InvalidEmail(f"{field} is not a valid email address: {error}", field=field) from None
    return checked.normalized.lower()


def locale_tag(value: str, field: str = "locale") -> str:
    if not _LOCALE.fullmatch(value):
        raise InvalidInput(f"{field} must look like 'en' or 'de-DE'", field=field)
    return value


def timezone_name(value: str, field: str = "timezone") -> str:
    if len(value) > 64:
        raise InvalidInput(f"{field} is not an IANA timezone", field=field)
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError, OSError):  # a region folder is a directory
        raise InvalidInput(f"{field} is not an IANA timezone", field=field) from None
    return value


def non_negative(value: float, field: str, *, maximum: float) -> float:
    if not 0 <= value <= maximum:
        raise InvalidInput(f"{field} must be between 0 and {maximum:g}", field=field)
    return value


def utc(value: datetime, field: str = "time") -> datetime:
    """Times without an offset are taken as UTC; all stored times are UTC."""
    if not EARLIEST_YEAR <= value.year <= LATEST_YEAR:
        raise InvalidInput(f"{field} must be between {EARLIEST_YEAR} and {LATEST_YEAR}",
                           field=field)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def currency_code(value: str, field: str = "currency") -> str:
    code = value.strip().upper()
    if not _CURRENCY.fullmatch(code):
        raise InvalidInput(f"{field} must be an ISO 4217 code such as EUR", field=field)
    return code
