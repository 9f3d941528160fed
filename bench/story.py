"""Story-read benchmark: one customer with 1,000 events in a store of 1,000,000 events.

Run from the repository root::

    .venv/bin/python bench/story.py [--events 1000000] [--reads 500] [--keep PATH] [--gc default]

Builds a SQLite store with the real migrations in a temp file, then fills it fast with
SQLAlchemy Core bulk inserts (not through the ingest API): 50,000 customers, event counts per
customer drawn from a heavy-tailed (Pareto) distribution over 90 days and every channel, message
events carrying text (so the FTS5 index is populated too), and one "hot" customer with exactly
1,000 events, a third of them messages with four AI insights each. Then it times
``GET /v1/customers/{id}/story`` for the hot customer in two ways and says which is which:

- ``service``: ``customers.service.story()`` in a fresh read transaction per call, plus the
  orjson serialisation of its document (what the endpoint does, minus HTTP);
- ``http_asgi``: the full FastAPI app (auth, parameter validation, JSON) through an
  in-process ASGI client (no sockets), as the server's time (``server_ms``: from the request
  entering the ASGI app to the last byte of the response) and as the test client's round
  trip (``client_ms``: adds the client's request building and its thread hand-off).

Each for the first page (50 items), a deep page (a cursor ~900 items in) and a filtered page
(``type=payment.*``). Also prints SQLite's query plan for the story query, which must use the
``ix_events_customer_time`` (customer_id, occurred_at, seq) index. Prints one JSON document.

``--gc serve`` (the default) measures with the garbage-collector settings ``onestory serve``
applies (``kit/gctune``: young-generation threshold 10,000, start-up heap frozen);
``--gc default`` with CPython's. Collections during the timed reads are reported per
generation (count, longest pause). ``--keep`` reuses a built store and runs the migrations on
it first, so a store built before a newer migration gets it (the build takes minutes).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
from fastapi.testclient import TestClient
from sqlalchemy import select, text

from onestory.app import create_app
from onestory.auth.service import create_key
from onestory.config import Settings
from onestory.customers import service
from onestory.db import create_database
from onestory.db.base import table_of
from onestory.db.migrate import upgrade
from onestory.events import repository as events_repo
from onestory.kit import gctune
from onestory.kit.clock import SystemClock
from onestory.kit.gctune import GcPauses
from onestory.kit.ids import new_id
from onestory.models import Customer, Event, Identity, Insight

CHANNELS = ["chat", "email", "sms", "voice", "app", "web", "billing", "orders", "field"]
TYPES = {
    "chat": "message.received",
    "email": "message.received",
    "sms": "message.sent",
    "voice": "call.ended",
    "app": "app.session",
    "web": "page.viewed",
    "billing": "payment.failed",
    "orders": "order.shipped",
    "field": "visit.completed",
}
WORDS = (
    "parcel late refund charged twice router broken technician visit cancel contract upgrade "
    "plan invoice wrong delivery tracking thanks great help waiting again still no answer"
).split()


def payload_for(rng: random.Random, type_: str, i: int) -> tuple[dict[str, Any], str | None]:
    if type_.startswith("message"):
        words = " ".join(rng.choice(WORDS) for _ in range(rng.randint(6, 25)))
        return {"text": words, "direction": "inbound"}, words
    if type_ == "payment.failed":
        return {"amount": round(rng.uniform(5, 300), 2), "currency": "EUR", "reason": "card"}, None
    if type_ == "order.shipped":
        return {"order_id": f"O{i}", "carrier": "DPD"}, None
    if type_ == "call.ended":
        return {"call_id": f"C{i}", "duration_seconds": rng.randint(30, 1200)}, None
    return {"ref": f"R{i}", "n": rng.randint(1, 9)}, None


def build(url: str, n_events: int, n_customers: int, seed: int) -> tuple[str, float]:
    rng = random.Random(seed)
    db = create_database(url)
    upgrade(db.engine)
    now = datetime.now(UTC).replace(microsecond=0)
    start = now - timedelta(days=90)
    t0 = time.perf_counter()
    ids = [new_id("cus") for _ in range(n_customers)]
    hot = ids[0]
    # Heavy-tailed activity: most customers have a handful of events, a few have hundreds.
    weights = [rng.paretovariate(1.2) for _ in range(n_customers - 1)]
    total_w = sum(weights)
    rest = n_events - 1000
    counts = [max(1, int(w / total_w * rest)) for w in weights]
    counts[-1] += rest - sum(counts)  # exact total
    with db.engine.begin() as conn:
        conn.execute(
            table_of(Customer).insert(),
            [
                {
                    "id": cid,
                    "display_name": f"Customer {k}",
                    "traits": {},
                    "created_at": start,
                    "first_seen": start,
                    "last_seen": now,
                }
                for k, cid in enumerate(ids)
            ],
        )
        conn.execute(
            table_of(Identity).insert(),
            [
                {
                    "key": f"email:c{k}@example.com",
                    "kind": "email",
                    "value": f"c{k}@example.com",
                    "strong": True,
                    "customer_id": cid,
                    "created_at": start,
                }
                for k, cid in enumerate(ids)
            ],
        )
    events = table_of(Event)
    insights = table_of(Insight)
    owners = [(hot, 1000), *zip(ids[1:], counts, strict=True)]
    # Interleave customers the way a live store fills up: chunks of events in time order.
    plan: list[str] = []
    for cid, c in owners:
        plan.extend([cid] * c)
    rng.shuffle(plan)
    chunk: list[dict[str, Any]] = []
    hot_messages: list[str] = []
    span = (now - start).total_seconds()
    with db.engine.begin() as conn:
        for i, cid in enumerate(plan):
            ch = rng.choice(CHANNELS)
            type_ = TYPES[ch]
            payload, body = payload_for(rng, type_, i)
            eid = new_id("evt")
            if cid == hot and type_.startswith("message"):
                hot_messages.append(eid)
            when = start + timedelta(seconds=int(span * i / len(plan)) + rng.randint(0, 60))
            chunk.append(
                {
                    "id": eid,
                    "type": type_,
                    "source": "bench",
                    "channel": ch,
                    "occurred_at": when,
                    "received_at": when,
                    "customer_id": cid,
                    "idempotency_key": f"b{i}",
                    "identifiers": {"email": "x@example.com"},
                    "payload": payload,
                    "text": body,
                }
            )
            if len(chunk) >= 20_000:
                conn.execute(events.insert(), chunk)
                chunk.clear()
        if chunk:
            conn.execute(events.insert(), chunk)
        rows = []
        for eid in hot_messages:
            for kind, value in (
                ("language", {"code": "en"}),
                ("intent", {"label": "billing_dispute", "out_of_scope": False}),
                ("sentiment", {"label": "negative", "score": -0.6}),
                ("effort", {"score": 0.7, "level": "high", "signals": ["repeat"]}),
            ):
                rows.append(
                    {
                        "event_id": eid,
                        "customer_id": hot,
                        "kind": kind,
                        "value": value,
                        "confidence": 0.9,
                        "explanation": "bench",
                        "model": "bench",
                        "model_version": "1",
                        "created_at": now,
                    }
                )
        conn.execute(insights.insert(), rows)
        conn.exec_driver_sql("ANALYZE")
    db.dispose()
    return hot, time.perf_counter() - t0


class ServerTimer:
    """ASGI wrapper: the server's own time for the last request, without the test client."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.last_s = 0.0

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        t = time.perf_counter()
        await self.app(scope, receive, send)
        self.last_s = time.perf_counter() - t


