"""The live hub: fan-out of story updates to WebSocket subscribers.

``MemoryHub`` serves one process. ``RedisHub`` relays through Redis pub/sub so that a message
published by any API or worker process reaches subscribers connected to every API process; the
publishing process's own subscribers get it at once, without the round trip through Redis.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from typing import Any, Protocol

import redis.asyncio as aioredis

from onestory.kit.jsonutil import dumps, loads

log = logging.getLogger(__name__)

ALL = "all"


def customer_channel(customer_id: str) -> str:
    return f"customer:{customer_id}"


# Every conversation's changes (the inbox).
CONVERSATIONS = "conversations"


def conversation_channel(conversation_id: str) -> str:
    return f"conversation:{conversation_id}"


class Subscription:
    """A subscriber's queue and the channels it listens to."""

    def __init__(self, hub: MemoryHub, channels: set[str], maxsize: int = 1000) -> None:
        self._hub = hub
        self.channels: set[str] = set()
        self.queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue(maxsize)
        self.dropped = 0
        for c in channels:
            self.add(c)

    def add(self, channel: str) -> None:
        self.channels.add(channel)
        self._hub._subs.setdefault(channel, set()).add(self)

    def remove(self, channel: str) -> None:
        self.channels.discard(channel)
        self._hub._subs.get(channel, set()).discard(self)

    def close(self) -> None:
        for c in list(self.channels):
            self.remove(c)

    def offer(self, message: dict[str, Any]) -> None:
        try:
            self.queue.put_nowait(message)
        except asyncio.QueueFull:
            # A stuck screen must not hold up everyone else; it can reload the story.
            self.dropped += 1

    async def get(self, timeout: float | None = None) -> dict[str, Any]:
        return await asyncio.wait_for(self.queue.get(), timeout)


class LiveHub(Protocol):
    name: str

    async def publish(self, channels: list[str], message: dict[str, Any]) -> None: ...

    def subscribe(self, channels: set[str]) -> Subscription: ...

    async def start(self) -> None: ...

    async def close(self) -> None: ...


class MemoryHub:
    name = "memory"

    def __init__(self) -> None:
        self._subs: dict[str, set[Subscription]] = {}

    def deliver(self, channels: list[str], message: dict[str, Any]) -> None:
        targets: set[Subscription] = set()
        for c in channels:
            targets |= self._subs.get(c, set())
        for sub in targets:
            sub.offer(message)

    async def publish(self, channels: list[str], message: dict[str, Any]) -> None:
        self.deliver(channels, message)

    def subscribe(self, channels: set[str]) -> Subscription:
        return Subscription(self, channels)

    async def start(self) -> None:
        return None

    async def close(self) -> None:
        self._subs.clear()


class RedisHub(MemoryHub):
    name = "redis"

    def __init__(self, url: str, prefix: str = "onestory") -> None:
        super().__init__()
        self._redis = aioredis.Redis.from_url(url, decode_responses=True)
        self._topic = f"{prefix}:live"
        self._task: asyncio.Task[None] | None = None
        self._ready = asyncio.Event()
        # Marks this hub's own messages, which its relay skips (they were delivered locally).
        self._origin = uuid.uuid4().hex

    async def publish(self, channels: list[str], message: dict[str, Any]) -> None:
        # Local screens first: a chat message recorded by this API process reaches the agent
        # connected to it without waiting for Redis and the relay task (and the event loop
        # turns they need). Other processes get it through Redis.
        self.deliver(channels, message)
        await self._redis.publish(
            self._topic, dumps({"o": self._origin, "c": channels, "m": message})
        )

    async def start(self) -> None:
        self._task = asyncio.create_task(self._relay(), name="live-relay")
        await asyncio.wait_for(self._ready.wait(), 5)

    async def _relay(self) -> None:
        while True:
            try:
                async with self._redis.pubsub() as ps:
                    await ps.subscribe(self._topic)
                    self._ready.set()
                    async for raw in ps.listen():
                        if raw.get("type") != "message":
                            continue
                        data = loads(raw["data"])
                        if data.get("o") != self._origin:
                            self.deliver(data["c"], data["m"])
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("live relay lost its Redis connection; reconnecting")
                await asyncio.sleep(1)

    async def close(self) -> None:
        if self._task:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self._redis.aclose()
        await super().close()
