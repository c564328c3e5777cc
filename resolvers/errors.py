"""How failures reach clients: domain errors get their code, anything unexpected is masked."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass

from graphql import GraphQLError
from strawberry.extensions import SchemaExtension

from domain.errors import DomainError

log = logging.getLogger("evjourney.graphql")
INTERNAL_MESSAGE = "Internal server error"
UNAVAILABLE_MESSAGE = "The database is unavailable; nothing was changed. Try again shortly."


@dataclass(frozen=True, slots=True)
class DatabaseFailure:
    """What a client is told about a kind of database error."""

    code: str
    message: str
    expected: bool  # an outage is logged as a warning; anything else with its traceback


UNAVAILABLE = DatabaseFailure("SERVICE_UNAVAILABLE", UNAVAILABLE_MESSAGE, expected=True)
TIMED_OUT = DatabaseFailure(
    "DATABASE_TIMEOUT", "The database took too long to answer; try a narrower request.",
    expected=True)
REFUSED = DatabaseFailure(
    "DATABASE_ERROR", "The database could not run this request.", expected=False)
# Driver error classes by kind, first match wins; the composition root fills it (this layer
# does not import the drivers).
DATABASE_FAILURES: list[tuple[tuple[type[Exception], ...], DatabaseFailure]] = []


def register_database_errors(errors: tuple[type[Exception], ...],
                             failure: DatabaseFailure) -> None:
    if (errors, failure) not in DATABASE_FAILURES:
        DATABASE_FAILURES.append((errors, failure))


def database_failure(error: BaseException | None) -> DatabaseFailure | None:
    for errors, failure in DATABASE_FAILURES:
        if isinstance(error, errors):
            return failure
    return None


class Unauthenticated(Exception):
    code = "UNAUTHENTICATED"


def is_expected(error: GraphQLError) -> bool:
    original = error.original_error
    return original is None or isinstance(
        original, DomainError | Unauthenticated | GraphQLError | OverflowError | UnicodeEncodeError)


def log_unexpected(errors: list[GraphQLError]) -> None:
    for error in errors:
        failure = database_failure(error.original_error)
        if failure is not None and failure.expected:
            log.warning("database failure (%s) at %s: %s", failure.code, error.path,
                        error.original_error)
        elif not is_expected(error):
            log.error("unexpected error at %s", error.path, exc_info=error.original_error)


def client_error(error: GraphQLError) -> GraphQLError:
    original = error.original_error
    if isinstance(original, DomainError | Unauthenticated):
        extensions = {"code": original.code}
        if isinstance(original, DomainError) and original.field:
            extensions["field"] = original.field
        return _with(error, str(original), extensions)
    if (failure := database_failure(original)) is not None:
        return _with(error, failure.message, {"code": failure.code})
    if isinstance(original, OverflowError | UnicodeEncodeError):
        # Input the rules did not foresee (a date at the end of the calendar, text the
        # database cannot encode): nothing was written, and it is the caller's value.
        return _with(error, "a value is out of range or not valid text",
                     {"code": "BAD_USER_INPUT"})
    if original is None and not error.extensions:
        # Syntax, validation and limit errors: the message is safe and useful as it is.
        return _with(error, error.message, {"code": "GRAPHQL_VALIDATION_FAILED"})
    if is_expected(error):
        # A GraphQL error of its own (a variable of the wrong type, an id that is not one).
        return error if "code" in (error.extensions or {}) else _with(
            error, error.message, {"code": "BAD_USER_INPUT"})
    return _with(error, INTERNAL_MESSAGE, {"code": "INTERNAL_SERVER_ERROR"})


def _with(error: GraphQLError, message: str, extensions: dict[str, str]) -> GraphQLError:
    return GraphQLError(message, nodes=error.nodes, source=error.source,
                        positions=error.positions, path=error.path, extensions=extensions)


class ErrorPolicy(SchemaExtension):
    """Gives every error a `code` and hides internals (stack traces, driver messages)."""

    def on_operation(self) -> Iterator[None]:
        yield
        result = self.execution_context.result
        errors: list[GraphQLError] | None = getattr(result, "errors", None)
        if result is not None and errors:
            result.errors = [client_error(error) for error in errors]
