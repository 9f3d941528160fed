"""Live benchmark: a web-chat message from a visitor → visible on the agent's WebSocket.

Run from the repository root::

    .venv/bin/python bench/live.py [--conversations 200] [--duration 30] [--interval 10]
                                   [--store sqlite|postgres] [--workers inprocess|separate]

Starts ``onestory serve`` (uvicorn) in a subprocess on a free port with a fresh SQLite store,
creates a key with ``onestory init``, opens ``--conversations`` widget sessions (one visitor
WebSocket each, every visitor identified by email) and sends a first message each so every
conversation exists. Then one agent WebSocket per conversation subscribes to it
(``/v1/live?conversation_id=``) and, for ``--duration`` seconds, every visitor sends a message
every ``--interval`` seconds on average (random jitter). Latency is measured from just before
the visitor's WebSocket send to the agent's first ``conversation.message`` carrying that text
(the push made right after the message is recorded), and separately to the projected update
(after the pipeline: AI enrichment, conversation projection). Prints one JSON document.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import websockets
from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parent.parent
ONESTORY = str(ROOT / ".venv" / "bin" / "onestory")
REDIS_URL = "redis://127.0.0.1:6379/14"
PG_ROOT = os.environ.get("ONESTORY_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def pct(values: list[float], p: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    k = min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))
    return round(ordered[k] * 1000, 2)


def summary(values: list[float]) -> dict[str, Any]:
    return {
        "samples": len(values),
        "p50_ms": pct(values, 50),
        "p90_ms": pct(values, 90),
        "p99_ms": pct(values, 99),
        "max_ms": round(max(values) * 1000, 2) if values else None,
        "mean_ms": round(statistics.fmean(values) * 1000, 2) if values else None,
    }


class Bench:
    def __init__(self, base: str, key: str, n: int) -> None:
        self.base = base
        self.ws_base = base.replace("http", "ws", 1)
        self.key = key
        self.n = n
        self.sent: dict[str, float] = {}
        self.early: dict[str, float] = {}
        self.projected: dict[str, float] = {}
        self.errors: list[str] = []

    async def visitor(self, http: httpx.AsyncClient, i: int) -> tuple[Any, str]:
        for attempt in range(3):
            try:
                r = await http.post(
                    f"{self.base}/v1/widget/session", json={"email": f"visitor{i}@bench.example"}
                )
                break
            except httpx.TransportError:
                # A pooled keep-alive connection the server closed just as it was reused.
                if attempt == 2:
                    raise
        r.raise_for_status()
        ws = await websockets.connect(
            f"{self.ws_base}/v1/widget/ws?token={r.json()['token']}",
            max_queue=None,
            open_timeout=60,
        )
        ready = json.loads(await ws.recv())
        assert ready["type"] == "ready", ready
        await ws.send(json.dumps({"type": "message", "id": f"first-{i}", "text": f"hello {i}"}))
        while True:
            m = json.loads(await ws.recv())
            if m["type"] == "ack":
                return ws, m["customer_id"]
            if m["type"] == "error":
                raise RuntimeError(m)

    async def agent(self, conversation_id: str, stop: asyncio.Event) -> None:
        url = f"{self.ws_base}/v1/live?conversation_id={conversation_id}&api_key={self.key}"
        async with websockets.connect(url, max_queue=None, open_timeout=60) as ws:
            json.loads(await ws.recv())  # subscribed
            self.subscribed += 1
            while not stop.is_set():
                try:
                    raw = await asyncio.wait_for(ws.recv(), 0.5)
                except TimeoutError:
                    continue
                now = time.perf_counter()
                m = json.loads(raw)
                if m.get("kind") != "conversation.message":
                    continue
                text = m["message"].get("text") or ""
                if not text.startswith("bench "):
                    continue
                target = self.early if m.get("early") else self.projected
                target.setdefault(text, now)

    async def drain_visitor(self, ws: Any, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                raw = await asyncio.wait_for(ws.recv(), 0.5)
            except TimeoutError:
                continue
            m = json.loads(raw)
            if m.get("type") == "error":
                self.errors.append(str(m)[:200])

    async def talk(self, i: int, ws: Any, duration: float, interval: float) -> None:
        rng = random.Random(i)
        await asyncio.sleep(rng.uniform(0, interval))
        end = time.perf_counter() + duration
        n = 0
        while time.perf_counter() < end:
            text = f"bench {i}-{n} my parcel has still not arrived"
            self.sent[text] = time.perf_counter()
            await ws.send(json.dumps({"type": "message", "id": f"b-{i}-{n}", "text": text}))
            n += 1
            await asyncio.sleep(rng.uniform(0.5, 1.5) * interval)

    async def run(self, duration: float, interval: float) -> dict[str, Any]:
        self.subscribed = 0
        limits = httpx.Limits(max_connections=50)
        async with httpx.AsyncClient(timeout=60, limits=limits) as http:
            sem = asyncio.Semaphore(20)

            async def one(i: int) -> tuple[Any, str]:
                async with sem:
                    return await self.visitor(http, i)

            visitors = await asyncio.gather(*(one(i) for i in range(self.n)))
            headers = {"Authorization": f"Bearer {self.key}"}
            conv_of: dict[str, str] = {}
            deadline = time.perf_counter() + 300
            while len(conv_of) < self.n and time.perf_counter() < deadline:
                await asyncio.sleep(1)
                r = await http.get(
                    f"{self.base}/v1/conversations",
                    params={"status": "active", "limit": 200},
                    headers=headers,
                )
                for c in r.json()["items"]:
                    conv_of[c["customer_id"]] = c["id"]
                offset = 200
                while offset < self.n:
                    r = await http.get(
                        f"{self.base}/v1/conversations",
                        params={"status": "active", "limit": 200, "offset": offset},
                        headers=headers,
                    )
                    for c in r.json()["items"]:
                        conv_of[c["customer_id"]] = c["id"]
                    offset += 200
            if len(conv_of) < self.n:
                raise RuntimeError(f"only {len(conv_of)} of {self.n} conversations were opened")
        stop = asyncio.Event()
        agents = [asyncio.create_task(self.agent(conv_of[cid], stop)) for _ws, cid in visitors]
        drains = [asyncio.create_task(self.drain_visitor(ws, stop)) for ws, _cid in visitors]
        while self.subscribed < self.n:
            await asyncio.sleep(0.05)
        t0 = time.perf_counter()
        await asyncio.gather(
            *(self.talk(i, ws, duration, interval) for i, (ws, _c) in enumerate(visitors))
        )
        elapsed = time.perf_counter() - t0
        # Let the last pushes (and the pipeline's projected updates) arrive.
        deadline = time.perf_counter() + 60
        while time.perf_counter() < deadline and (
            len(self.early) < len(self.sent) or len(self.projected) < len(self.sent)
        ):
            await asyncio.sleep(0.2)
        stop.set()
        await asyncio.gather(*agents, *drains, return_exceptions=True)
        for ws, _cid in visitors:
            await ws.close()
        early = [self.early[t] - s for t, s in self.sent.items() if t in self.early]
        projected = [self.projected[t] - s for t, s in self.sent.items() if t in self.projected]
        return {
            "conversations": self.n,
            "messages_sent": len(self.sent),
            "send_rate_per_s": round(len(self.sent) / elapsed, 1),
            "visible_on_agent_ws": summary(early),
            "projected_on_agent_ws": summary(projected),
            "missing_early": len(self.sent) - len(early),
            "missing_projected": len(self.sent) - len(projected),
            "errors": self.errors[:5],
        }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--conversations", type=int, default=200)
    ap.add_argument("--duration", type=float, default=30.0)
    ap.add_argument(
        "--interval", type=float, default=10.0, help="seconds between a visitor's messages"
    )
    ap.add_argument("--settle", type=float, default=5.0, help="seconds for model loading")
    ap.add_argument("--store", choices=["sqlite", "postgres"], default="sqlite")
    ap.add_argument(
        "--workers",
        choices=["inprocess", "separate"],
        default="inprocess",
        help="pipeline in the API process, or one `onestory worker` process over Redis",
    )
    ap.add_argument("--worker-nice", type=int, default=10, help="nice level of the worker")
    ap.add_argument("--redis", default=os.environ.get("ONESTORY_TEST_REDIS", REDIS_URL))
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="onestory-live-"))
    env = {
        **os.environ,
        "ONESTORY_DATA_DIR": str(tmp),
        "ONESTORY_LOG_LEVEL": "WARNING",
        "ONESTORY_DATABASE_URL": f"sqlite:///{tmp / 'onestory.db'}",
    }
    schema = None
    if args.store == "postgres":
        schema = f"live_{uuid.uuid4().hex[:10]}"
        admin = create_engine(PG_ROOT, isolation_level="AUTOCOMMIT")
        with admin.connect() as c:
            c.execute(text(f'CREATE SCHEMA "{schema}"'))
        env["ONESTORY_DATABASE_URL"] = f"{PG_ROOT}?options=-csearch_path%3D{schema}"
    if args.workers == "separate":
        env["ONESTORY_BUS"] = "redis"
        env["ONESTORY_REDIS_URL"] = args.redis
        env["ONESTORY_PIPELINE__INPROCESS_WORKERS"] = "false"
        env["ONESTORY_PIPELINE__STREAM_PREFIX"] = f"live-{uuid.uuid4().hex[:8]}"
    subprocess.run([ONESTORY, "init"], env=env, check=True, capture_output=True)
    key = (tmp / "admin-api-key.txt").read_text().strip()
    port = free_port()
    log = tmp / "server.log"
    proc = subprocess.Popen(
        [ONESTORY, "serve", "--port", str(port)],
        env=env,
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
    )
    worker = None
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"server did not start; see {log}")
            time.sleep(0.1)
        if args.workers == "separate":
            # Started once the server is up: both seed shared rows at start-up.
            # The worker (AI enrichment, projections) runs at a lower CPU priority than the
            # API so that live pushes are never queued behind model inference.
            worker = subprocess.Popen(
                ["nice", "-n", str(args.worker_nice), ONESTORY, "worker"],
                env=env,
                stdout=log.open("ab"),
                stderr=subprocess.STDOUT,
            )
        time.sleep(args.settle)
        result = asyncio.run(Bench(base, key, args.conversations).run(args.duration, args.interval))
    finally:
        for p in (proc, worker):
            if p is None:
                continue
            p.terminate()
            try:
                p.wait(30)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        if schema:
            with admin.connect() as c:
                c.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
            admin.dispose()
    out = {
        "benchmark": "live: inbound web-chat message -> subscribed agent WebSocket",
        "command": "python bench/live.py " + " ".join(sys.argv[1:]),
        "store": args.store,
        "server": (
            "onestory serve (uvicorn, 1 process, in-process pipeline workers)"
            if args.workers == "inprocess"
            else "onestory serve (uvicorn, 1 process) + onestory worker (1 process), Redis bus"
        ),
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
        },
        **result,
        "target_p99_ms": 100,
    }
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