def pct(values: list[float], p: float) -> float:
    s = sorted(values)
    return round(s[min(len(s) - 1, int(len(s) * p))] * 1000, 2)


def summary(values: list[float]) -> dict[str, float]:
    return {
        "p50_ms": pct(values, 0.50),
        "p99_ms": pct(values, 0.99),
        "mean_ms": round(statistics.fmean(values) * 1000, 2),
    }


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--events", type=int, default=1_000_000)
    p.add_argument("--customers", type=int, default=50_000)
    p.add_argument("--reads", type=int, default=500)
    p.add_argument("--keep", type=Path, help="build (or reuse) the store at this path")
    p.add_argument(
        "--gc",
        choices=["serve", "default"],
        default="serve",
        help="serve: the garbage-collector settings `onestory serve` applies (kit/gctune); "
        "default: CPython's defaults",
    )
    a = p.parse_args()
    if a.gc == "serve":
        gctune.enable()
    tmp = Path(tempfile.mkdtemp(prefix="onestory-story-"))
    path = a.keep or tmp / "story.db"
    url = f"sqlite:///{path}"
    hot_file = path.with_suffix(".hot")
    if a.keep and hot_file.exists():
        hot, build_s = hot_file.read_text().strip(), 0.0
        # A reused store may predate a migration (an index the read path relies on).
        reused = create_database(url)
        upgrade(reused.engine)
        reused.dispose()
    else:
        hot, build_s = build(url, a.events, a.customers, seed=3)
        hot_file.write_text(hot)

    settings = Settings(data_dir=tmp / "var", database_url=url, env="test")
    settings.ai.enabled = False
    settings.pipeline.inprocess_workers = False
    db = create_database(url)
    with db.engine.connect() as c:
        n = c.scalar(text("SELECT count(*) FROM events"))
        hot_n = c.scalar(
            select(text("count(*)")).select_from(Event).where(Event.customer_id == hot)
        )
        stmt = (
            select(Event)
            .where(Event.customer_id == hot)
            .order_by(Event.occurred_at.desc(), Event.seq.desc())
            .limit(51)
        )
        compiled = stmt.compile(db.engine, compile_kwargs={"literal_binds": True})
        plan = [r[-1] for r in c.exec_driver_sql(f"EXPLAIN QUERY PLAN {compiled}")]

    def timed(fn: Any) -> list[float]:
        for _ in range(20):
            fn()
        out = []
        for _ in range(a.reads):
            t = time.perf_counter()
            fn()
            out.append(time.perf_counter() - t)
        return out

    def svc(**kw: Any) -> Any:
        def run() -> None:
            with db.transaction() as s:
                orjson.dumps(service.story(s, hot, limit=50, **kw), option=orjson.OPT_UTC_Z)

        return run

    results: dict[str, Any] = {}
    gc_pauses: dict[str, Any] = {}
    app = create_app(settings)
    timer = ServerTimer(app)
    # The app's start-up (lifespan) freezes the heap under --gc serve, as `onestory serve`
    # does, so every case below runs inside it.
    with TestClient(timer) as client:
        with db.transaction() as s:
            first = service.story(s, hot, limit=50)
            deep_cursor = first["next_cursor"]
            for _ in range(17):
                assert deep_cursor
                deep_cursor = service.story(s, hot, limit=50, cursor=deep_cursor)["next_cursor"]
        assert len(first["items"]) == 50

        pauses = GcPauses()
        results["service_first_page"] = summary(timed(svc()))
        results["service_deep_page"] = summary(timed(svc(cursor=deep_cursor)))
        results["service_filtered_page"] = summary(timed(svc(types=["payment.*"])))
        gc_pauses["service"] = pauses.stop()

        rt = app.state.runtime
        with rt.db.transaction(write=True) as s:
            _k, secret = create_key(s, "bench", ["admin"], clock=SystemClock())
        h = {"Authorization": f"Bearer {secret}"}

        def http(name: str, params: dict[str, Any]) -> None:
            server: list[float] = []

            def run() -> None:
                r = client.get(f"/v1/customers/{hot}/story", params=params, headers=h)
                assert r.status_code == 200, r.text
                server.append(timer.last_s)

            client_s = timed(run)
            results[name] = {
                "server_ms": summary(server[-a.reads :]),
                "client_ms": summary(client_s),
            }

        pauses = GcPauses()
        http("http_asgi_first_page", {"limit": 50})
        http("http_asgi_deep_page", {"limit": 50, "cursor": deep_cursor})
        http("http_asgi_filtered_page", {"limit": 50, "type": "payment.*"})
        gc_pauses["http_asgi"] = pauses.stop()
    db.dispose()
    with create_database(url).transaction() as s:
        search_t = timed(
            lambda: events_repo.search_events(s, "router refund", customer_ids=[hot], limit=50)
        )
    results["fts_search_in_customer"] = summary(search_t)
    print(
        json.dumps(
            {
                "benchmark": "story",
                "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
                "command": " ".join(["bench/story.py", *sys.argv[1:]]),
                "store": {
                    "engine": "sqlite",
                    "events": n,
                    "customers": a.customers,
                    "hot_customer_events": hot_n,
                    "build_seconds": round(build_s, 1),
                    "size_mb": round(path.stat().st_size / 1e6, 1),
                },
                "reads_per_case": a.reads,
                "gc_settings": a.gc,
                "load_average_1m": round(os.getloadavg()[0], 2),
                "story_query_plan": plan,
                "results": results,
                "gc_during_reads": gc_pauses,
                "target": "p99 <= 25 ms",
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
