"""Expected failures. Each has a stable `code`; the API maps them to GraphQL errors."""

from __future__ import annotations


class DomainError(Exception):
    code = "BAD_USER_INPUT"

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class InvalidInput(DomainError):
    code = "BAD_USER_INPUT"


class InvalidVin(InvalidInput):
    code = "INVALID_VIN"


class InvalidEmail(InvalidInput):
    code = "INVALID_EMAIL"


class DuplicateVin(DomainError):
    code = "DUPLICATE_VIN"


class DuplicateEmail(DomainError):
    code = "DUPLICATE_EMAIL"


class NotFound(DomainError):
    code = "NOT_FOUND"


class AccessDenied(DomainError):
    code = "FORBIDDEN"


class ImpossibleSession(InvalidInput):
    """A charging session that cannot have happened (time, state of charge or energy)."""

    code = "IMPOSSIBLE_SESSION"


class SlotUnavailable(DomainError):
    code = "SLOT_UNAVAILABLE"


class LoanerUnavailable(DomainError):
    code = "LOANER_UNAVAILABLE"


class OutsideOpeningHours(DomainError):
    code = "OUTSIDE_OPENING_HOURS"


class InvalidTransition(DomainError):
    code = "INVALID_TRANSITION"
