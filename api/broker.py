"""In-process fan-out of delivered notifications to this process's subscribers."""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import AsyncIterator, Sequence

from domain.notifications.model import Notification

log = logging.getLogger("evjourney.broker")
# A subscriber this far behind is too slow; what does not fit waits in its inbox.
QUEUE_SIZE = 100


class InProcessBroker:
    """The feed when this process is the only one (embedded mode), and the local fan-out the
    change-stream relay fills when there are many (store/notification_feed.py)."""

    def __init__(self) -> None:
        self._queues: dict[str, set[asyncio.Queue[Notification]]] = defaultdict(set)

    async def publish(self, notifications: Sequence[Notification]) -> None:
        for notification in notifications:
            for queue in self._queues.get(notification.owner_id, ()):
                try:
                    queue.put_nowait(notification)
                except asyncio.QueueFull:
                    log.warning("subscriber of %s is behind; %s stays in the inbox only",
                                notification.owner_id, notification.id)

    async def subscribe(self, owner_id: str) -> AsyncIterator[Notification]:
        queue: asyncio.Queue[Notification] = asyncio.Queue(QUEUE_SIZE)
        self._queues[owner_id].add(queue)
        try:
            while True:
                yield await queue.get()
        finally:
            self._queues[owner_id].discard(queue)
            if not self._queues[owner_id]:
                del self._queues[owner_id]

    def subscribers(self, owner_id: str) -> int:
        return len(self._queues.get(owner_id, ()))
