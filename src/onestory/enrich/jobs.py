"""Intent retraining as a background job, and the taxonomy corrections must stay inside.

A retrain takes seconds to minutes, so the request only records a ``jobs`` row (``queued``)
and hands it to one background thread; the row says ``running``, then ``succeeded`` with the
new version or ``failed`` with the reason. Jobs run one at a time (a second request while one
is pending is a 409), and a job a stopped process left unfinished is marked failed when a
process starts on the same host and finds its runner gone, so a poller never waits forever.
"""

from __future__ import annotations

import logging
import os
import socket
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from sqlalchemy import select, update

from onestory.ai.classify.intent import starter_examples, train_and_save
from onestory.ai.classify.store import IntentModelStore
from onestory.app_state import Runtime
from onestory.enrich.engine import Enricher
from onestory.kit.errors import Conflict, NotFound
from onestory.kit.ids import new_id
from onestory.models import Job

log = logging.getLogger(__name__)

RETRAIN = "ai.intent_retrain"
PENDING = ("queued", "running")


def _runner() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def _gone(runner: str) -> bool:
    """True when the process that ran a job on this host no longer does (or is us, just
    started: nothing of ours is pending yet). Another host's jobs are its own business."""
    host, _, pid = runner.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return False
    if int(pid) == os.getpid():
        return True
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except OSError:
        return False
    return False


def taxonomy(store: IntentModelStore) -> set[str]:
    """The intents of the active model (the starter taxonomy before any model exists)."""
    active = store.active_version()
    for v in store.list() if active else []:
        if v.active and isinstance(v.meta.get("labels"), list):
            return {str(label) for label in v.meta["labels"]}
    return {e.label for e in starter_examples()}


def job_view(job: Job) -> dict[str, Any]:
    return {
        "id": job.id,
        "kind": job.kind,
        "status": job.status,
        "requested_by": job.requested_by,
        "created_at": job.created_at.isoformat(),
        "started_at": job.started_at.isoformat() if job.started_at else None,
        "finished_at": job.finished_at.isoformat() if job.finished_at else None,
        "result": job.result,
        "error": job.error,
    }


class RetrainJobs:
    """Queues intent retrains and runs them on one background thread."""

    def __init__(self, runtime: Runtime, enricher: Enricher) -> None:
        self.runtime = runtime
        self.enricher = enricher
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ai-jobs")

    def recover(self) -> int:
        """Fail the jobs a stopped process left queued or running (at start-up)."""
        with self.runtime.db.transaction(write=True) as s:
            stale = [
                job
                for job in s.scalars(
                    select(Job).where(Job.kind == RETRAIN, Job.status.in_(PENDING))
                )
                if _gone(job.runner)
            ]
            for job in stale:
                job.status = "failed"
                job.finished_at = self.runtime.clock.now()
                job.error = "the server stopped before the job finished; request it again"
        return len(stale)

    def submit(self, requested_by: str) -> dict[str, Any]:
        """Record a queued retrain and start it in the background; 409 while one is pending."""
        with self.runtime.db.transaction(write=True) as s:
            busy = s.scalar(
                select(Job.id).where(Job.kind == RETRAIN, Job.status.in_(PENDING)).limit(1)
            )
            if busy is not None:
                raise Conflict(
                    f"a retrain is already pending ({busy}); poll it at /v1/ai/jobs/{busy}",
                    extra={"job_id": busy},
                )
            job = Job(
                id=new_id("job"),
                kind=RETRAIN,
                status="queued",
                requested_by=requested_by[:200],
                runner=_runner(),
                created_at=self.runtime.clock.now(),
            )
            s.add(job)
            s.flush()
            view = job_view(job)
        self._pool.submit(self._run, view["id"])
        return view

    def get(self, job_id: str) -> dict[str, Any]:
        with self.runtime.db.transaction() as s:
            job = s.get(Job, job_id)
            if job is None:
                raise NotFound(f"no job {job_id}")
            return job_view(job)

    def close(self) -> None:
        # An unfinished job stays 'running' in its row; the next start marks it failed.
        self._pool.shutdown(wait=False, cancel_futures=True)

    def _set(self, job_id: str, **values: Any) -> None:
        with self.runtime.db.transaction(write=True) as s:
            s.execute(update(Job).where(Job.id == job_id).values(**values))

    def _run(self, job_id: str) -> None:
        clock = self.runtime.clock
        self._set(job_id, status="running", started_at=clock.now())
        try:
            result = self._retrain()
        except Exception as exc:  # the reason goes to the job row for the poller
            log.warning("intent retrain %s failed", job_id, exc_info=True)
            self._set(job_id, status="failed", finished_at=clock.now(), error=str(exc)[:2000])
            return
        self._set(job_id, status="succeeded", finished_at=clock.now(), result=result)

    def _retrain(self) -> dict[str, Any]:
        store = self.enricher.intent_store
        # The active version's own training set (a brand's data from `intents train --data`),
        # else the starter set; with the configured encoder, so MiniLM features are kept.
        base_version = store.active_version()
        try:
            base = store.training_examples(base_version) if base_version else None
        except (OSError, ValueError) as exc:  # never fall back silently: the brand's data
            raise RuntimeError(f"the training set of {base_version} cannot be read: {exc}") from exc
        # Corrections outside the training set's intents are left out unless recorded as
        # new intents (train_and_save), so the taxonomy only grows by a manager's decision.
        _model, version = train_and_save(
            store,
            base if base is not None else starter_examples(),
            embedder=self.enricher.make_embedder(),
        )
        self.enricher.reload()
        return {
            "version": version.version,
            "trained_on": base_version if base is not None else "starter",
            "n_examples": version.meta["n_base_examples"],
            "n_corrections": version.meta["n_corrections"],
            "n_corrections_skipped": version.meta["n_corrections_skipped"],
        }
