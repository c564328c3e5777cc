"""Relay helpers: global IDs in, connections out."""

from __future__ import annotations

from collections.abc import Callable

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


def connection[D, N: relay.Node](page: Page[D], to_node: Callable[[D], N],
                     key: Callable[[D], str]) -> relay.Connection[N]:
    edges = [relay.Edge(cursor=encode_cursor(key(item)), node=to_node(item))
             for item in page.items]
    return relay.Connection(
        edges=edges,
        page_info=relay.PageInfo(
            has_next_page=page.has_next,
            has_previous_page=False,
            start_cursor=edges[0].cursor if edges else None,
            end_cursor=edges[-1].cursor if edges else None,
        ),
    )
