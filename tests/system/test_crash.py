"""SIGKILL the real server, and its batch-preparation worker, with the AI stack on: in the worker
while it prepares a large batch, in the whole server while a large batch is in the worker, and
in the middle of the pipeline (events recorded, enrichment and projection half done). After
each restart and a re-send of everything unacknowledged with the same idempotency keys, every
event is stored exactly once and every derived row exists exactly once: the conversation
messages, the AI insights and the full-text index."""

from __future__ import annotations

import json
import os
import signal
import threading
import time
from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import create_engine, func, select

from onestory.conversations.models import Conversation, ConversationMessage
from onestory.models import Customer, Event, Insight, PipelineJob
from tests.support.server import Server, base_env, cli, prepare_workers, wait_busy, wait_gone

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs Linux /proc"),
]

# Large batches (>= ingest.prepare_min_bytes, the default 64 KiB) go to the worker process;
# the small ones between them stay in the API process.
SIZES = [300, 40] * 4
BATCHES = len(SIZES)
PREPARE_MIN_BYTES = 64 * 1024
CUSTOMERS = 150
# What the enrich stage writes for every customer message, and for every agent message.
CUSTOMER_KINDS = {"language", "intent", "sentiment", "emotion", "effort"}
AGENT_KINDS = {"language"}


def token(b: int) -> str:
    """A word that every message of batch ``b`` carries, and no other event: full-text search
    for it must find exactly that batch's messages."""
    return f"crashtok{b}q"


def batches() -> list[list[dict[str, Any]]]:
    now = datetime.now(UTC) - timedelta(days=1)
    out = []
    n = 0
    for b, size in enumerate(SIZES):
        items = []
        for _ in range(size):
            c = n % CUSTOMERS  # returning customers across batches
            if n % 5 == 0:
                type_, payload = (
                    "message.received",
                    {"text": f"where is order {c}? it is late again {token(b)} n{n}"},
                )
            elif n % 10 == 3:
                type_, payload = (
                    "message.sent",
                    {"text": f"Your order {c} ships today, sorry for the wait {token(b)} n{n}"},
                )
            elif n % 5 == 1:
                type_, payload = "payment.failed", {"amount": 12.5, "currency": "EUR"}
            else:
                type_, payload = "order.shipped", {"order_id": f"O-{n}"}
            items.append(
                {
                    "type": type_,
                    "source": "crash-test",
                    "channel": "chat" if type_.startswith("message") else "orders",
                    "occurred_at": (now + timedelta(seconds=n)).isoformat(),
                    "customer": {"email": f"c{c}@example.com"}
                    | ({"external_ids": {"billing": f"B{c}"}} if c % 3 == 0 else {}),
                    "payload": payload,
                    "idempotency_key": f"k{n}",
                }
            )
            n += 1
        out.append(items)
    return out


class Stream:
    """Posts batches one after another from a thread; remembers what was acknowledged and
    stops at the first request that gets no answer (the server died)."""

    def __init__(self, url: str, key: str, todo: list[int], bodies: list[bytes]) -> None:
        self.url, self.key, self.todo, self.bodies = url, key, list(todo), bodies
        self.acked: dict[int, list[str]] = {}
        # Every acknowledged request in order (a batch re-sent is there again).
        self.answered: list[int] = []
        self.failed_at: int | None = None
        self.error: str | None = None
        self.acked_any = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)

    def run(self) -> None:
        headers = {"Authorization": f"Bearer {self.key}", "Content-Type": "application/json"}
        with httpx.Client(timeout=120, headers=headers) as http:
            for b in self.todo:
                try:
                    r = http.post(f"{self.url}/v1/events/batch", content=self.bodies[b])
                except httpx.HTTPError:
                    self.failed_at = b
                    return
                if r.status_code != 200:
                    self.error = f"batch {b}: {r.status_code} {r.text[:2000]}"
                    return
                ids = [i["id"] for i in r.json()["items"]]
                if self.acked.setdefault(b, ids) != ids:
                    self.error = f"batch {b}: a re-send answered other ids"
                    return
                self.answered.append(b)
                self.acked_any.set()

    def wait_large_answers(self, after: int, count: int, timeout: float = 120) -> None:
        """Wait until ``count`` large batches sent after the ``after``-th answer are answered."""
        deadline = time.monotonic() + timeout
        while sum(1 for b in self.answered[after:] if SIZES[b] == max(SIZES)) < count:
            assert self.thread.is_alive() or self.error is None, self.error
            assert time.monotonic() < deadline, "the stream stalled"
            time.sleep(0.02)

    def start(self) -> Stream:
        self.thread.start()
        return self


