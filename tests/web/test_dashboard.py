"""GET /v1/dashboard: the supervisor's KPIs, computed from the store."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from onestory.kit.clock import FrozenClock
from onestory.web.settings import WebSettings
from tests.cases.conftest import NOON, open_frozen_api
from tests.conftest import Api, event, make_settings
from tests.web.conftest import make_user, sign_in


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(NOON)


@pytest.fixture
def strict_api(tmp_path: Path, database_url: str, clock: FrozenClock) -> Iterator[Api]:
    # Every waiting customer is already past an SLA of zero minutes. The clock is frozen at
    # noon: the 24-hour windows and hourly sentiment buckets never straddle a boundary.
    settings = make_settings(tmp_path, database_url, web=WebSettings(sla_wait_minutes=0))
    yield from open_frozen_api(settings, clock)


def test_kpis_follow_the_operation(strict_api: Api, clock: FrozenClock) -> None:
    api = strict_api
    when = NOON - timedelta(minutes=5)
    api.post(
        "/v1/events",
        json=event(when=when, payload={"text": "This is awful, my refund never came!"}),
    )
    api.post(
        "/v1/events",
        json=event(email="bob@example.com", when=when, payload={"text": "Thanks, all good"}),
    )
    api.drain()
    clock.advance(timedelta(minutes=1))  # the customers have waited: past the SLA of zero
    due = (clock.now() + timedelta(days=1)).isoformat()
    cust = api.get("/v1/customers", params={"q": "ada@example.com"}).json()["items"][0]["id"]
    assert (
        api.post(
            "/v1/promises", json={"customer_id": cust, "what": "Refund the order", "due_by": due}
        ).status_code
        == 201
    )
    make_user(api, "sue", "supervisor")
    sign_in(api.client, "sue")
    d = api.client.get("/v1/dashboard").json()
    assert d["open_conversations"] == 2
    assert d["waiting_conversations"] == 2
    assert d["sla_breaches"] == 2
    assert d["oldest_wait_seconds"] >= 0
    assert d["customer_messages_24h"] == 2
    assert d["promises_open"] == 1
    assert d["promise_kept_rate"] is None  # nothing kept or broken yet: no made-up rate
    assert sum(p["messages"] for p in d["sentiment_trend"]) == 2
    assert any(p["negative"] == 1 for p in d["sentiment_trend"])
    assert sum(i["last_24h"] for i in d["intents_trending"]) == 2
    [general] = d["queues"]
    assert (general["queue"], general["open"], general["waiting"]) == ("general", 2, 2)
    assert d["unavailable"] == []
    # The supervisor page lists who can join a queue (not technicians) for the editor.
    make_user(api, "tom", "technician")
    make_user(api, "amy", "agent")
    page = api.client.get("/supervisor").text
    assert '<option value="amy">' in page and '<option value="tom">' not in page
    assert 'id="queue-add"' in page and 'data-routed="general"' in page


def test_dashboard_needs_the_scope(api: Api) -> None:
    make_user(api, "amy", "agent")
    sign_in(api.client, "amy")
    assert api.client.get("/v1/dashboard").status_code == 403
    assert api.client.get("/supervisor").status_code == 403
    key = api.new_key(["dashboard:read"])
    res = api.client.get("/v1/dashboard", headers={"Authorization": f"Bearer {key}"})
    assert res.status_code == 200
    assert res.json()["open_conversations"] == 0
