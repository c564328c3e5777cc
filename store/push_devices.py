"""Push devices in `pushDevices`: `_id` is the token, so a token belongs to one owner at a time."""

from __future__ import annotations

from collections.abc import Sequence

from domain.notifications.model import PushDevice
from store.client import Database, Document
from store.documents import from_document, to_document
from store.stats import CountedCollection

NEWEST_FIRST = [("ownerId", 1), ("registeredAt", -1)]


class MongoPushDeviceRepository:
    def __init__(self, db: Database) -> None:
        self._devices = CountedCollection(db["pushDevices"])

    async def register(self, device: PushDevice, keep: int) -> None:
        doc = to_document(device)
        token = doc.pop("token")
        # An upsert, so a phone that signs in to another account takes its token along.
        await self._devices.update_one(
            {"_id": token}, {"$set": {**doc, "updatedAt": device.registered_at},
                             "$setOnInsert": {"createdAt": device.registered_at}},
            upsert=True)
        await self._forget_beyond(device.owner_id, keep)

    async def for_owner(self, owner_id: str) -> list[PushDevice]:
        [devices] = await self.for_owners([owner_id])
        return devices

    async def for_owners(self, owner_ids: Sequence[str]) -> list[list[PushDevice]]:
        query: Document = ({"ownerId": owner_ids[0]} if len(owner_ids) == 1
                           else {"ownerId": {"$in": list(owner_ids)}})
        docs = await self._devices.find(query).sort(NEWEST_FIRST).to_list(None)
        found: dict[str, list[PushDevice]] = {owner_id: [] for owner_id in owner_ids}
        for doc in docs:
            found[doc["ownerId"]].append(_device(doc))
        return [found[owner_id] for owner_id in owner_ids]

    async def _forget_beyond(self, owner_id: str, keep: int) -> None:
        stale = await self._devices.find({"ownerId": owner_id}, {"_id": 1}).sort(
            NEWEST_FIRST).skip(keep).to_list(None)
        if stale:
            await self._devices.delete_many({"_id": {"$in": [doc["_id"] for doc in stale]}})


def _device(doc: Document) -> PushDevice:
    fields = {key: value for key, value in doc.items()
              if key not in ("_id", "createdAt", "updatedAt")}
    return from_document(PushDevice, {**fields, "token": doc["_id"]})
