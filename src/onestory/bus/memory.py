"""In-process bus: one asyncio queue per topic (the embedded default)."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from onestory.bus.base import Delivery


class MemoryBus:
    name = "memory"

    def __init__(self) -> None:
        self._queues: dict[str, asyncio.Queue[str]] = {}

    def _queue(self, topic: str) -> asyncio.Queue[str]:
        q = self._queues.get(topic)
        if q is None:
            q = self._queues[topic] = asyncio.Queue()
        return q

    async def publish(self, topic: str, bodies: Sequence[str]) -> None:
        q = self._queue(topic)
        for b in bodies:
            q.put_nowait(b)

    async def consume(
        self, topic: str, consumer: str, *, max_items: int, timeout: float
    ) -> list[Delivery]:
        q = self._queue(topic)
        try:
            first = await asyncio.wait_for(q.get(), timeout)
        except TimeoutError:
            return []
        out = [Delivery("", first)]
        while len(out) < max_items and not q.empty():
            out.append(Delivery("", q.get_nowait()))
        return out

    async def ack(self, topic: str, deliveries: Sequence[Delivery]) -> None:
        return None

    def backlog(self, topic: str) -> int:
        return self._queue(topic).qsize()

    async def close(self) -> None:
        self._queues.clear()
