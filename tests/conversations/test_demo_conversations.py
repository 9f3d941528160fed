"""Demo data (``onestory demo``) becomes cross-channel conversations."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from onestory.ai.settings import AISettings
from onestory.demo.generator import generate_world
from onestory.kit.clock import FrozenClock
from tests.cases.conftest import open_frozen_api
from tests.conftest import Api, make_settings


@pytest.fixture
def quiet_api(tmp_path: Path, database_url: str, clock: FrozenClock) -> Iterator[Api]:
    # AI enrichment is not what this test is about; without it the demo loads in seconds.
    # Playbooks only record (dry run): their outreach would add messages that are not demo
    # events. The app runs on a frozen clock, so nothing depends on the hour it runs at.
    settings = make_settings(tmp_path, database_url, ai=AISettings(enabled=False))
    yield from open_frozen_api(settings, clock, dry_run=True)


def test_demo_journeys_are_cross_channel_conversations(quiet_api: Api, clock: FrozenClock) -> None:
    api = quiet_api
    now = clock.now() - timedelta(minutes=10)
    events = list(generate_world(customers=40, days=30, seed=3, now=now))
    for i in range(0, len(events), 500):
        r = api.post("/v1/events/batch", json=events[i : i + 500])
        assert r.status_code == 200, r.text
        assert r.json()["rejected"] == 0, r.json()
    api.drain(60)
    convs = api.get("/v1/conversations", params={"limit": 200}).json()
    messages = sum(1 for e in events if e["type"].startswith(("message.", "call.")))
    assert convs["total"] > 0
    assert sum(c["message_count"] for c in convs["items"]) == messages
    multi = [c for c in convs["items"] if len(c["channels"]) > 1]
    assert multi, "the demo has journeys that switch channel"
    one = api.get(f"/v1/conversations/{multi[0]['id']}").json()
    assert len({m["channel"] for m in one["messages"]}) > 1
    assert any(n["kind"] == "channel_switch" for n in one["notes"])
