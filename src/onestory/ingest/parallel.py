"""Large batches are prepared in worker processes, so ingestion uses more than one core.

Recording a batch has two halves: `service.prepare` (parse, validate, normalise identifiers,
redact personal data: pure CPU, no database) and `service.record_prepared` (identity
resolution and the write, which SQLite serialises anyway). On one core the GIL runs them one
after the other; here the first half of one batch runs in a worker process while the API
process records another. The worker receives the raw request body (no pickling of parsed
JSON) and sends back plain tuples.

Small batches and single events stay in-process: handing them to another process would only
add latency. A worker that dies (or a pool that cannot start) costs nothing but speed: the
batch is prepared in-process and the pool is started afresh for the next one.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import multiprocessing
import multiprocessing.connection
import os
import threading
from collections.abc import Callable
from concurrent.futures import BrokenExecutor, ProcessPoolExecutor
from datetime import datetime
from typing import Any

from onestory.config import IngestSettings
from onestory.customers.identity import IdentityKey
from onestory.events.service import ItemOutcome, PayloadFilter, Prepared, prepare
from onestory.kit.errors import (
    BadRequest,
    InvalidInput,
    OneStoryError,
    PayloadTooLarge,
    field_error,
)
from onestory.kit.http import parse_json

log = logging.getLogger(__name__)

_PROBLEMS: dict[str, type[OneStoryError]] = {
    cls.__name__: cls for cls in (BadRequest, InvalidInput, PayloadTooLarge)
}


def parse_batch(body: bytes, max_batch: int) -> list[Any]:
    """The events of a batch request body: a JSON array, or ``{"events": [...]}``."""
    parsed = parse_json(body)
    items = parsed.get("events") if isinstance(parsed, dict) else parsed
    if not isinstance(items, list):
        raise InvalidInput(
            'send a JSON array of events, or {"events": [...]}',
            errors=[field_error("events", "not a list")],
        )
    if len(items) > max_batch:
        raise PayloadTooLarge(
            f"a batch holds at most {max_batch} events; this one has {len(items)}",
            errors=[field_error("events", f"more than {max_batch} items")],
        )
    return items


# --- the worker process side -------------------------------------------------------------------

_worker: dict[str, Any] = {}

Wire = tuple[Any, ...]


def _init_worker(
    settings: IngestSettings, filter_factory: Callable[[], PayloadFilter] | None
) -> None:
    gc.set_threshold(10_000, 10, 10)
    _exit_with_parent()
    _worker["settings"] = settings
    _worker["filter"] = filter_factory() if filter_factory is not None else None


def _exit_with_parent() -> None:
    """A worker whose API process died without shutting the pool down (SIGKILL, OOM) would
    wait for work forever: watch the parent and exit with it."""
    parent = multiprocessing.parent_process()
    if parent is None:
        return

    def watch() -> None:
        multiprocessing.connection.wait([parent.sentinel])
        os._exit(0)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def _to_wire(item: Prepared | ItemOutcome) -> Wire:
    if isinstance(item, ItemOutcome):
        return ("x", item.index, item.status, item.errors)
    return (
        "p",
        item.index,
        item.id,
        item.type,
        item.source,
        item.channel,
        item.occurred_at,
        item.idempotency_key,
        item.customer_id,
        item.name,
        [(k.kind, k.value, k.strong) for k in item.keys],
        item.identifiers,
        item.payload,
        item.text,
    )


def _from_wire(t: Wire) -> Prepared | ItemOutcome:
    if t[0] == "x":
        return ItemOutcome(t[1], t[2], errors=t[3])
    keys = [IdentityKey(kind, value, strong) for kind, value, strong in t[10]]
    return Prepared(t[1], t[2], t[3], t[4], t[5], t[6], t[7], t[8], t[9], keys, *t[11:])


def _prepare_body(body: bytes, now: datetime, start: int = 0) -> tuple[str, Any]:
    settings: IngestSettings = _worker["settings"]
    try:
        items = parse_batch(body, settings.max_batch)
    except OneStoryError as err:
        return ("problem", (type(err).__name__, err.detail, err.errors))
    prepared = prepare(
        items, settings=settings, now=now, payload_filter=_worker["filter"], start=start
    )
    return ("ok", [_to_wire(p) for p in prepared])


def _ping() -> bool:
    return True


# --- the API process side ----------------------------------------------------------------------


class PreparePool:
    """Worker processes that prepare large batches (see the module docstring)."""

    def __init__(
        self,
        settings: IngestSettings,
        filter_factory: Callable[[], PayloadFilter] | None,
        processes: int,
        min_bytes: int,
    ) -> None:
        self.settings = settings
        self.filter_factory = filter_factory
        self.processes = processes
        self.min_bytes = min_bytes
        self._executor: ProcessPoolExecutor | None = None
        self._lock = threading.Lock()
        # Large batches between arrival and answer (changed on the event loop thread only).
        self.batches_in_flight = 0
        # The start-up spawn of the worker processes (a task; see ingest/plugin.py).
        self.warming: asyncio.Task[None] | None = None

    def _pool(self) -> ProcessPoolExecutor:
        with self._lock:
            if self._executor is None:
                self._executor = ProcessPoolExecutor(
                    max_workers=self.processes,
                    # spawn: the API process has threads (thread pool, AI loading); forking
                    # it could copy a held lock into the child.
                    mp_context=multiprocessing.get_context("spawn"),
                    initializer=_init_worker,
                    initargs=(self.settings, self.filter_factory),
                )
            return self._executor

    def _reset(self, broken: ProcessPoolExecutor) -> None:
        with self._lock:
            if self._executor is broken:
                self._executor = None
        broken.shutdown(wait=False, cancel_futures=True)

    def wants(self, body: bytes) -> bool:
        return len(body) >= self.min_bytes

    async def warm_up(self) -> None:
        """Start the worker processes now rather than on the first large batch."""
        await self._run(_ping)

    async def prepare_body(
        self, body: bytes, now: datetime, *, local: PayloadFilter | None = None, split: bool = False
    ) -> list[Prepared | ItemOutcome] | None:
        """The prepared batch, or None when no worker could do it (prepare in-process then).
        A malformed body raises the same problem as in-process parsing would.

        ``split``: the API process has nothing else to do (no other batch in flight), so it
        prepares the first half itself while a worker prepares the second: one client sending
        one batch at a time then uses both cores too. ``local`` is the API process's filter."""
        if split:
            items = parse_batch(body, self.settings.max_batch)
            half = len(items) // 2
            theirs = asyncio.ensure_future(self._run(_prepare_body, body, now, half))
            mine = await asyncio.to_thread(
                prepare, items[:half], settings=self.settings, now=now, payload_filter=local
            )
            result = await theirs
            if result is None:
                return None
            return mine + self._unwire(result)
        result = await self._run(_prepare_body, body, now)
        if result is None:
            return None
        return self._unwire(result)

    @staticmethod
    def _unwire(result: tuple[str, Any]) -> list[Prepared | ItemOutcome]:
        tag, value = result
        if tag == "problem":
            name, detail, errors = value
            raise _PROBLEMS[name](detail, errors=errors)
        return [_from_wire(t) for t in value]

    async def _run(self, fn: Callable[..., Any], *args: Any) -> Any:
        pool: ProcessPoolExecutor | None = None
        try:
            pool = self._pool()
            return await asyncio.wrap_future(pool.submit(fn, *args))
        except (BrokenExecutor, OSError, RuntimeError) as exc:
            # RuntimeError: submit after shutdown (a concurrent reset); OSError: no process.
            log.warning("batch preparation worker unavailable (%s); preparing in-process", exc)
            if pool is not None:
                self._reset(pool)
            return None

    async def aclose(self) -> None:
        with self._lock:
            pool, self._executor = self._executor, None
        if pool is not None:
            await asyncio.to_thread(pool.shutdown, wait=True, cancel_futures=True)
