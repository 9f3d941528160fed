"""Ingestion as a unit of work: one write transaction, retried on a lost race."""

from __future__ import annotations

import logging
import random
import threading
import time
from typing import Any

from sqlalchemy.exc import IntegrityError, OperationalError

from onestory.app_state import Runtime
from onestory.events.service import ItemOutcome, Prepared, Recorded, prepare, record_prepared
from onestory.kit.errors import Unavailable

log = logging.getLogger(__name__)

ATTEMPTS = 6

# One ingest transaction at a time per process. Batches are CPU-bound Python (one GIL), so
# this costs little throughput, and two concurrent batches sharing new identities no longer
# collide on the unique identity keys and retry each other into a 503 (PostgreSQL) or wait
# on the write lock (SQLite). Other processes' collisions are still handled by the retries.
_write_lock = threading.Lock()


def ingest_with_retry(runtime: Runtime, items: list[Any]) -> tuple[list[ItemOutcome], Recorded]:
    """Record a batch: validate and redact it first (no lock held), then record it in one write
    transaction. Two API processes creating the same identity at once (PostgreSQL) makes one
    transaction fail on a unique constraint; it is retried and then sees the other's rows."""
    prepared = prepare(
        items,
        settings=runtime.settings.ingest,
        now=runtime.clock.now(),
        payload_filter=runtime.payload_filter,
    )
    return record_with_retry(runtime, prepared)


def record_with_retry(
    runtime: Runtime, prepared: list[Prepared | ItemOutcome]
) -> tuple[list[ItemOutcome], Recorded]:
    """Record a prepared batch (see `prepare`), retrying a transaction lost to a race."""
    last: Exception | None = None
    for attempt in range(ATTEMPTS):
        if attempt:
            # Jittered backoff: two batches that keep colliding on the same new identities
            # (or deadlock) must not retry in lockstep.
            time.sleep(random.uniform(0, 0.05 * 2**attempt))
        try:
            with _write_lock, runtime.db.transaction(write=True) as session:
                return record_prepared(session, prepared, now=runtime.clock.now())
        except (IntegrityError, OperationalError) as exc:
            log.warning(
                "ingest transaction failed (%s: %s); retrying",
                type(exc).__name__,
                str(exc.orig if hasattr(exc, "orig") else exc).splitlines()[0][:200],
            )
            last = exc
    raise Unavailable("the store is busy; nothing was recorded, retry the request") from last
