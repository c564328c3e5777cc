"""Loading one object by id through a port's batch getter, or a NotFound naming the field."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence

from domain.errors import NotFound

type GetMany[T] = Callable[[Sequence[str]], Awaitable[Sequence[T | None]]]


async def one[T](get_many: GetMany[T], key: str, what: str, field: str) -> T:
    [found] = await get_many([key])
    if found is None:
        raise NotFound(f"{what} not found", field=field)
    return found
