"""Domain models <-> MongoDB documents: camelCase fields, `_id`, schemaVersion and timestamps."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import time
from enum import Enum
from functools import cache
from typing import Any

from pydantic import BaseModel

from store.client import Document

SCHEMA_VERSION = 1
_UPPER = re.compile(r"([A-Z])")
# Only field names are renamed; data keys such as locales ("de-DE") or months stay as they are.
_IDENTIFIER = re.compile(r"[a-z][A-Za-z0-9_]*")


@cache
def _camel(name: str) -> str:
    if not _IDENTIFIER.fullmatch(name):
        return name
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


@cache
def _snake(name: str) -> str:
    if not _IDENTIFIER.fullmatch(name):
        return name
    return _UPPER.sub(lambda match: "_" + match.group(1).lower(), name)


def field_name(name: str) -> str:
    return "_id" if name == "id" else _camel(name)


def _convert(value: Any, rename: Any) -> Any:
    if isinstance(value, Enum):
        # The embedded engine stores objects as given; a real server would store the string.
        return value.value
    if isinstance(value, time):
        return value.isoformat()  # BSON has no time of day; pydantic parses it back
    if isinstance(value, dict):
        return {rename(key): _convert(item, rename) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_convert(item, rename) for item in value]
    return value


def to_document(model: BaseModel) -> Document:
    doc = to_fields(model.model_dump())
    doc["schemaVersion"] = SCHEMA_VERSION
    return doc


def from_document[M: BaseModel](model: type[M], doc: Document) -> M:
    values: dict[str, Any] = {"id" if key == "_id" else _snake(key): _convert(value, _snake)
                              for key, value in doc.items() if key != "schemaVersion"}
    return model.model_validate(values)


def to_fields(fields: dict[str, Any]) -> Document:
    return {field_name(key): _convert(value, _camel) for key, value in fields.items()}


def ids_filter(ids: Sequence[str]) -> Document:
    """`_id` equality for one id: mongoeco's memory engine scans the collection for `$in`."""
    return {"_id": ids[0]} if len(ids) == 1 else {"_id": {"$in": list(ids)}}


async def find_by_ids[M: BaseModel](collection: Any, model: type[M],
                                    ids: Sequence[str]) -> list[M | None]:
    """The documents with these ids, as models, in the order asked (None where missing)."""
    docs = await collection.find(ids_filter(ids)).to_list(None)
    by_id = {doc["_id"]: from_document(model, doc) for doc in docs}
    return [by_id.get(key) for key in ids]
