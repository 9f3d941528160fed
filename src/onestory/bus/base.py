"""The pipeline bus: topics of small messages, consumed by named worker groups.

The bus only carries *which* events a stage should look at. The durable truth of what is still
to be done lives in the database (``pipeline_jobs``), so a lost message delays work but never
loses it: recovery re-publishes whatever the database says is pending.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True, slots=True)
class Delivery:
    """One message handed to a consumer; ``ack`` it once processed."""

    id: str
    body: str


class Bus(Protocol):
    """A message bus with at-least-once delivery to one consumer group per topic."""

    name: str

    async def publish(self, topic: str, bodies: Sequence[str]) -> None:
        """Append messages to a topic."""
        ...

    async def consume(
        self, topic: str, consumer: str, *, max_items: int, timeout: float
    ) -> list[Delivery]:
        """Wait up to ``timeout`` seconds for messages; return at most ``max_items``."""
        ...

    async def ack(self, topic: str, deliveries: Sequence[Delivery]) -> None:
        """Mark messages as processed so they are not delivered again."""
        ...

    async def close(self) -> None: ...
