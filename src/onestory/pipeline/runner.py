"""Runs the pipeline stages over recorded events, on any ``Bus``.

Every event gets a ``pipeline_jobs`` row in the transaction that records it. A worker takes
event seqs from a stage's topic, re-reads the jobs that are really pending (so a duplicate
delivery is a no-op) and, by default, runs *every remaining stage* over the batch in one write
transaction (``process_batch``): the stages' handlers in order, each stage's follow-up events
recorded before the next stage runs, and the jobs deleted at the end. One write transaction per
batch instead of one per stage is what keeps the pipeline ahead of ingest on SQLite, where every
writer waits for the single write lock. When a batch fails it is re-run stage by stage
(``process``: one transaction per stage, the job advanced with it, then event by event), so
one poison event is retried and skipped as before. Either way a job's ``stage`` column moves
only in the transaction that did the work, so a killed process resumes exactly where it
stopped: ``recover()`` re-publishes every pending job from the database.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Any

from sqlalchemy import Row, delete, func, select, update
from sqlalchemy.orm import Session

from onestory.bus.base import Bus, Delivery
from onestory.db import Database
from onestory.events.service import Recorded, record
from onestory.kit.clock import Clock
from onestory.models import Customer, Event, PipelineJob
from onestory.pipeline.stages import STAGES, AfterCommit, StageContext, StageHandler, StoredEvent

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 3
# How many batches an in-process worker takes from the bus at once, to pick the urgent events
# among them.
HOLD_BATCHES = 10


@dataclass
class _Result:
    done: list[int]
    after_commit: list[AfterCommit]
    recorded: Recorded


def topic(stage: str) -> str:
    return f"pipeline.{stage}"


class Pipeline:
    def __init__(
        self,
        db: Database,
        bus: Bus,
        clock: Clock,
        *,
        handlers: dict[str, list[StageHandler]] | None = None,
        batch_size: int = 500,
        fused: bool = True,
    ) -> None:
        self.db = db
        self.bus = bus
        self.clock = clock
        self.handlers: dict[str, list[StageHandler]] = {s: [] for s in STAGES}
        self.preparers: dict[str, list[StageHandler]] = {s: [] for s in STAGES}
        for stage, hs in (handlers or {}).items():
            self.handlers[stage].extend(hs)
        self.batch_size = batch_size
        self._tasks: list[asyncio.Task[None]] = []
        self._stopping = False
        self._consumer = f"{socket.gethostname()}-{os.getpid()}"
        self.processed = dict.fromkeys(STAGES, 0)
        # Run every remaining stage of a batch in one write transaction (see the module doc);
        # False: one transaction per stage, the seqs handed from topic to topic.
        self.fused = fused
        # Seconds spent in each handler and preparer ("stage:name"), for profiling.
        self.timings: dict[str, float] = {}
        # Batches run and seconds spent running them (including waits for the write lock).
        self.batches = 0
        self.busy_seconds = 0.0
        # Event types run first when a worker is behind (``prioritise``), and what the worker
        # already knows about the seqs it holds.
        self.urgent_types: set[str] = set()
        self._urgent: dict[int, bool] = {}
        # In-process, a worker holds several batches to pick the urgent events among them; on
        # a shared bus (Redis, several worker processes) it takes one batch at a time, so the
        # other workers get their share of a backlog.
        self.hold_batches = HOLD_BATCHES if bus.name == "memory" else 1

    def add_handler(self, stage: str, handler: StageHandler) -> None:
        if stage not in self.handlers:
            raise ValueError(f"unknown stage {stage!r}; stages are {STAGES}")
        self.handlers[stage].append(handler)

    def add_preparer(self, stage: str, preparer: StageHandler) -> None:
        """Register slow, read-only work (AI models) that runs in a *read* transaction before
        the stage's write transaction; it leaves its results in ``ctx.prepared`` for the
        handlers, so the write lock is held only while rows are written."""
        if stage not in self.preparers:
            raise ValueError(f"unknown stage {stage!r}; stages are {STAGES}")
        self.preparers[stage].append(preparer)

    # --- feeding -------------------------------------------------------------------------
    async def publish(self, recorded: Recorded) -> None:
        """Hand freshly committed events to the first stage."""
        if recorded.seqs:
            await self.bus.publish(topic(STAGES[0]), [str(s) for s in recorded.seqs])

    async def recover(self) -> int:
        """Re-publish every pending job to its stage's topic (at start-up and periodically)."""
        pending = await asyncio.to_thread(self._pending)
        for stage_index, seqs in pending.items():
            await self.bus.publish(topic(STAGES[stage_index]), [str(s) for s in seqs])
        return sum(len(v) for v in pending.values())

    def _pending(self, older_than: timedelta | None = None) -> dict[int, list[int]]:
        stmt = select(PipelineJob.stage, PipelineJob.event_seq).order_by(PipelineJob.event_seq)
        if older_than is not None:
            stmt = stmt.where(PipelineJob.updated_at < self.clock.now() - older_than)
        out: dict[int, list[int]] = {}
        with self.db.transaction() as s:
            for stage, seq in s.execute(stmt):
                out.setdefault(stage, []).append(seq)
        return out

    def pending_count(self) -> int:
        with self.db.transaction() as s:
            return int(s.scalar(select(func.count()).select_from(PipelineJob)) or 0)

    # --- processing ----------------------------------------------------------------------
    def process(self, stage_index: int, seqs: Sequence[int]) -> _Result:
        """Run one stage over the given events in one transaction (falls back to one event
        at a time when a handler fails, so one poison event cannot block a batch)."""
        try:
            return self._process_tx(stage_index, seqs)
        except Exception:
            if len(seqs) == 1:
                self._record_failure(stage_index, seqs[0])
                return _Result([], [], Recorded())
            log.exception(
                "stage %s failed on a batch; retrying event by event", STAGES[stage_index]
            )
        total = _Result([], [], Recorded())
        for seq in seqs:
            r = self.process(stage_index, [seq])
            total.done.extend(r.done)
            total.after_commit.extend(r.after_commit)
            total.recorded.extend(r.recorded)
        return total

    def _process_tx(self, stage_index: int, seqs: Sequence[int], *, skip: bool = False) -> _Result:
        stage = STAGES[stage_index]
        last = stage_index == len(STAGES) - 1
        ctx = StageContext(clock=self.clock, stage=stage)
        if not skip and self.preparers[stage]:
            with self.db.transaction() as rs:
                waiting = select(PipelineJob.event_seq).where(
                    PipelineJob.event_seq.in_(list(seqs)), PipelineJob.stage == stage_index
                )
                ready = load_events(rs, list(rs.scalars(waiting)))
                if ready:
                    for preparer in self.preparers[stage]:
                        self._run(preparer, stage, rs, ready, ctx)
        with self.db.transaction(write=True) as s:
            q = select(PipelineJob.event_seq).where(
                PipelineJob.event_seq.in_(list(seqs)), PipelineJob.stage == stage_index
            )
            if not self.db.is_sqlite:
                q = q.with_for_update(skip_locked=True)
            mine = list(s.scalars(q))
            if not mine:
                return _Result([], [], Recorded())
            if not skip:
                events = load_events(s, mine)
                for handler in self.handlers[stage]:
                    self._run(handler, stage, s, events, ctx)
            job_filter = PipelineJob.event_seq.in_(mine)
            if last:
                s.execute(delete(PipelineJob).where(job_filter))
            else:
                s.execute(
                    update(PipelineJob)
                    .where(job_filter)
                    .values(stage=stage_index + 1, updated_at=self.clock.now(), attempts=0)
                )
            recorded = record(s, ctx.drafts, clock=self.clock) if ctx.drafts else Recorded()
        return _Result(mine, ctx.after_commit, recorded)

    def process_batch(self, seqs: Sequence[int]) -> _Result:
        """Run every remaining stage over the given events in one write transaction; when
        that fails, run them stage by stage (``process``), which isolates the failing event.
        ``done`` lists the events that passed every stage."""
        try:
            return self._process_all_tx(seqs)
        except Exception:
            log.exception(
                "pipeline batch of %d events failed; re-running it stage by stage", len(seqs)
            )
        return self._process_stagewise(seqs)

    def _process_all_tx(self, seqs: Sequence[int]) -> _Result:
        # Preparers (slow, read-only work) run first in a read transaction, for the events
        # whose job waits at the preparer's stage, so the write lock is held only for writes.
        # The event rows read there are reused (events are immutable; merges are re-read).
        rows: dict[int, Row[Any]] = {}
        known: dict[int, StoredEvent] = {}
        prepared: dict[int, tuple[set[int], dict[str, Any]]] = {}
        if any(self.preparers.values()):
            with self.db.transaction() as rs:
                at = self._stages_of(rs, seqs)
                rows = _event_rows(rs, sorted(at))
                snapshot = _stored(rs, list(rows.values()))
                known = {e.seq: e for e in snapshot}
                for i, stage in enumerate(STAGES):
                    ready = [e for e in snapshot if at[e.seq] == i]
                    if not self.preparers[stage] or not ready:
                        continue
                    ctx = StageContext(clock=self.clock, stage=stage)
                    for preparer in self.preparers[stage]:
                        self._run(preparer, stage, rs, ready, ctx)
                    prepared[i] = ({e.seq for e in ready}, ctx.prepared)
        with self.db.transaction(write=True) as s:
            at = self._stages_of(s, seqs, lock=True)
            if not at:
                return _Result([], [], Recorded())
            rows.update(_event_rows(s, [seq for seq in at if seq not in rows]))
            events = _stored(s, [rows[seq] for seq in sorted(at)], known)
            after: list[AfterCommit] = []
            recorded = Recorded()
            for i in range(min(at.values()), len(STAGES)):
                stage = STAGES[i]
                # An event runs the stages from the one its job waits at (after a crash or a
                # stage-by-stage run, not every event of a batch starts at the first).
                batch = [e for e in events if at[e.seq] <= i]
                if not batch:
                    continue
                ctx = StageContext(clock=self.clock, stage=stage)
                if self.preparers[stage]:
                    covered, results = prepared.get(i, (set(), {}))
                    if covered == {e.seq for e in batch}:
                        ctx.prepared = results
                    else:
                        # Events that reached this stage in this transaction: prepare them here.
                        for preparer in self.preparers[stage]:
                            self._run(preparer, stage, s, batch, ctx)
                for handler in self.handlers[stage]:
                    self._run(handler, stage, s, batch, ctx)
                if ctx.drafts:
                    # Recorded before the next stage runs, as when each stage committed alone.
                    recorded.extend(record(s, ctx.drafts, clock=self.clock))
                after.extend(ctx.after_commit)
            s.execute(delete(PipelineJob).where(PipelineJob.event_seq.in_(list(at))))
        return _Result(sorted(at), after, recorded)

    def _process_stagewise(self, seqs: Sequence[int]) -> _Result:
        with self.db.transaction() as rs:
            at = self._stages_of(rs, seqs)
        total = _Result([], [], Recorded())
        carried: list[int] = []
        for i in range(min(at.values(), default=len(STAGES)), len(STAGES)):
            batch = sorted({*carried, *(seq for seq, st in at.items() if st == i)})
            if not batch:
                continue
            r = self.process(i, batch)
            carried = r.done
            total.after_commit.extend(r.after_commit)
            total.recorded.extend(r.recorded)
        total.done = carried
        return total

    def _stages_of(self, s: Session, seqs: Sequence[int], *, lock: bool = False) -> dict[int, int]:
        wanted = set(seqs)
        if lock and not self.db.is_sqlite:
            # Row locks: exactly our jobs (a range would lock, and so hide from the worker
            # that has them, jobs of another batch).
            q = (
                select(PipelineJob.event_seq, PipelineJob.stage)
                .where(PipelineJob.event_seq.in_(sorted(wanted)))
                .with_for_update(skip_locked=True)
            )
        else:
            q = select(PipelineJob.event_seq, PipelineJob.stage).where(
                _seqs_clause(PipelineJob.event_seq, wanted)
            )
        return {seq: stage for seq, stage in s.execute(q) if seq in wanted}

    def _run(
        self,
        fn: StageHandler,
        stage: str,
        session: Session,
        events: list[StoredEvent],
        ctx: StageContext,
    ) -> None:
        started = time.perf_counter()
        try:
            fn(session, events, ctx)
        finally:
            name = f"{stage}:{getattr(fn, '__qualname__', type(fn).__name__)}"
            self.timings[name] = self.timings.get(name, 0.0) + time.perf_counter() - started

    def _record_failure(self, stage_index: int, seq: int) -> None:
        log.exception("stage %s failed on event seq %s", STAGES[stage_index], seq)
        with self.db.transaction(write=True) as s:
            job = s.get(PipelineJob, seq)
            if job is None:
                return
            job.attempts += 1
            job.last_error = f"stage {STAGES[stage_index]} failed"
            job.updated_at = self.clock.now()
            give_up = job.attempts >= MAX_ATTEMPTS
        if give_up:
            # Keep the event moving: later stages still run, and last_error says what was skipped.
            log.error("giving up stage %s for event seq %s", STAGES[stage_index], seq)
            self._process_tx(stage_index, [seq], skip=True)

    async def run_stage(self, stage_index: int, *, stop: asyncio.Event | None = None) -> None:
        """Consume one stage's topic until cancelled (or ``stop`` is set).

        The worker holds what it has taken from the bus and runs it batch by batch. When it
        holds more than one batch (it is behind), the urgent events go first (see
        ``prioritise``); a held message is acknowledged once its batch has run, so a crash
        loses nothing (and the jobs in the database are the truth either way)."""
        stage = STAGES[stage_index]
        held: dict[int, list[Delivery]] = {}
        while not self._stopping and (stop is None or not stop.is_set()):
            got = await self.bus.consume(
                topic(stage),
                self._consumer,
                max_items=self.batch_size * self.hold_batches,
                timeout=0.01 if held else 1.0,
            )
            for d in got:
                held.setdefault(int(d.body), []).append(d)
            if not held:
                continue
            for seqs in await self._next_batches(sorted(held)):
                deliveries = [d for seq in seqs for d in held.pop(seq)]
                await self._run_batch(stage_index, seqs, deliveries)

    async def _run_batch(
        self, stage_index: int, seqs: list[int], deliveries: list[Delivery]
    ) -> None:
        stage = STAGES[stage_index]
        started = time.perf_counter()
        if self.fused:
            result = await asyncio.to_thread(self.process_batch, seqs)
        else:
            result = await asyncio.to_thread(self.process, stage_index, seqs)
        self.batches += 1
        self.busy_seconds += time.perf_counter() - started
        if not self.fused and stage_index + 1 < len(STAGES) and result.done:
            await self.bus.publish(topic(STAGES[stage_index + 1]), [str(s) for s in result.done])
        await self.publish(result.recorded)
        await self.bus.ack(topic(stage), deliveries)
        self.processed[stage] += len(result.done)
        for fn in result.after_commit:
            try:
                await fn()
            except Exception:
                log.exception("after-commit action of stage %s failed", stage)

    def prioritise(self, types: Iterable[str]) -> None:
        """Event types a worker that is behind runs before the others (a failed payment before
        a backlog of page views). The platform's own events (source ``onestory``: signals,
        actions, queued messages, merges) always count as urgent. Within each group events keep
        their order; the rest waits, it is not dropped."""
        self.urgent_types.update(types)

    async def _next_batches(self, held: list[int]) -> list[list[int]]:
        """The next batch out of the held seqs, as one or two transactions: the urgent events
        first (a small, quick one), then the others. A worker that holds more than one batch
        takes the urgent ones from the whole of what it holds."""
        if not self.urgent_types:
            return [held[: self.batch_size]]
        unknown = [seq for seq in held if seq not in self._urgent]
        if unknown:
            self._urgent.update(await asyncio.to_thread(self._classify, unknown))
        urgent = [seq for seq in held if self._urgent[seq]][: self.batch_size]
        rest = [seq for seq in held if not self._urgent[seq]][: self.batch_size - len(urgent)]
        for seq in (*urgent, *rest):
            del self._urgent[seq]
        return [part for part in (urgent, rest) if part]

    def _classify(self, seqs: list[int]) -> dict[int, bool]:
        wanted = set(seqs)
        stmt = select(Event.seq, Event.type, Event.source).where(_seqs_clause(Event.seq, wanted))
        with self.db.transaction() as s:
            found = {
                seq: type_ in self.urgent_types or source == "onestory"
                for seq, type_, source in s.execute(stmt)
                if seq in wanted
            }
        # A seq with no event (cannot happen short of a bad bus message) is not urgent.
        return {seq: found.get(seq, False) for seq in seqs}

    async def _sweep(self, every: float) -> None:
        # Jobs whose bus message was lost (a Redis restart, a crashed consumer) are re-sent.
        while not self._stopping:
            await asyncio.sleep(every)
            try:
                pending = await asyncio.to_thread(self._pending, timedelta(seconds=every))
                for stage_index, seqs in pending.items():
                    await self.bus.publish(topic(STAGES[stage_index]), [str(s) for s in seqs])
            except Exception:
                log.exception("pipeline sweep failed")

    async def start(self, *, sweep_every: float = 60.0) -> None:
        self._stopping = False
        await self.recover()
        for i in range(len(STAGES)):
            self._tasks.append(asyncio.create_task(self.run_stage(i), name=f"stage-{STAGES[i]}"))
        self._tasks.append(asyncio.create_task(self._sweep(sweep_every), name="pipeline-sweep"))

    async def stop(self) -> None:
        # The flag matters: on Python 3.11 ``wait_for`` can swallow a cancellation that races
        # with a delivery, so a worker checks it on every turn and is cancelled until it ends.
        self._stopping = True
        pending = {t for t in self._tasks if not t.done()}
        while pending:
            for t in pending:
                t.cancel()
            _, pending = await asyncio.wait(pending, timeout=1.0)
        for t in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                t.result()
        self._tasks.clear()

    async def drain(self, timeout: float = 30.0) -> None:
        """Wait until every recorded event has passed every stage (tests, demo loading)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while await asyncio.to_thread(self.pending_count):
            if loop.time() > deadline:
                raise TimeoutError("pipeline did not drain in time")
            await asyncio.sleep(0.02)


_EVENT_COLUMNS = (
    Event.seq,
    Event.id,
    Event.type,
    Event.source,
    Event.channel,
    Event.occurred_at,
    Event.received_at,
    Event.customer_id,
    Event.payload,
    Event.text,
)


def _event_rows(session: Session, seqs: list[int]) -> dict[int, Row[Any]]:
    """The columns stage handlers see (plain rows: no ORM identity map, no identifiers)."""
    if not seqs:
        return {}
    wanted = set(seqs)
    stmt = select(*_EVENT_COLUMNS).where(_seqs_clause(Event.seq, wanted)).order_by(Event.seq)
    return {row.seq: row for row in session.execute(stmt) if row.seq in wanted}


def _seqs_clause(column: Any, seqs: set[int]) -> Any:
    """``column IN seqs``, or a range the caller filters when the seqs are (nearly) contiguous,
    as a batch taken from the bus usually is: a long IN list costs more to build and bind than
    the few extra rows a range reads."""
    lo, hi = min(seqs), max(seqs)
    if hi - lo < 2 * len(seqs):
        return column.between(lo, hi)
    return column.in_(sorted(seqs))


def _stored(
    session: Session, rows: list[Row[Any]], known: dict[int, StoredEvent] | None = None
) -> list[StoredEvent]:
    """Stored events with ``customer_id`` mapped to the current survivor of any merge (read
    in ``session``, so a merge committed since the rows were read is seen). ``known`` events
    (built from the same rows earlier) are reused when their survivor has not changed."""
    cids = {r.customer_id for r in rows if r.customer_id}
    roots: dict[str, str] = {}
    if cids:
        for cid, merged_into in session.execute(
            select(Customer.id, Customer.merged_into).where(Customer.id.in_(cids))
        ):
            roots[cid] = merged_into or cid
    out: list[StoredEvent] = []
    for r in rows:
        root: str | None = roots.get(r.customer_id, r.customer_id) if r.customer_id else None
        seen = known.get(r.seq) if known else None
        if seen is not None:
            out.append(seen if seen.customer_id == root else replace(seen, customer_id=root))
            continue
        out.append(
            StoredEvent(
                seq=r.seq,
                id=r.id,
                type=r.type,
                source=r.source,
                channel=r.channel,
                occurred_at=r.occurred_at,
                received_at=r.received_at,
                customer_id=root,
                payload=r.payload,
                text=r.text,
            )
        )
    return out


def load_events(session: Session, seqs: list[int]) -> list[StoredEvent]:
    """The stored events ``seqs`` as a stage handler sees them (customer ids mapped to the
    survivor of any merge); for replaying a stage's handler over events already processed."""
    return _stored(session, list(_event_rows(session, seqs).values()))
