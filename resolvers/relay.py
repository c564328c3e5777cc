"""Relay helpers: global IDs in, connections out."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from strawberry import relay

from domain.errors import InvalidInput
from domain.pagination import Page, encode_cursor


def local_id(global_id: str, type_name: str, field: str = "id") -> str:
    """The domain id inside a global ID, checked to name the expected type."""
    try:
        parsed = relay.GlobalID.from_id(global_id)
    except Exception:  # strawberry raises several types for malformed base64
        raise InvalidInput(f"{field} is not a valid ID", field=field) from None
    if parsed.type_name != type_name:
        raise InvalidInput(f"{field} is not a {type_name} ID", field=field)
    return parsed.node_id


def edges[D, N: relay.Node](page: Page[D], to_node: Callable[[D], N],
                key: Callable[[D], str]) -> list[relay.Edge[N]]:
    return [relay.Edge(cursor=encode_cursor(key(item)), node=to_node(item)) for item in page.items]


def page_info(page_edges: list[relay.Edge[Any]], has_next: bool) -> relay.PageInfo:
    """Forward pagination only: hasPreviousPage is always false."""
    return relay.PageInfo(has_next_page=has_next, has_previous_page=False,
                          start_cursor=page_edges[0].cursor if page_edges else None,
                          end_cursor=page_edges[-1].cursor if page_edges else None)


def connection[D, N: relay.Node](page: Page[D], to_node: Callable[[D], N],
                                 key: Callable[[D], str]) -> relay.Connection[N]:
    page_edges = edges(page, to_node, key)
    return relay.Connection(edges=page_edges, page_info=page_info(page_edges, page.has_next))
