"""Ingest benchmark: HTTP batches of 1,000 events into a real server, identity resolution included.

Run from the repository root::

    .venv/bin/python bench/ingest.py [--events 100000] [--store sqlite|postgres|both]
                                     [--workers on|off|both] [--clients 2]

Starts ``onestory serve`` (uvicorn) in a subprocess on a free port with a fresh store (a SQLite
file in a temp dir; for PostgreSQL a fresh schema in ``$ONESTORY_TEST_PG``), creates a key with
``onestory init``, then posts pre-serialised batches of 1,000 events from ``--clients`` threads.
Events mix new and returning customers (about 40% of events come from a customer seen before)
with realistic identifiers: email (mixed case), UK mobile numbers in local and international
forms, a billing account id and a device id. Prints one JSON document: events/s per store and
per pipeline mode (``workers: off`` is ingest only; ``on`` runs the pipeline stages in the same
process and also reports how long the backlog took to drain).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import orjson
from sqlalchemy import create_engine, text

PG_ROOT = os.environ.get("ONESTORY_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
ROOT = Path(__file__).resolve().parent.parent
ONESTORY = str(ROOT / ".venv" / "bin" / "onestory")
CHANNELS = ["chat", "email", "sms", "voice", "app", "web", "billing", "orders"]
TYPES = {
    "chat": "message.received",
    "email": "message.received",
    "sms": "message.received",
    "voice": "call.ended",
    "app": "app.session_started",
    "web": "page.viewed",
    "billing": "invoice.issued",
    "orders": "order.shipped",
}
TEXTS = [
    "Hi, my parcel has not arrived yet and the tracking page has not moved since Monday",
    "I was charged twice for my subscription this month, can you refund one of them?",
    "The router keeps dropping the connection every evening around eight",
    "Thanks, the technician fixed it, all good now",
    "I want to cancel my contract unless you can match the other offer",
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def make_events(n: int, seed: int, tag: str) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    known: list[int] = []
    next_id = 0
    now = datetime.now(UTC)
    out = []
    for i in range(n):
        if known and rng.random() < 0.4:
            c = rng.choice(known)
        else:
            c = next_id
            next_id += 1
            known.append(c)
        ch = rng.choice(CHANNELS)
        cust: dict[str, Any] = {"email": f"Person.{tag}{c}@Example.com"}
        r = rng.random()
        if r < 0.3:
            cust["phone"] = (
                f"07911 {100000 + c % 900000}" if c % 2 else f"+447911{100000 + c % 900000}"
            )
        elif r < 0.5:
            cust["external_ids"] = {"billing": f"AC-{tag}{c}"}
        if rng.random() < 0.2:
            cust["device_id"] = f"dev-{tag}-{c}"
        payload: dict[str, Any]
        if TYPES[ch].startswith("message"):
            payload = {"text": rng.choice(TEXTS), "direction": "inbound"}
        elif ch == "billing":
            payload = {"amount": round(rng.uniform(5, 200), 2), "currency": "EUR"}
        elif ch == "voice":
            payload = {"call_id": f"C{i}", "duration_seconds": rng.randint(20, 900)}
        elif ch == "orders":
            payload = {"order_id": f"O{c}-{i}", "carrier": "DPD"}
        else:
            payload = {"ref": f"R{i}", "value": rng.randint(1, 100)}
        out.append(
            {
                "type": TYPES[ch],
                "source": "bench",
                "channel": ch,
                "occurred_at": (now - timedelta(seconds=rng.randint(0, 90 * 86400))).isoformat(),
                "customer": cust,
                "payload": payload,
                "idempotency_key": f"{tag}-{i}",
            }
        )
    return out


def process_tree_cpu(pid: int) -> tuple[float, float]:
    """CPU seconds (user + system) used so far by ``pid`` and by its direct children (the
    batch-preparation workers). CPU time is far less disturbed than wall time on a shared
    machine, and the larger of the two bounds the throughput an idle machine can reach."""
    tick = os.sysconf("SC_CLK_TCK")
    own = children = 0.0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        # After the command name: state ppid ... utime(12th) stime(13th)
        used = (int(fields[11]) + int(fields[12])) / tick
        if int(entry.name) == pid:
            own += used
        elif int(fields[1]) == pid:
            children += used
    return own, children


class Server:
    def __init__(self, env: dict[str, str], port: int, log: Path) -> None:
        self.env, self.port, self.log = env, port, log
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [ONESTORY, "serve", "--port", str(self.port)],
            env=self.env,
            stdout=self.log.open("ab"),
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"http://127.0.0.1:{self.port}/health", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.1)
        raise RuntimeError(f"server did not start; see {self.log}")

    def stop(self) -> None:
        if self.proc:
            self.proc.terminate()
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def run(
    store: str, workers: bool, n: int, clients: int, batch: int, settle: float
) -> dict[str, Any]:
    tmp = Path(tempfile.mkdtemp(prefix="onestory-bench-"))
    schema = None
    env = {**os.environ, "ONESTORY_DATA_DIR": str(tmp), "ONESTORY_LOG_LEVEL": "WARNING"}
    env["ONESTORY_PIPELINE__INPROCESS_WORKERS"] = "true" if workers else "false"
    if store == "postgres":
        schema = f"bench_{uuid.uuid4().hex[:10]}"
        admin = create_engine(PG_ROOT, isolation_level="AUTOCOMMIT")
        with admin.connect() as c:
            c.execute(text(f'CREATE SCHEMA "{schema}"'))
        env["ONESTORY_DATABASE_URL"] = f"{PG_ROOT}?options=-csearch_path%3D{schema}"
    else:
        env["ONESTORY_DATABASE_URL"] = f"sqlite:///{tmp / 'onestory.db'}"
    subprocess.run([ONESTORY, "init"], env=env, check=True, capture_output=True)
    key = (tmp / "admin-api-key.txt").read_text().strip()
    events = make_events(n, seed=1, tag=uuid.uuid4().hex[:6])
    bodies = [orjson.dumps(events[i : i + batch]) for i in range(0, n, batch)]
    server = Server(env, free_port(), tmp / "server.log")
    server.start()
    # The server loads its AI models in a background thread at start (seconds to a minute on a
    # busy machine): measure the steady state, after the load and a short settle.
    models_wait = time.perf_counter()
    while time.perf_counter() - models_wait < 600:
        health = httpx.get(f"http://127.0.0.1:{server.port}/health", timeout=30).json()
        if health.get("ai_models") != "loading":
            break
        time.sleep(0.5)
    models_wait = time.perf_counter() - models_wait
    time.sleep(settle)
    headers = {"Authorization": f"Bearer {key}", "content-type": "application/json"}
    url = f"http://127.0.0.1:{server.port}/v1/events/batch"
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    todo = list(enumerate(bodies))

    def client() -> None:
        with httpx.Client(timeout=120) as http:
            while True:
                with lock:
                    if not todo:
                        return
                    _i, body = todo.pop(0)
                t = time.perf_counter()
                r = http.post(url, content=body, headers=headers)
                dt = time.perf_counter() - t
                with lock:
                    latencies.append(dt)
                    if r.status_code != 200:
                        errors.append(f"{r.status_code}: {r.text[:200]}")

    try:
        assert server.proc is not None
        cpu0 = process_tree_cpu(server.proc.pid)
        client_cpu0 = time.process_time()
        t0 = time.perf_counter()
        threads = [threading.Thread(target=client) for _ in range(clients)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        ingest_s = time.perf_counter() - t0
        cpu1 = process_tree_cpu(server.proc.pid)
        server_cpu, worker_cpu = cpu1[0] - cpu0[0], cpu1[1] - cpu0[1]
        client_cpu = time.process_time() - client_cpu0
        drain_s = None
        if workers:
            while True:
                h = httpx.get(f"http://127.0.0.1:{server.port}/health", timeout=30).json()
                if h["pipeline_pending"] == 0:
                    break
                if time.perf_counter() - t0 > 1800:
                    break
                time.sleep(0.5)
            drain_s = time.perf_counter() - t0
        with httpx.Client() as http:
            r = http.get(
                f"http://127.0.0.1:{server.port}/v1/customers",
                params={"q": events[0]["customer"]["email"]},
                headers=headers,
            )
            resolved = len(r.json()["items"]) == 1
    finally:
        server.stop()
        if schema:
            with admin.connect() as c:
                c.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
            admin.dispose()
    latencies.sort()
    return {
        "store": store,
        "pipeline_workers": "on" if workers else "off",
        "events": n,
        "batch": batch,
        "clients": clients,
        "ai_models_load_seconds": round(models_wait, 1),
        "settle_seconds": settle,
        "errors": errors[:3],
        "error_batches": len(errors),
        "ingest_seconds": round(ingest_s, 2),
        "events_per_s": round(n / ingest_s),
        "server_cpu_ms_per_1000_events": round((server_cpu + worker_cpu) / n * 1e6, 1),
        "api_process_cpu_ms_per_1000_events": round(server_cpu / n * 1e6, 1),
        "prepare_workers_cpu_ms_per_1000_events": round(worker_cpu / n * 1e6, 1),
        "client_cpu_ms_per_1000_events": round(client_cpu / n * 1e6, 1),
        "load_average_after": [round(x, 2) for x in os.getloadavg()],
        "batch_p50_ms": round(latencies[len(latencies) // 2] * 1000, 1),
        "batch_p99_ms": round(
            latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] * 1000, 1
        ),
        "ingest_plus_pipeline_seconds": round(drain_s, 2) if drain_s else None,
        "end_to_end_events_per_s": round(n / drain_s) if drain_s else None,
        "identity_check": resolved,
    }


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--events", type=int, default=100_000)
    p.add_argument("--batch", type=int, default=1000)
    p.add_argument("--clients", type=int, default=2)
    p.add_argument(
        "--settle", type=float, default=5.0, help="seconds to wait once the AI models loaded"
    )
    p.add_argument("--store", choices=["sqlite", "postgres", "both"], default="both")
    p.add_argument("--workers", choices=["on", "off", "both"], default="both")
    a = p.parse_args()
    stores = ["sqlite", "postgres"] if a.store == "both" else [a.store]
    modes = [False, True] if a.workers == "both" else [a.workers == "on"]
    results = [run(s, w, a.events, a.clients, a.batch, a.settle) for s in stores for w in modes]
    print(
        json.dumps(
            {
                "benchmark": "ingest",
                "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
                "command": " ".join(["bench/ingest.py", *sys.argv[1:]]),
                "results": results,
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
