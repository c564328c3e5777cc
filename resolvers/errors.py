"""How failures reach clients: domain errors get their code, anything unexpected is masked."""

from __future__ import annotations

import logging
from collections.abc import Iterator

from graphql import GraphQLError
from strawberry.extensions import SchemaExtension

from domain.errors import DomainError

log = logging.getLogger("evjourney.graphql")
INTERNAL_MESSAGE = "Internal server error"
UNAVAILABLE_MESSAGE = "The database is unavailable; nothing was changed. Try again shortly."
# What the store raises when the database cannot be reached; the composition root says which
# classes those are (this layer does not import the drivers).
UNAVAILABLE: list[type[Exception]] = []


def register_unavailable(*errors: type[Exception]) -> None:
    UNAVAILABLE.extend(e for e in errors if e not in UNAVAILABLE)


class Unauthenticated(Exception):
    code = "UNAUTHENTICATED"


def is_expected(error: GraphQLError) -> bool:
    original = error.original_error
    return original is None or isinstance(
        original, DomainError | Unauthenticated | GraphQLError | OverflowError | UnicodeEncodeError)


def log_unexpected(errors: list[GraphQLError]) -> None:
    for error in errors:
        if isinstance(error.original_error, tuple(UNAVAILABLE)):
            log.warning("database unavailable at %s: %s", error.path, error.original_error)
        elif not is_expected(error):
            log.error("unexpected error at %s", error.path, exc_info=error.original_error)


def client_error(error: GraphQLError) -> GraphQLError:
    original = error.original_error
    if isinstance(original, DomainError | Unauthenticated):
        extensions = {"code": original.code}
        if isinstance(original, DomainError) and original.field:
            extensions["field"] = original.field
        return _with(error, str(original), extensions)
    if original is not None and isinstance(original, tuple(UNAVAILABLE)):
        return _with(error, UNAVAILABLE_MESSAGE, {"code": "SERVICE_UNAVAILABLE"})
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
