"""The one place that opens the database: PyMongo for a real MongoDB, mongoeco when embedded."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable
from contextlib import asynccontextmanager
from typing import Any

import mongoeco.errors
import pymongo.errors
from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase

type Document = dict[str, Any]
type Database = AsyncDatabase[Document]

DUPLICATE_KEY_ERRORS: tuple[type[Exception], ...] = (
    pymongo.errors.DuplicateKeyError,
    mongoeco.errors.DuplicateKeyError,
)
BULK_WRITE_ERRORS: tuple[type[Exception], ...] = (
    pymongo.errors.BulkWriteError,
    mongoeco.errors.BulkWriteError,
)
# Anything either client raises: a caller that must survive the database (readiness, the
# worker, start-up) catches these.
DATABASE_ERRORS: tuple[type[Exception], ...] = (
    pymongo.errors.PyMongoError,
    mongoeco.errors.PyMongoError,
    OSError,
)
# The database could not be reached (down, failing over, the network): worth a retry.
UNAVAILABLE_ERRORS: tuple[type[Exception], ...] = (
    pymongo.errors.ConnectionFailure,
    mongoeco.errors.ConnectionFailure,
    OSError,
)
# The database gave up on an operation at its maxTimeMS.
TIMEOUT_ERRORS: tuple[type[Exception], ...] = (
    pymongo.errors.ExecutionTimeout,
    mongoeco.errors.ExecutionTimeout,
)
# The embedded engine refuses a blocking aggregation stage ($group, $sort, $facet) over more
# documents than its materialization limit (mongoeco's own default: 50,000).
EMBEDDED_AGGREGATION_LIMIT = 2_000_000


def embedded_client(data_path: str | None,
                    aggregation_limit: int = EMBEDDED_AGGREGATION_LIMIT) -> Any:
    """The memory engine (or SQLite with `data_path`). Its data are in this process's memory
    already, so the only limit on an aggregation's working set is `aggregation_limit`
    documents: analytics over a large population group that many; mongoeco's spill to disk would
    round-trip them through a file and back into memory (4x slower, no memory saved)."""
    from mongoeco import AsyncMongoClient as EmbeddedClient
    from mongoeco import CodecOptions as EmbeddedCodecOptions
    from mongoeco.engines.memory import MemoryEngine
    from mongoeco.engines.sqlite import SQLiteEngine

    engine = (SQLiteEngine(data_path, aggregation_materialization_limit=aggregation_limit)
              if data_path else MemoryEngine(aggregation_materialization_limit=aggregation_limit))
    return EmbeddedClient(engine, codec_options=EmbeddedCodecOptions(tz_aware=True))


def mongodb_client(uri: str) -> AsyncMongoClient[Document]:
    return AsyncMongoClient(
        uri, tz_aware=True, serverSelectionTimeoutMS=5000, appname="evjourney"
    )


@asynccontextmanager
async def open_database(
    uri: str | None, db_name: str, data_path: str | None = None,
    aggregation_limit: int = EMBEDDED_AGGREGATION_LIMIT,
) -> AsyncIterator[Database]:
    """Yields the database and closes its client on exit, whichever engine is behind it."""
    client = mongodb_client(uri) if uri else embedded_client(data_path, aggregation_limit)
    async with client:
        yield client.get_database(db_name)


def aggregate_options(db: Database, max_seconds: float) -> Document:
    """Options for large aggregations: groups may spill to disk (MongoDB's default since 6.0,
    needed before it), and the database stops the pipeline after `max_seconds`; mongoeco
    spells maxTimeMS the Python way."""
    ms = int(max_seconds * 1000)
    embedded = not isinstance(db, AsyncDatabase)
    return {"allowDiskUse": True, **({"max_time_ms": ms} if embedded else {"maxTimeMS": ms})}


async def ping(db: Database) -> bool:
    try:
        await db.command("ping")
    except DATABASE_ERRORS:
        return False
    return True


DUPLICATE_KEY = 11000


async def duplicate_key_failures(write: Awaitable[object]) -> set[int]:
    """Runs an unordered bulk write (insert_many or bulk_write with ordered=False); returns the
    indexes of the operations refused by a unique index. Any other failure is raised."""
    try:
        await write
    except BULK_WRITE_ERRORS as error:
        failures: list[Document] = (getattr(error, "details", None) or {}).get("writeErrors", [])
        if any(failure.get("code") != DUPLICATE_KEY for failure in failures):
            raise
        return {failure["index"] for failure in failures}
    return set()
