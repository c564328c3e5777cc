"""Typed errors in mutation payloads: expected failures are data, not exceptions."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import strawberry

from domain import errors


@strawberry.interface(description="Something in the input that the mutation could not accept.")
class UserError:
    message: str = strawberry.field(description="What went wrong, for people.")
    field: str | None = strawberry.field(description="The input field at fault, if one is.")
    code: str = strawberry.field(description="Stable machine-readable code.")


@strawberry.type(description="An input value is out of range, malformed or too long.")
class InvalidInput(UserError):
    pass


@strawberry.type(description="The VIN is not 17 characters of digits and letters without I, O, Q.")
class InvalidVin(UserError):
    pass


@strawberry.type(description="The email address is not valid.")
class InvalidEmail(UserError):
    pass


@strawberry.type(description="Another vehicle already has this VIN.")
class DuplicateVin(UserError):
    pass


@strawberry.type(description="Another owner already has this email address.")
class DuplicateEmail(UserError):
    pass


@strawberry.type(description="A referenced object does not exist.")
class NotFound(UserError):
    pass


@strawberry.type(description="The session cannot have happened: times, state of charge or "
                              "energy are impossible for this vehicle.")
class ImpossibleSession(UserError):
    pass


@strawberry.type(description="The signed-in user may not do this (in batch results).")
class Forbidden(UserError):
    pass


@strawberry.type(description="The slot has no bay or technician left; pick another.")
class SlotUnavailable(UserError):
    pass


@strawberry.type(description="No loaner car is left that day.")
class LoanerUnavailable(UserError):
    pass


@strawberry.type(description="The center is closed then, or the visit would run past closing.")
class OutsideOpeningHours(UserError):
    pass


@strawberry.type(description="The appointment cannot move to that status from where it is.")
class InvalidTransition(UserError):
    pass


USER_ERROR_TYPES: tuple[type[UserError], ...] = (
    InvalidInput, InvalidVin, InvalidEmail, DuplicateVin, DuplicateEmail, NotFound,
    ImpossibleSession, Forbidden, SlotUnavailable, LoanerUnavailable, OutsideOpeningHours,
    InvalidTransition)

# Most specific first: InvalidVin is an InvalidInput too.
_BY_DOMAIN: tuple[tuple[type[errors.DomainError], type[UserError]], ...] = (
    (errors.InvalidVin, InvalidVin), (errors.InvalidEmail, InvalidEmail),
    (errors.ImpossibleSession, ImpossibleSession), (errors.AccessDenied, Forbidden),
    (errors.InvalidInput, InvalidInput), (errors.DuplicateVin, DuplicateVin),
    (errors.DuplicateEmail, DuplicateEmail), (errors.NotFound, NotFound),
    (errors.SlotUnavailable, SlotUnavailable), (errors.LoanerUnavailable, LoanerUnavailable),
    (errors.OutsideOpeningHours, OutsideOpeningHours),
    (errors.InvalidTransition, InvalidTransition),
)


def user_error(error: errors.DomainError) -> UserError:
    for domain_type, graphql_type in _BY_DOMAIN:
        if isinstance(error, domain_type):
            return graphql_type(message=error.message, field=error.field, code=error.code)
    return InvalidInput(message=error.message, field=error.field, code=error.code)


async def attempt[T](call: Callable[[], Awaitable[T]]) -> tuple[T | None, list[UserError]]:
    """Runs a use case; a domain error becomes the payload's error list, nothing is written.

    AccessDenied is not data: it propagates and reaches the client as a FORBIDDEN error.
    """
    try:
        return await call(), []
    except errors.AccessDenied:
        raise
    except errors.DomainError as error:
        return None, [user_error(error)]
