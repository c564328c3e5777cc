"""Domain models <-> MongoDB documents: camelCase fields, `_id`, schemaVersion and timestamps."""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import Any

from pydantic import BaseModel

from store.client import Document

SCHEMA_VERSION = 1


@cache
def _camel(name: str) -> str:
    if name == "id":
        return "_id"
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def field_name(name: str) -> str:
    return _camel(name)


def to_document(model: BaseModel) -> Document:
    doc = {_camel(key): value for key, value in model.model_dump().items()}
    doc["schemaVersion"] = SCHEMA_VERSION
    return doc


def from_document[M: BaseModel](model: type[M], doc: Document) -> M:
    values: dict[str, Any] = {key: doc[_camel(key)] for key in model.model_fields
                              if _camel(key) in doc}
    return model.model_validate(values)


def to_fields(fields: dict[str, object]) -> Document:
    return {_camel(key): value for key, value in fields.items()}


def ids_filter(ids: Sequence[str]) -> Document:
    """`_id` equality for one id: mongoeco's memory engine scans the collection for `$in`."""
    return {"_id": ids[0]} if len(ids) == 1 else {"_id": {"$in": list(ids)}}
