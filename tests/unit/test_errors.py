"""Domain errors: the stable codes the API hands to clients, and which failures are bad input."""

from __future__ import annotations

import pytest

from domain.errors import (
    AccessDenied,
    DomainError,
    DuplicateEmail,
    DuplicateVin,
    InvalidEmail,
    InvalidInput,
    InvalidVin,
    NotFound,
)


@pytest.mark.parametrize(
    ("error", "code"),
    [
        (InvalidInput, "BAD_USER_INPUT"),
        (InvalidVin, "INVALID_VIN"),
        (InvalidEmail, "INVALID_EMAIL"),
        (DuplicateVin, "DUPLICATE_VIN"),
        (DuplicateEmail, "DUPLICATE_EMAIL"),
        (NotFound, "NOT_FOUND"),
        (AccessDenied, "FORBIDDEN"),
    ],
)
def test_each_error_has_its_client_facing_code(error: type[DomainError], code: str) -> None:
    assert error("x").code == code


@pytest.mark.parametrize("error", [InvalidVin, InvalidEmail])
def test_field_format_errors_are_invalid_input(error: type[DomainError]) -> None:
    assert issubclass(error, InvalidInput)


@pytest.mark.parametrize("error", [DuplicateVin, DuplicateEmail, NotFound, AccessDenied])
def test_conflicts_and_refusals_are_not_invalid_input(error: type[DomainError]) -> None:
    assert not issubclass(error, InvalidInput)
    assert issubclass(error, DomainError)


def test_an_error_keeps_its_message_and_field() -> None:
    error = InvalidVin("VIN must be 17 characters", field="vin")
    assert error.message == "VIN must be 17 characters"
    assert str(error) == "VIN must be 17 characters"
    assert error.field == "vin"


def test_an_error_without_a_field_has_none() -> None:
    assert NotFound("vehicle not found").field is None