def one_worker(server: Server, timeout: float = 60) -> int:
    """The server's batch-preparation worker (the pool starts it on the first large batch)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = prepare_workers(server.pid)
        if found:
            assert len(found) == 1, found
            return found[0]
        time.sleep(0.05)
    raise AssertionError(f"no preparation worker started: {server.log.read_text()[-2000:]}")


def test_sigkill_in_worker_server_and_pipeline_keeps_events_and_derived_state_exactly_once(
    tmp_path: Path, database_url: str
) -> None:
    # AI on: the default offline models (no MiniLM); one worker even on a one-core machine.
    env = base_env(
        tmp_path / "var",
        database_url,
        ONESTORY_INGEST__PREPARE_PROCESSES="1",
        ONESTORY_INGEST__PREPARE_MIN_BYTES=str(PREPARE_MIN_BYTES),
        # Smaller pipeline transactions than the default 500: more of them for the kill in
        # the pipeline to land in the middle of.
        ONESTORY_PIPELINE__BATCH_SIZE="100",
    )
    env.pop("ONESTORY_AI__ENABLED", None)
    done = cli(env, "init")
    assert done.returncode == 0, done.stderr
    key = (tmp_path / "var" / "admin-api-key.txt").read_text().strip()
    data = batches()
    bodies = [json.dumps(b, separators=(",", ":")).encode() for b in data]
    large = [b for b, body in enumerate(bodies) if len(body) >= PREPARE_MIN_BYTES]
    assert large == list(range(0, BATCHES, 2)), "every other batch must go to the worker"
    server = Server(env, tmp_path / "server.log")
    acked: dict[int, list[str]] = {}
    server.start()
    try:
        # 1. The worker is killed while it prepares a large batch: the server prepares that
        # batch in-process, answers it, and starts a new worker for the next one. (The
        # stream goes round again, as a client re-sending would, so the worker has work
        # until the kills below, however fast the first round went.)
        stream = Stream(server.url, key, list(range(BATCHES)) * 3, bodies).start()
        assert stream.acked_any.wait(120), "no batch was acknowledged"
        worker = one_worker(server)
        assert wait_busy(worker, 60), "the worker never ran a batch"
        answered = len(stream.answered)
        os.kill(worker, signal.SIGKILL)
        assert wait_gone(worker, 10)
        # 2. The whole server is killed while the new worker prepares a large batch; the
        # worker, orphaned, exits on its own. (Two large batches answered after the kill:
        # the one the dead worker had, prepared in-process, and one the new worker prepared,
        # so the new worker is past its start-up and busy means busy with a batch.)
        stream.wait_large_answers(answered, 2)
        replacement = one_worker(server)
        assert replacement != worker
        assert wait_busy(replacement, 60), "the new worker never ran a batch"
        server.kill()  # SIGKILL: no lifespan shutdown, no flush
        stream.thread.join(120)
        assert not stream.thread.is_alive()
        assert stream.error is None, stream.error
        assert stream.failed_at is not None, "the kill should land mid-stream"
        assert wait_gone(replacement, 15), "the orphaned worker outlived its server"
        acked.update(stream.acked)
        assert acked
        assert "preparing in-process" in server.log.read_text()

        # 3. Restart, re-send everything unacknowledged (including the batch in flight, which
        # may or may not have been committed) with the same keys, then kill the server while
        # the pipeline is half-way through the backlog.
        server.start()
        retry = Stream(server.url, key, [b for b in range(BATCHES) if b not in acked], bodies)
        retry.run()
        assert retry.failed_at is None and retry.error is None, retry.error
        acked.update(retry.acked)
        assert sorted(acked) == list(range(BATCHES))
        backlog = int(server.health()["pipeline_pending"])
        assert backlog > 0, "the pipeline should still have work when ingest is done"
        server.wait_pending_below(backlog * 2 // 3, timeout=180)
        server.kill()
    finally:
        server.stop()
    jobs, with_insights, messages = _pipeline_progress(database_url)
    assert jobs > 0 and with_insights > 0 and messages > 0, (
        "the kill should land with the pipeline part-way: "
        f"{jobs} jobs pending, {with_insights} events enriched, {messages} messages projected"
    )

    # 4. Restart: the pipeline resumes and drains; derived state is complete, once.
    server.start()
    try:
        assert server.wait_drained(timeout=240)["pipeline_pending"] == 0
        # Acknowledged ids are stable: a re-send of an acknowledged batch answers the same ids.
        with httpx.Client(timeout=60, headers={"Authorization": f"Bearer {key}"}) as http:
            again = http.post(
                f"{server.url}/v1/events/batch",
                content=bodies[0],
                headers={"Content-Type": "application/json"},
            ).json()
            assert [i["id"] for i in again["items"]] == acked[0]
            assert again["duplicates"] == SIZES[0]
            # The platform's own events (playbook outreach, say) may still be queued after
            # the first drain; let them through before the store is inspected.
            server.wait_drained(timeout=180)
            _check_search(http, server.url, data, acked)
            conversations = _check_conversations_api(http, server.url, data, acked)
    finally:
        server.stop()
    _check_store(database_url, data, acked, conversations)


def _pipeline_progress(database_url: str) -> tuple[int, int, int]:
    engine = create_engine(database_url)
    try:
        with engine.connect() as c:
            jobs = c.scalar(select(func.count()).select_from(PipelineJob)) or 0
            with_insights = c.scalar(select(func.count(func.distinct(Insight.event_id)))) or 0
            messages = c.scalar(select(func.count()).select_from(ConversationMessage)) or 0
    finally:
        engine.dispose()
    return jobs, with_insights, messages


def _message_ids(data: list[list[dict[str, Any]]], acked: dict[int, list[str]]) -> dict[str, int]:
    """Every message event's id -> its batch."""
    return {
        acked[b][j]: b
        for b, items in enumerate(data)
        for j, item in enumerate(items)
        if item["type"].startswith("message.")
    }


