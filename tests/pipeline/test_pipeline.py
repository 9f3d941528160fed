"""The pipeline: record first, recover after a restart, idempotent stages, poison events."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from onestory import bootstrap
from onestory.app_state import Runtime
from onestory.config import Settings
from onestory.db.migrate import upgrade
from onestory.events.service import Recorded
from onestory.ingest.service import ingest_with_retry
from onestory.models import Event, PipelineJob
from onestory.pipeline.runner import MAX_ATTEMPTS
from onestory.pipeline.stages import STAGES, StageContext, StoredEvent
from tests.conftest import Api, event, make_settings, open_api


@pytest.fixture
def quiet_settings(tmp_path: Path, database_url: str) -> Settings:
    # AI off keeps these tests about the pipeline machinery, and fast.
    return make_settings(tmp_path, database_url, ai={"enabled": False})


@pytest.fixture
def runtime(quiet_settings: Settings) -> Iterator[Runtime]:
    rt = bootstrap.build(quiet_settings).core
    upgrade(rt.db.engine)
    yield rt
    rt.db.dispose()


def record(rt: Runtime, n: int, *, text_: str = "hello", prefix: str = "e") -> Recorded:
    items = [
        event(email=f"p{i % 3}@example.com", key=f"{prefix}{i}", payload={"text": f"{text_} {i}"})
        for i in range(n)
    ]
    outcomes, recorded = ingest_with_retry(rt, items)
    assert all(o.status == 201 for o in outcomes)
    return recorded


def jobs(rt: Runtime) -> dict[int, tuple[int, int, str | None]]:
    with rt.db.transaction() as s:
        return {
            j.event_seq: (j.stage, j.attempts, j.last_error) for j in s.scalars(select(PipelineJob))
        }


class Seen:
    """A handler that counts the events it was given (per committed run)."""

    def __init__(self) -> None:
        self.calls: Counter[int] = Counter()

    def __call__(self, session: Session, events: list[StoredEvent], ctx: StageContext) -> None:
        for e in events:
            self.calls[e.seq] += 1


@pytest.fixture
def api(quiet_settings: Settings) -> Iterator[Api]:
    yield from open_api(quiet_settings)


def test_events_are_committed_before_any_stage_sees_them(api: Api) -> None:
    committed: list[bool] = []

    def check(session: Session, events: list[StoredEvent], ctx: StageContext) -> None:
        # A separate connection only sees committed rows.
        with api.runtime.db.engine.connect() as other:
            ids = [e.id for e in events]
            n = other.scalar(select(func.count()).select_from(Event).where(Event.id.in_(ids)))
            committed.append(n == len(ids))

    api.runtime.pipeline.add_handler(STAGES[0], check)
    r = api.post("/v1/events/batch", json=[event(key=f"c{i}") for i in range(20)])
    assert r.status_code == 200
    api.drain()
    assert committed and all(committed)


def test_restart_recovers_every_unprocessed_job(quiet_settings: Settings) -> None:
    paused = quiet_settings.model_copy(
        update={"pipeline": quiet_settings.pipeline.model_copy(update={"inprocess_workers": False})}
    )
    for api in open_api(paused):
        r = api.post("/v1/events/batch", json=[event(key=f"r{i}") for i in range(30)])
        assert r.status_code == 200
        assert api.runtime.pipeline.pending_count() == 30
        assert {stage for stage, _, _ in jobs(api.runtime).values()} == {0}
        original = set(jobs(api.runtime))

    application = bootstrap.build(quiet_settings)
    rt = application.core
    seen = {stage: Seen() for stage in STAGES}
    for stage, handler in seen.items():
        rt.pipeline.add_handler(stage, handler)

    async def run() -> None:
        await bootstrap.start(application, workers=True)
        try:
            await rt.pipeline.drain(30)
        finally:
            await bootstrap.stop(application)

    asyncio.run(run())
    for stage in STAGES:
        # Every recorded event (plus any a domain stage emitted on the way) passed each stage
        # exactly once: none skipped, none twice.
        assert original <= set(seen[stage].calls), stage
        assert set(seen[stage].calls.values()) == {1}, stage
    with rt.db.transaction() as s:
        assert s.scalar(select(func.count()).select_from(PipelineJob)) == 0


def test_a_stage_run_twice_on_the_same_events_is_a_no_op(runtime: Runtime) -> None:
    seen = Seen()
    runtime.pipeline.add_handler("project", seen)
    seqs = record(runtime, 10).seqs
    first = runtime.pipeline.process(0, seqs)
    assert sorted(first.done) == sorted(seqs)
    assert runtime.pipeline.process(0, seqs).done == []  # a duplicate delivery
    runtime.pipeline.process(1, seqs)
    runtime.pipeline.process(1, seqs)
    runtime.pipeline.process(0, seqs)
    assert seen.calls == Counter(dict.fromkeys(seqs, 1))
    assert {jobs(runtime)[s][0] for s in seqs} == {2}
    for i in range(2, len(STAGES)):
        runtime.pipeline.process(i, seqs)
    assert not set(jobs(runtime)) & set(seqs)
    for i in range(len(STAGES)):
        assert runtime.pipeline.process(i, seqs).done == []


def test_emitted_events_are_recorded_once_even_when_a_stage_reruns(runtime: Runtime) -> None:
    from onestory.events.service import EventDraft

    def emit(session: Session, events: list[StoredEvent], ctx: StageContext) -> None:
        for e in events:
            ctx.emit(
                EventDraft(
                    "signal.detected",
                    e.customer_id,
                    {"of": e.id},
                    datetime.now(UTC),
                    idempotency_key=f"sig:{e.id}",
                )
            )

    runtime.pipeline.add_handler("detect", emit)
    seqs = record(runtime, 4).seqs
    for i in range(3):
        runtime.pipeline.process(i, seqs)
    # Simulate a crash after commit but before the job moved on: put the jobs back.
    with runtime.db.transaction(write=True) as s:
        s.execute(
            text("UPDATE pipeline_jobs SET stage = 2 WHERE event_seq IN (:a, :b, :c, :d)"),
            dict(zip("abcd", seqs, strict=True)),
        )
    assert len(runtime.pipeline.process(2, seqs).done) == 4
    with runtime.db.transaction() as s:
        n = s.scalar(select(func.count()).select_from(Event).where(Event.type == "signal.detected"))
    assert n == 4


def test_a_failing_handler_is_retried_then_skipped_with_last_error(runtime: Runtime) -> None:
    attempts: Counter[int] = Counter()

    def picky(session: Session, events: list[StoredEvent], ctx: StageContext) -> None:
        for e in events:
            if "poison" in (e.text or ""):
                attempts[e.seq] += 1
                raise RuntimeError("cannot digest this")

    runtime.pipeline.add_handler("detect", picky)
    good = record(runtime, 3).seqs
    (bad,) = record(runtime, 1, text_="poison", prefix="x").seqs
    seqs = [*good, bad]
    for i in range(2):
        runtime.pipeline.process(i, seqs)

    result = runtime.pipeline.process(2, seqs)
    assert sorted(result.done) == sorted(good)  # one poison event does not block the batch
    state = jobs(runtime)
    assert state[bad] == (2, 1, "stage detect failed")
    assert all(state[s][0] == 3 for s in good)

    for n in range(2, MAX_ATTEMPTS):
        runtime.pipeline.process(2, [bad])
        assert jobs(runtime)[bad] == (2, n, "stage detect failed")
    runtime.pipeline.process(2, [bad])
    stage, _attempts, error = jobs(runtime)[bad]
    assert stage == 3 and error == "stage detect failed"  # skipped, and says so
    assert attempts[bad] == MAX_ATTEMPTS + 1  # the failed batch plus each single retry
    for i in range(3, len(STAGES)):
        runtime.pipeline.process(i, seqs)
    assert not set(jobs(runtime)) & set(seqs)


def test_recover_republishes_pending_jobs_to_their_stage(runtime: Runtime) -> None:
    seqs = record(runtime, 5).seqs
    runtime.pipeline.process(0, seqs[:2])
    published: dict[str, list[str]] = {}

    class Capture:
        name = "capture"

        async def publish(self, topic: str, bodies: Any) -> None:
            published.setdefault(topic, []).extend(bodies)

    runtime.pipeline.bus = Capture()  # type: ignore[assignment]
    assert asyncio.run(runtime.pipeline.recover()) >= 5
    assert {str(s) for s in seqs[2:]} <= set(published["pipeline.enrich"])
    assert {str(s) for s in seqs[:2]} <= set(published["pipeline.project"])
    assert not {str(s) for s in seqs[:2]} & set(published["pipeline.enrich"])


def _emit_followups(session: Session, events: list[StoredEvent], ctx: StageContext) -> None:
    from onestory.events.service import EventDraft

    for e in events:
        if e.type == "message.received":
            ctx.emit(
                EventDraft(
                    "note.followed",
                    e.customer_id,
                    {"of": e.id},
                    datetime.now(UTC),
                    idempotency_key=f"follow:{e.id}",
                )
            )


def _followups(rt: Runtime) -> int:
    with rt.db.transaction() as s:
        return int(
            s.scalar(select(func.count()).select_from(Event).where(Event.type == "note.followed"))
            or 0
        )


def test_a_batch_passes_every_stage_in_one_go(runtime: Runtime) -> None:
    seen = {stage: Seen() for stage in STAGES}
    for stage, handler in seen.items():
        runtime.pipeline.add_handler(stage, handler)
    runtime.pipeline.add_handler("project", _emit_followups)
    visible: list[int] = []

    def sees_followups(session: Session, events: list[StoredEvent], ctx: StageContext) -> None:
        # What an earlier stage emitted is recorded before the next stage runs.
        visible.append(
            int(
                session.scalar(
                    select(func.count()).select_from(Event).where(Event.type == "note.followed")
                )
                or 0
            )
        )

    runtime.pipeline.add_handler("detect", sees_followups)
    seqs = record(runtime, 6).seqs
    result = runtime.pipeline.process_batch(seqs)
    assert sorted(result.done) == sorted(seqs)
    for stage in STAGES:
        assert seen[stage].calls == Counter(dict.fromkeys(seqs, 1)), stage
    assert visible == [6]
    # The follow-ups wait at the first stage; the batch's own jobs are gone.
    assert set(jobs(runtime)) == set(result.recorded.seqs)
    assert {j[0] for j in jobs(runtime).values()} == {0}
    assert runtime.pipeline.process_batch(seqs).done == []  # a duplicate delivery
    pending = result.recorded.seqs
    while pending:  # follow-ups of follow-ups (the domains' own stage events)
        pending = runtime.pipeline.process_batch(pending).recorded.seqs
    assert jobs(runtime) == {}
    assert _followups(runtime) == 6


def test_a_batch_resumes_each_event_at_its_own_stage(runtime: Runtime) -> None:
    seen = {stage: Seen() for stage in STAGES}
    for stage, handler in seen.items():
        runtime.pipeline.add_handler(stage, handler)
    seqs = record(runtime, 5).seqs
    runtime.pipeline.process(0, seqs[:2])
    runtime.pipeline.process(1, seqs[:2])  # as if a crash came after two stage commits
    assert sorted(runtime.pipeline.process_batch(seqs).done) == sorted(seqs)
    for stage in STAGES:
        assert seen[stage].calls == Counter(dict.fromkeys(seqs, 1)), stage
    assert not set(jobs(runtime)) & set(seqs)


def test_a_failing_batch_commits_nothing_then_runs_stage_by_stage(runtime: Runtime) -> None:
    def picky(session: Session, events: list[StoredEvent], ctx: StageContext) -> None:
        if any("poison" in (e.text or "") for e in events):
            raise RuntimeError("cannot act on this")

    runtime.pipeline.add_handler("project", _emit_followups)
    runtime.pipeline.add_handler("act", picky)
    good = record(runtime, 3).seqs
    (bad,) = record(runtime, 1, text_="poison", prefix="x").seqs
    result = runtime.pipeline.process_batch([*good, bad])
    # The one-transaction run failed at "act" and was rolled back; the stage-by-stage re-run
    # finished the good events and stopped the poison one at "act", with the error.
    assert sorted(result.done) == sorted(good)
    state = jobs(runtime)
    assert state[bad] == (STAGES.index("act"), 1, "stage act failed")
    assert not set(state) & set(good)
    # Follow-ups emitted by the project stage: once per event, the rolled-back run left none.
    assert _followups(runtime) == 4


def test_stage_by_stage_workers_still_drain(quiet_settings: Settings) -> None:
    for api in open_api(quiet_settings):
        api.runtime.pipeline.fused = False
        seen = {stage: Seen() for stage in STAGES}
        for stage, handler in seen.items():
            api.runtime.pipeline.add_handler(stage, handler)
        r = api.post("/v1/events/batch", json=[event(key=f"s{i}") for i in range(12)])
        assert r.status_code == 200
        api.drain()
        for stage in STAGES:
            assert len(seen[stage].calls) >= 12, stage
            assert set(seen[stage].calls.values()) == {1}, stage


def _record_types(rt: Runtime, types: list[str]) -> list[int]:
    items = [
        event(t, email=f"q{i % 4}@example.com", key=f"t{i}", payload={"n": i})
        for i, t in enumerate(types)
    ]
    outcomes, recorded = ingest_with_retry(rt, items)
    assert all(o.status == 201 for o in outcomes)
    return recorded.seqs


def test_a_worker_that_is_behind_runs_urgent_events_first(runtime: Runtime) -> None:
    pipeline = runtime.pipeline
    pipeline.batch_size = 10
    pipeline.prioritise(["test.urgent"])
    seqs = _record_types(runtime, ["page.viewed"] * 40 + ["test.urgent"] + ["page.viewed"] * 9)
    urgent = seqs[40]
    batches: list[list[int]] = []

    def order(session: Session, events: list[StoredEvent], ctx: StageContext) -> None:
        if any(e.type in ("page.viewed", "test.urgent") for e in events):
            batches.append([e.seq for e in events])

    pipeline.add_handler("enrich", order)

    async def run() -> None:
        await pipeline.start()  # recover() hands the whole backlog to the first stage
        try:
            await pipeline.drain(60)
        finally:
            await pipeline.stop()

    asyncio.run(run())
    assert batches[0] == [urgent]  # not behind the 40 page views recorded before it
    # The rest still ran, oldest first, each once.
    done = [s for b in batches for s in b]
    assert sorted(done) == sorted(seqs) and len(done) == len(seqs)
    rest = [s for s in done if s != urgent]
    assert rest == sorted(rest)


def test_urgent_events_get_their_own_quick_transaction(runtime: Runtime) -> None:
    pipeline = runtime.pipeline
    seqs = _record_types(runtime, ["page.viewed"] * 3 + ["test.urgent"] + ["page.viewed"] * 2)
    # Nothing declared urgent: one batch, in order.
    assert asyncio.run(pipeline._next_batches(seqs)) == [seqs]
    pipeline.prioritise(["test.urgent"])
    assert asyncio.run(pipeline._next_batches(seqs)) == [[seqs[3]], seqs[:3] + seqs[4:]]
    # Follow-up events the platform records itself (source "onestory") are urgent too.
    (follow_up,) = _record_followup(runtime)
    assert asyncio.run(pipeline._next_batches([*seqs[:2], follow_up])) == [
        [follow_up],
        seqs[:2],
    ]


def _record_followup(rt: Runtime) -> list[int]:
    from onestory.events.service import EventDraft, record

    with rt.db.transaction(write=True) as s:
        rec = record(
            s,
            [EventDraft("note.followed", None, {"n": 1}, datetime.now(UTC), idempotency_key="f1")],
            clock=rt.clock,
        )
    return rec.seqs
