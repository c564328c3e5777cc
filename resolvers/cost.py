"""Query cost: each field costs 1, and a list field multiplies its selection by how many items
it may return (`first`, its default page size when absent). A query over the budget is refused
before anything runs, with the cost in the error, so clients can see how to page instead."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLNamedType,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    VariableNode,
    get_named_type,
)
from strawberry.extensions import SchemaExtension

from domain.pagination import DEFAULT_PAGE_SIZE

MAX_COST = 20_000


@dataclass(frozen=True, slots=True)
class CostModel:
    schema: GraphQLSchema
    fragments: Mapping[str, FragmentDefinitionNode]
    variables: Mapping[str, Any]

    def operation(self, operation: OperationDefinitionNode) -> int:
        root = self.schema.get_root_type(operation.operation)
        return self.selection(operation.selection_set, root) if root else 0

    def selection(self, selection_set: SelectionSetNode | None,
                  parent: GraphQLNamedType) -> int:
        total = 0
        for node in selection_set.selections if selection_set else ():
            if isinstance(node, FieldNode):
                total += self.field(node, parent)
            elif isinstance(node, InlineFragmentNode):
                total += self.selection(node.selection_set, self.narrow(node, parent))
            elif isinstance(node, FragmentSpreadNode) and node.name.value in self.fragments:
                fragment = self.fragments[node.name.value]
                total += self.selection(fragment.selection_set, self.narrow(fragment, parent))
        return total

    def field(self, node: FieldNode, parent: GraphQLNamedType) -> int:
        definition = getattr(parent, "fields", {}).get(node.name.value)
        if definition is None:  # __typename and other meta fields
            return 0
        items = self.page_size(node) if "first" in definition.args else 1
        return 1 + items * self.selection(node.selection_set, get_named_type(definition.type))

    def page_size(self, node: FieldNode) -> int:
        for argument in node.arguments or ():
            value = argument.value
            if argument.name.value != "first":
                continue
            if isinstance(value, IntValueNode):
                return max(int(value.value), 1)
            if isinstance(value, VariableNode):
                given = self.variables.get(value.name.value)
                if isinstance(given, int):
                    return max(given, 1)
        return DEFAULT_PAGE_SIZE

    def narrow(self, fragment: InlineFragmentNode | FragmentDefinitionNode,
               parent: GraphQLNamedType) -> GraphQLNamedType:
        """A fragment on a type costs as that type."""
        condition = fragment.type_condition
        found = self.schema.get_type(condition.name.value) if condition else None
        return found or parent


class QueryCostLimiter(SchemaExtension):
    """Refuses operations over MAX_COST before they run."""

    def on_execute(self) -> Iterator[None]:
        ctx = self.execution_context
        document = ctx.graphql_document
        if document is not None:
            model = CostModel(ctx.schema._schema,
                              {d.name.value: d for d in document.definitions
                               if isinstance(d, FragmentDefinitionNode)},
                              ctx.variables or {})
            for operation in document.definitions:
                if isinstance(operation, OperationDefinitionNode) and _runs(operation, ctx):
                    _check(model.operation(operation))
        yield


def _check(cost: int) -> None:
    if cost > MAX_COST:
        raise GraphQLError(
            f"query cost {cost} is over the limit of {MAX_COST}: ask for smaller pages "
            "(first) or fewer nested lists", extensions={"code": "QUERY_TOO_COSTLY"})


def _runs(operation: OperationDefinitionNode, ctx: Any) -> bool:
    name = ctx.operation_name
    return name is None or (operation.name is not None and operation.name.value == name)
