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
# What a lost or slow database raises, through either client.
DATABASE_ERRORS: tuple[type[Exception], ...] = (
    pymongo.errors.PyMongoError,
    mongoeco.errors.PyMongoError,
    OSError,
)


def embedded_client(data_path: str | None) -> Any:
    from mongoeco import AsyncMongoClient as EmbeddedClient
    from mongoeco import CodecOptions as EmbeddedCodecOptions
    from mongoeco.engines.memory import MemoryEngine
    from mongoeco.engines.sqlite import SQLiteEngine

    engine = SQLiteEngine(data_path) if data_path else MemoryEngine()
    return EmbeddedClient(engine, codec_options=EmbeddedCodecOptions(tz_aware=True))


def mongodb_client(uri: str) -> AsyncMongoClient[Document]:
    return AsyncMongoClient(
        uri, tz_aware=True, serverSelectionTimeoutMS=5000, appname="evjourney"
    )


@asynccontextmanager
async def open_database(
    uri: str | None, db_name: str, data_path: str | None = None
) -> AsyncIterator[Database]:
    """Yields the database and closes its client on exit, whichever engine is behind it."""
    client = mongodb_client(uri) if uri else embedded_client(data_path)
    async with client:
        yield client.get_database(db_name)


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
