"""Redis Streams bus: one stream per topic, one consumer group of N worker processes."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import redis.asyncio as aioredis
from redis.exceptions import ResponseError

from onestory.bus.base import Delivery

GROUP = "workers"


class RedisBus:
    name = "redis"

    def __init__(self, url: str, prefix: str = "onestory", *, claim_idle_ms: int = 30_000) -> None:
        self._redis = aioredis.Redis.from_url(url, decode_responses=True)
        self._prefix = prefix
        self._groups: set[str] = set()
        self._claim_idle_ms = claim_idle_ms

    def _key(self, topic: str) -> str:
        return f"{self._prefix}:{topic}"

    async def _ensure_group(self, key: str) -> None:
        if key in self._groups:
            return
        try:
            await self._redis.xgroup_create(key, GROUP, id="0", mkstream=True)
        except ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise
        self._groups.add(key)

    async def publish(self, topic: str, bodies: Sequence[str]) -> None:
        if not bodies:
            return
        key = self._key(topic)
        await self._ensure_group(key)
        async with self._redis.pipeline(transaction=False) as pipe:
            for b in bodies:
                pipe.xadd(key, {"b": b})
            await pipe.execute()

    async def consume(
        self, topic: str, consumer: str, *, max_items: int, timeout: float
    ) -> list[Delivery]:
        key = self._key(topic)
        await self._ensure_group(key)
        # Messages a dead worker took but never acknowledged go to a live one.
        claimed: Any = await self._redis.xautoclaim(
            key, GROUP, consumer, min_idle_time=self._claim_idle_ms, start_id="0-0", count=max_items
        )
        out = [Delivery(str(mid), fields["b"]) for mid, fields in claimed[1] if fields]
        if out:
            return out
        resp: Any = await self._redis.xreadgroup(
            GROUP, consumer, {key: ">"}, count=max_items, block=max(1, int(timeout * 1000))
        )
        for _stream, messages in resp or []:
            out.extend(Delivery(mid, fields["b"]) for mid, fields in messages)
        return out

    async def ack(self, topic: str, deliveries: Sequence[Delivery]) -> None:
        ids = [d.id for d in deliveries if d.id]
        if ids:
            key = self._key(topic)
            async with self._redis.pipeline(transaction=False) as pipe:
                pipe.xack(key, GROUP, *ids)
                pipe.xdel(key, *ids)
                await pipe.execute()

    async def close(self) -> None:
        await self._redis.aclose()