def _check_search(
    http: httpx.Client, url: str, data: list[list[dict[str, Any]]], acked: dict[int, list[str]]
) -> None:
    """The full-text index holds every message once: a batch's word finds exactly the
    batch's messages, each once, and nothing else."""
    by_batch: dict[int, set[str]] = defaultdict(set)
    for eid, b in _message_ids(data, acked).items():
        by_batch[b].add(eid)
    for b in range(BATCHES):
        r = http.get(f"{url}/v1/search/events", params={"q": token(b), "limit": 200})
        assert r.status_code == 200, r.text
        hits = [h["event"]["id"] for h in r.json()["items"]]
        assert len(hits) == len(set(hits)), f"batch {b}: duplicate search hits"
        assert set(hits) == by_batch[b], f"batch {b}: search hits differ from its messages"


def _check_conversations_api(
    http: httpx.Client, url: str, data: list[list[dict[str, Any]]], acked: dict[int, list[str]]
) -> dict[str, list[str]]:
    """Each message appears once, in one conversation, as an agent reading it sees it."""
    r = http.get(f"{url}/v1/conversations", params={"limit": 200})
    assert r.status_code == 200, r.text
    listed = r.json()
    assert listed["total"] == len(listed["items"]) <= 200
    shown: dict[str, list[str]] = {}
    for conv in listed["items"]:
        page = http.get(f"{url}/v1/conversations/{conv['id']}", params={"limit": 2000}).json()
        assert page["older_cursor"] is None
        shown[conv["id"]] = [m["event_id"] for m in page["messages"]]
        assert page["message_count"] == len(shown[conv["id"]]), conv["id"]
    seen = Counter(eid for ids in shown.values() for eid in ids)
    assert set(seen.values()) == {1}, "a message appears twice"
    # (The platform may add messages of its own, playbook outreach say: not missing ones.)
    missing = set(_message_ids(data, acked)) - set(seen)
    assert not missing, f"{len(missing)} messages missing from conversations"
    return shown


def _check_store(
    database_url: str,
    data: list[list[dict[str, Any]]],
    acked: dict[int, list[str]],
    conversations: dict[str, list[str]],
) -> None:
    engine = create_engine(database_url)
    try:
        with engine.connect() as c:
            rows = c.execute(
                select(Event.idempotency_key, Event.id).where(Event.source == "crash-test")
            ).all()
            jobs = c.scalar(select(func.count()).select_from(PipelineJob))
            insight_rows = c.execute(select(Insight.event_id, Insight.kind)).all()
            placed = c.execute(
                select(ConversationMessage.event_id, Conversation.customer_id, Event.customer_id)
                .join(Conversation, Conversation.id == ConversationMessage.conversation_id)
                .join(Event, Event.id == ConversationMessage.event_id)
            ).all()
            roots = dict(
                c.execute(
                    select(Customer.id, func.coalesce(Customer.merged_into, Customer.id))
                ).all()
            )
    finally:
        engine.dispose()
    # Every event stored exactly once, under the id its acknowledgement gave.
    per_key = Counter(k for k, _ in rows)
    assert len(per_key) == sum(SIZES)
    assert set(per_key.values()) == {1}
    stored = dict(rows)
    expected_ids = {}
    for b, items in enumerate(data):
        for j, item in enumerate(items):
            assert stored[item["idempotency_key"]] == acked[b][j]
            expected_ids[acked[b][j]] = item
    assert jobs == 0  # every event has passed every stage

    # Insights: each text-bearing event has its kinds, each once.
    per_event: dict[str, Counter[str]] = defaultdict(Counter)
    for eid, kind in insight_rows:
        per_event[eid][kind] += 1
    for eid, item in expected_ids.items():
        kinds = per_event.get(eid, Counter())
        if item["type"] == "message.received":
            assert CUSTOMER_KINDS <= set(kinds), (eid, kinds)
        elif item["type"] == "message.sent":
            assert AGENT_KINDS <= set(kinds), (eid, kinds)
        else:
            assert not kinds, (eid, kinds)  # no text, nothing to enrich
        assert set(kinds.values()) <= {1}, (eid, kinds)

    # Conversation messages: one row per message event, in a conversation of its customer.
    messages = {eid for eid, item in expected_ids.items() if item["type"].startswith("message.")}
    projected = Counter(eid for eid, _, _ in placed)
    assert set(projected.values()) == {1}
    assert messages <= set(projected)
    for eid, conv_customer, event_customer in placed:
        if eid in messages:
            assert conv_customer == roots[event_customer], eid
    assert sum(len(v) for v in conversations.values()) == len(placed)
