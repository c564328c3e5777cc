"""Introspection can be switched off (EVJ_INTROSPECTION=false) for production deployments."""

from __future__ import annotations

from collections.abc import Iterator

from graphql import BREAK, FieldNode, GraphQLError, Visitor, visit
from strawberry.extensions import SchemaExtension

INTROSPECTION_FIELDS = frozenset({"__schema", "__type"})


class _Finder(Visitor):
    def __init__(self) -> None:
        super().__init__()
        self.found = False

    def enter_field(self, node: FieldNode, *_: object) -> object:
        if node.name.value in INTROSPECTION_FIELDS:
            self.found = True
            return BREAK
        return None


class IntrospectionGate(SchemaExtension):
    def on_execute(self) -> Iterator[None]:
        ctx = self.execution_context
        allowed = getattr(ctx.context, "introspection", True)
        if not allowed and ctx.graphql_document is not None:
            finder = _Finder()
            visit(ctx.graphql_document, finder)
            if finder.found:
                raise GraphQLError("introspection is disabled on this server",
                                   extensions={"code": "INTROSPECTION_DISABLED"})
        yield
