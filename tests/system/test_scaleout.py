"""Scale-out against the real Redis: stream consumer groups, reclaiming, cross-process live
updates, and an end-to-end run with separate worker processes on PostgreSQL."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import redis

from onestory.bus.redis import RedisBus
from onestory.live.hub import RedisHub, customer_channel
from tests.conftest import PG_UP, REDIS_UP, REDIS_URL, event, make_settings, open_api, pg_schema_url
from tests.support.server import Server, base_env

pytestmark = [
    pytest.mark.redis,
    pytest.mark.skipif(not REDIS_UP, reason="Redis is not reachable on 127.0.0.1:6379"),
]


@pytest.fixture
def prefix() -> Iterator[str]:
    """A private key prefix; every key under it is deleted afterwards."""
    p = f"ostest-{uuid.uuid4().hex[:10]}"
    yield p
    r = redis.Redis.from_url(REDIS_URL)
    keys = list(r.scan_iter(f"{p}:*"))
    if keys:
        r.delete(*keys)
    r.close()


@pytest.fixture
async def buses(prefix: str) -> AsyncIterator[tuple[RedisBus, RedisBus]]:
    a = RedisBus(REDIS_URL, prefix, claim_idle_ms=200)
    b = RedisBus(REDIS_URL, prefix, claim_idle_ms=200)
    yield a, b
    await a.close()
    await b.close()


async def test_two_consumers_share_a_stream_without_overlap(
    buses: tuple[RedisBus, RedisBus],
) -> None:
    a, b = buses
    bodies = [str(i) for i in range(300)]
    await a.publish("pipeline.enrich", bodies)
    got: dict[str, list[str]] = {"a": [], "b": []}
    for _ in range(50):
        for name, bus in (("a", a), ("b", b)):
            ds = await bus.consume("pipeline.enrich", name, max_items=40, timeout=0.1)
            got[name].extend(d.body for d in ds)
            await bus.ack("pipeline.enrich", ds)
        if len(got["a"]) + len(got["b"]) >= len(bodies):
            break
    assert got["a"] and got["b"]  # both worked
    assert sorted(got["a"] + got["b"], key=int) == bodies  # everything once, nothing twice
    assert await a.consume("pipeline.enrich", "a", max_items=10, timeout=0.1) == []


async def test_an_unacked_delivery_is_reclaimed_by_another_consumer(
    buses: tuple[RedisBus, RedisBus],
) -> None:
    a, b = buses
    await a.publish("pipeline.detect", ["1", "2", "3"])
    taken = await a.consume("pipeline.detect", "dies", max_items=10, timeout=1)
    assert [d.body for d in taken] == ["1", "2", "3"]
    # Not acknowledged and not yet idle long enough: nobody else gets them.
    assert await b.consume("pipeline.detect", "lives", max_items=10, timeout=0.05) == []
    await asyncio.sleep(0.3)  # past claim_idle_ms (200 ms), measured by Redis itself
    reclaimed = await b.consume("pipeline.detect", "lives", max_items=10, timeout=1)
    assert [d.body for d in reclaimed] == ["1", "2", "3"]
    await b.ack("pipeline.detect", reclaimed)
    await asyncio.sleep(0.3)
    assert await b.consume("pipeline.detect", "lives", max_items=10, timeout=0.05) == []


async def test_live_message_published_by_one_hub_reaches_a_subscriber_of_another(
    prefix: str,
) -> None:
    api_1, api_2 = RedisHub(REDIS_URL, prefix), RedisHub(REDIS_URL, prefix)
    await api_1.start()
    await api_2.start()
    try:
        mine = api_2.subscribe({customer_channel("cus_a")})
        other = api_2.subscribe({customer_channel("cus_b")})
        await api_1.publish([customer_channel("cus_a")], {"kind": "story.recorded", "n": 1})
        assert await mine.get(timeout=5) == {"kind": "story.recorded", "n": 1}
        with pytest.raises(TimeoutError):
            await other.get(timeout=0.3)
    finally:
        await api_1.close()
        await api_2.close()


@pytest.fixture
def pg_url() -> Iterator[str]:
    if not PG_UP:
        pytest.skip("PostgreSQL is not reachable on 127.0.0.1:5432")
    yield from pg_schema_url()


@pytest.mark.slow
@pytest.mark.postgres
def test_api_without_workers_plus_a_separate_worker_process_processes_everything(
    tmp_path: Path, pg_url: str, prefix: str
) -> None:
    """ONESTORY_BUS=redis on PostgreSQL: the API only records; ``onestory worker`` does the rest."""
    common = {"redis_url": REDIS_URL, "bus": "redis"}
    settings = make_settings(
        tmp_path,
        pg_url,
        **common,
        ai={"enabled": False},
        pipeline={"inprocess_workers": False, "stream_prefix": prefix},
    )
    worker = Server(
        base_env(
            tmp_path / "var",
            pg_url,
            ONESTORY_BUS="redis",
            ONESTORY_REDIS_URL=REDIS_URL,
            ONESTORY_PIPELINE__STREAM_PREFIX=prefix,
            ONESTORY_AI__ENABLED="false",
        ),
        tmp_path / "worker.log",
        command="worker",
    )
    for api in open_api(settings):
        # The API's lifespan migrated the schema; now a worker process joins.
        worker.start()
        try:
            ids = []
            for b in range(5):
                items = [event(email=f"w{i % 7}@example.com", key=f"{b}-{i}") for i in range(40)]
                r = api.post("/v1/events/batch", json=items)
                assert r.status_code == 200, r.text
                ids += [i["id"] for i in r.json()["items"]]
            assert len(set(ids)) == 200
            deadline = time.monotonic() + 90
            while api.runtime.pipeline.pending_count():
                assert worker.proc is not None and worker.proc.poll() is None, (
                    worker.log.read_text()[-3000:]
                )
                assert time.monotonic() < deadline, "the worker did not finish the pipeline"
                time.sleep(0.2)
            health = api.client.get("/health").json()
            assert health["bus"] == "redis" and health["pipeline_pending"] == 0
        finally:
            worker.stop()
