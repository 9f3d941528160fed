"""Intent corrections stay inside the taxonomy unless a manager adds an intent; retraining is
a permissioned background job whose state is polled."""

from __future__ import annotations

import os
import socket
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from onestory.models import Job
from tests.conftest import Api, event, make_settings, open_api


def message_event(api: Api, text: str) -> str:
    rec = api.post("/v1/events", json=event(payload={"text": text})).json()
    api.drain()
    event_id: str = rec["id"]
    return event_id


def correct(api: Api, event_id: str, label: str, key: str | None = None) -> Any:
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    return api.post(
        f"/v1/events/{event_id}/insights/intent/correction",
        json={"label": label},
        headers=headers,
    )


def retrain(api: Api, key: str | None = None) -> dict[str, Any]:
    """Start a retrain, check it answered at once with a job to poll, and wait for it."""
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    r = api.post("/v1/ai/models/intent/retrain", headers=headers)
    assert r.status_code == 202, r.text
    job = r.json()
    assert job["status"] == "queued" and r.headers["location"] == f"/v1/ai/jobs/{job['id']}"
    deadline = time.monotonic() + 180
    while job["status"] in ("queued", "running"):
        assert time.monotonic() < deadline, job
        time.sleep(0.2)
        job = api.get(r.headers["location"], headers=headers).json()
    out: dict[str, Any] = job
    return out


def active_labels(api: Api) -> set[str]:
    [intents] = api.get("/v1/ai/models").json()
    [active] = [v for v in intents["versions"] if v["active"]]
    return set(active["meta"]["labels"])


def test_an_agent_cannot_add_intents_and_poisoned_corrections_never_train(api: Api) -> None:
    agent = api.new_key(["conversations:write", "customers:read"])
    event_id = message_event(api, "the thing with my account again")
    for junk in ("a", "q", "bgx63f"):
        r = correct(api, event_id, junk, agent)
        assert r.status_code == 422, r.text
        [err] = r.json()["errors"]
        assert err["field"] == "label" and "account_locked" in err["allowed"]
    assert correct(api, event_id, "account_locked", agent).json()["new_label"] is False
    # Corrections written before this rule (or by hand) with labels outside the taxonomy...
    enricher = api.application.enrich.enricher
    assert enricher is not None
    enricher.intent_store.add_correction("zzz qqq", "bgx63f")
    # ...and an intent a manager adds on purpose.
    manager = api.new_key(["ai:manage", "conversations:write", "customers:read"])
    other = message_event(api, "where can I see my loyalty stars")
    added = correct(api, other, "loyalty_stars", manager)
    assert added.status_code == 200 and added.json()["new_label"] is True
    labels_before = active_labels(api)

    # Retraining is for managers only.
    assert (
        api.post(
            "/v1/ai/models/intent/retrain", headers={"Authorization": f"Bearer {agent}"}
        ).status_code
        == 403
    )
    job = retrain(api, manager)
    assert job["status"] == "succeeded", job
    assert job["requested_by"] == "key:test" and job["error"] is None
    result = job["result"]
    assert result["n_corrections"] == 2 and result["n_corrections_skipped"] == 1
    labels = active_labels(api)
    assert api.get("/v1/ai/models").json()[0]["active"] == result["version"]
    assert labels == labels_before | {"loyalty_stars"}
    assert not {"a", "q", "bgx63f"} & labels


def test_a_failed_retrain_says_why_and_keeps_the_active_model(api: Api) -> None:
    from onestory.ai.classify import starter_examples, train_and_save

    enricher = api.application.enrich.enricher
    assert enricher is not None
    _m, trained = train_and_save(enricher.intent_store, starter_examples())
    enricher.reload()
    (enricher.intent_store.directory / trained.version / "examples.jsonl").write_text("not json\n")
    job = retrain(api)
    assert job["status"] == "failed" and "cannot be read" in job["error"]
    assert job["result"] is None
    assert api.get("/v1/ai/models").json()[0]["active"] == trained.version
    assert api.get("/v1/ai/jobs/job_nope").status_code == 404


def test_a_job_left_running_by_a_stopped_server_is_failed_at_the_next_start(
    tmp_path: Path, sqlite_url: str
) -> None:
    settings = make_settings(tmp_path, sqlite_url)
    for api in open_api(settings):
        with api.runtime.db.transaction(write=True) as s:
            # What a process killed mid-training leaves behind.
            s.add(
                Job(
                    id="job_left",
                    kind="ai.intent_retrain",
                    status="running",
                    requested_by="key:admin",
                    runner=f"{socket.gethostname()}:{os.getpid()}",
                    created_at=datetime.now(UTC),
                    started_at=datetime.now(UTC),
                )
            )
        assert api.get("/v1/ai/jobs/job_left").json()["status"] == "running"
    for api in open_api(settings):
        job = api.get("/v1/ai/jobs/job_left").json()
        assert job["status"] == "failed" and "stopped" in job["error"]
