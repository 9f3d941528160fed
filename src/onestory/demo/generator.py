"""The seeded demo world: a fictional connected-home provider ("NovaHome") and its customers.

``generate_world`` yields event envelopes (plain JSON-ready dicts accepted by the ingestion
API) for about 500 customers over 90 days ending at ``now``: background activity (app
sessions, usage, orders, payments, plan changes, surveys, reviews) plus scripted multi-channel
journeys (billing dispute, delivery delay, broken device with a technician visit, cancellation
threat, upgrade question, simple how-to questions). The output depends only on the arguments:
the same seed and ``now`` always give the same events, in the same order, with the same
idempotency keys.
"""

from __future__ import annotations

import json
import random
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from onestory.demo.engine import _iso
from onestory.demo.journeys.billing_dispute import BillingDispute
from onestory.demo.journeys.broken_device import BrokenDevice
from onestory.demo.journeys.cancellation_threat import CancellationThreat
from onestory.demo.journeys.delivery_delay import DeliveryDelay
from onestory.demo.journeys.howto import Howto
from onestory.demo.journeys.repeat_contact import RepeatContact
from onestory.demo.journeys.upgrade_question import UpgradeQuestion
from onestory.demo.journeys.visitors import Visitors
from onestory.demo.people import DemoCustomer

JOURNEY_KINDS = (
    "billing_dispute",
    "delivery_delay",
    "broken_device",
    "cancellation_threat",
    "upgrade_question",
    "howto",
    "repeat_contact",
)

# Share of customers that go through each scripted journey (a customer may have several).
_JOURNEY_SHARE = {
    "billing_dispute": 0.08,
    "delivery_delay": 0.08,
    "broken_device": 0.07,
    "cancellation_threat": 0.07,
    "upgrade_question": 0.07,
    "howto": 0.3,
    "repeat_contact": 0.06,
}


@dataclass
class World:
    """A generated world: its people, its events (sorted) and what was scripted."""

    customers: list[DemoCustomer]
    events: list[dict[str, Any]]
    journeys: Counter[str]

    def counts(self) -> Counter[str]:
        """Number of events per event type."""
        return Counter(e["type"] for e in self.events)

    def summary(self) -> dict[str, Any]:
        """A JSON-ready overview (for the CLI and the docs)."""
        return {
            "customers": sum(1 for p in self.customers if not p.is_lead),
            "prospects": sum(1 for p in self.customers if p.is_lead),
            "events": len(self.events),
            "first_event_at": self.events[0]["occurred_at"] if self.events else None,
            "last_event_at": self.events[-1]["occurred_at"] if self.events else None,
            "journeys": dict(sorted(self.journeys.items())),
            "by_type": dict(sorted(self.counts().items())),
        }


def generate_world(
    *, customers: int = 500, days: int = 90, seed: int = 7, now: datetime
) -> Iterator[dict[str, Any]]:
    """Yield the demo world's event envelopes, sorted by ``occurred_at``."""
    yield from build_world(customers=customers, days=days, seed=seed, now=now).events


def build_world(*, customers: int = 500, days: int = 90, seed: int = 7, now: datetime) -> World:
    """Generate the whole world in memory (about 50,000 events at the default scale)."""
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be timezone-aware")
    if customers < 1 or days < 1:
        raise ValueError("customers and days must be positive")
    gen = _Generator(seed=seed, now=now, days=days)
    return gen.run(customers)


def count_by_type(events: Iterable[dict[str, Any]]) -> Counter[str]:
    """Number of events per type (handy for summaries and tests)."""
    return Counter(e["type"] for e in events)


def write_jsonl(path: str | Path, events: Iterable[dict[str, Any]]) -> int:
    """Write events one JSON object per line (UTF-8); return how many were written."""
    n = 0
    with Path(path).open("w", encoding="utf-8") as fh:
        for event in events:
            fh.write(json.dumps(event, ensure_ascii=False, separators=(",", ":")))
            fh.write("\n")
            n += 1
    return n


# ------------------------------------------------------------------------------------------


class _Generator(
    BillingDispute,
    DeliveryDelay,
    BrokenDevice,
    CancellationThreat,
    UpgradeQuestion,
    RepeatContact,
    Howto,
    Visitors,
):
    """The whole demo world: people, background traffic and every scripted journey."""

    def run(self, n_customers: int) -> World:
        people = [self.people.person(i) for i in range(n_customers)]
        leads = [
            self.people.person(n_customers + i, is_lead=True) for i in range(n_customers // 25)
        ]
        self._pick_journeys(people)
        for p in people:
            self._background(p)
        self._run_journeys(people)
        for p in leads:
            self._lead(p)
        self.raw.sort(key=lambda t: (t[0], t[1]))
        events: list[dict[str, Any]] = []
        for n, (at, _, e) in enumerate(self.raw):
            e["occurred_at"] = _iso(at)
            e["idempotency_key"] = f"demo-{self.seed}-{n:06d}"
            events.append(e)
        return World(customers=people + leads, events=events, journeys=self.journeys)

    def _pick_journeys(self, people: list[DemoCustomer]) -> None:
        n = len(people)
        for kind in JOURNEY_KINDS:
            k = max(1, round(n * _JOURNEY_SHARE[kind]))
            for p in self.rng.sample(people, min(k, n)):
                p.journeys.append(kind)

    def _run_journeys(self, people: list[DemoCustomer]) -> None:
        for p in people:
            for j, kind in enumerate(p.journeys):
                r = random.Random(self.seed * 104_729 + p.index * 13 + j)
                latest = max(3, self.days - 1)
                start = self._at(r, r.randint(min(3, latest), latest))
                getattr(self, f"_j_{kind}")(p, r, start)
                self.journeys[kind] += 1
            if p.cookie_id:
                self._anonymous_then_identified(p)
