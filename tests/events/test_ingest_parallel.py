"""Batches prepared in a worker process (ingest/parallel.py) give the same answers as batches
prepared in-process, and a dead worker costs nothing but speed."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from onestory.config import IngestSettings
from onestory.ingest.parallel import PreparePool
from tests.conftest import Api, event, make_settings, open_api


def _api(tmp_path: Path, processes: int) -> Iterator[Api]:
    ingest = IngestSettings(prepare_processes=processes, prepare_min_bytes=0)
    yield from open_api(
        make_settings(tmp_path, f"sqlite:///{tmp_path / 'onestory.db'}", ingest=ingest)
    )


@pytest.fixture
def pooled(tmp_path: Path) -> Iterator[Api]:
    yield from _api(tmp_path / "pooled", 1)


@pytest.fixture
def inprocess(tmp_path: Path) -> Iterator[Api]:
    yield from _api(tmp_path / "inprocess", 0)


def mixed_batch() -> list[dict[str, Any]]:
    return [
        event(key="m1", email="Grace@Example.com", payload={"text": "my card 4111 1111 1111 1111"}),
        event(key="m2", email="not-an-email"),
        {"type": "x", "source": "test"},
        event(key="m1", email="Grace@Example.com"),  # duplicate in the batch
        event("payment.failed", key="m3", payload={"amount": "lots"}),
        event(key="m4", email="grace@example.com", phone="+44 7911 123456"),
        event(key="m5", phone="07911 123456", email=None),
        "not an object",
    ]


def answer_shape(body: dict[str, Any]) -> list[tuple[int, bool, list[str]]]:
    return [
        (i["status"], i["duplicate"], sorted(e["field"] for e in i["errors"]))
        for i in body["items"]
    ]


def test_worker_prepared_batch_answers_like_in_process(pooled: Api, inprocess: Api) -> None:
    assert isinstance(pooled.application.ingest.pool, PreparePool)
    assert inprocess.application.ingest.pool is None
    a = pooled.post("/v1/events/batch", json=mixed_batch())
    b = inprocess.post("/v1/events/batch", json=mixed_batch())
    assert a.status_code == b.status_code == 207
    assert answer_shape(a.json()) == answer_shape(b.json())
    items = a.json()["items"]
    # Identity resolution across the batch: email (any case) and the phone in two spellings
    # name one customer.
    assert items[0]["customer_id"] == items[5]["customer_id"] == items[6]["customer_id"]
    assert items[3]["id"] == items[0]["id"]
    # Redaction happened in the worker: the stored text has no card number.
    story = pooled.get(f"/v1/customers/{items[0]['customer_id']}/story").json()
    texts = [i["payload"].get("text", "") for i in story["items"] if i["source"] == "test"]
    assert texts and not any("4111" in t for t in texts)
    # With another large batch in flight the worker prepares the whole batch (no split):
    # the same answers.
    pool = pooled.application.ingest.pool
    assert pool is not None
    pool.batches_in_flight += 1
    try:
        again = [{**e, "source": "other"} if isinstance(e, dict) else e for e in mixed_batch()]
        c = pooled.post("/v1/events/batch", json=again)
    finally:
        pool.batches_in_flight -= 1
    assert answer_shape(c.json()) == answer_shape(b.json())


def test_malformed_bodies_get_the_same_problems_from_a_worker(pooled: Api) -> None:
    h = {**pooled.headers, "content-type": "application/json"}
    cases = [
        (pooled.client.post("/v1/events/batch", content=b'[{"type": ', headers=h), 400, "body"),
        (pooled.post("/v1/events/batch", json={"events": "nope"}), 422, "events"),
        (pooled.post("/v1/events/batch", json=[event()] * 1001), 413, "events"),
    ]
    for resp, status, field in cases:
        assert resp.status_code == status, resp.text
        assert resp.headers["content-type"].startswith("application/problem+json")
        assert any(e["field"] == field for e in resp.json()["errors"])
    ok = pooled.post("/v1/events/batch", json={"events": []})
    assert ok.status_code == 200 and ok.json()["items"] == []


def test_a_killed_worker_costs_nothing_but_speed(pooled: Api) -> None:
    pool = pooled.application.ingest.pool
    assert pool is not None
    pooled.client.portal.call(pool.warm_up)  # type: ignore[union-attr]
    executor = pool._executor
    assert executor is not None
    workers = list(executor._processes.values())  # the spawned worker processes
    assert workers
    for proc in workers:
        proc.kill()
        proc.join(10)
    r = pooled.post("/v1/events/batch", json=[event(key=f"k{i}") for i in range(3)])
    assert r.status_code == 200, r.text
    assert [i["status"] for i in r.json()["items"]] == [201, 201, 201]
    # The next batch gets a fresh pool.
    r2 = pooled.post("/v1/events/batch", json=[event(key="after", email="zoe@example.com")])
    assert r2.status_code == 200 and r2.json()["accepted"] == 1
    assert pool._executor is not None and pool._executor is not executor


def test_workers_exit_when_the_api_process_dies(tmp_path: Path) -> None:
    """A SIGKILLed server must not leave its preparation workers behind."""
    script = tmp_path / "owner.py"
    script.write_text(
        "import asyncio, os, signal, sys\n"
        "from onestory.config import IngestSettings\n"
        "from onestory.ingest.parallel import PreparePool\n"
        "async def main() -> None:\n"
        "    pool = PreparePool(IngestSettings(), None, 1, 0)\n"
        "    await pool.warm_up()\n"
        "    assert pool._executor is not None\n"
        "    print(*pool._executor._processes, flush=True)\n"
        "    os.kill(os.getpid(), signal.SIGKILL)\n"
        "if __name__ == '__main__':\n"
        "    asyncio.run(main())\n"
    )
    out = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=120)
    pids = [int(p) for p in out.stdout.split()]
    assert pids, out.stderr
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and any(_alive(p) for p in pids):
        time.sleep(0.2)
    assert not any(_alive(p) for p in pids)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie (exited, not yet reaped by init) counts as gone.
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False
