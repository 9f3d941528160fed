"""Cases, tasks and promises through the API, and the one-screen summary."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from onestory.cases.checker import check_promises
from onestory.kit.clock import FrozenClock
from tests.cases.conftest import NOON
from tests.conftest import Api, event


def story_types(api: Api, cid: str) -> list[str]:
    r = api.get(f"/v1/customers/{cid}/story", params={"limit": 200})
    assert r.status_code == 200, r.text
    return [e["type"] for e in r.json()["items"]]


def new_customer(api: Api, email: str = "ada@example.com") -> str:
    r = api.post("/v1/events", json=event(when=NOON - timedelta(minutes=5), email=email))
    assert r.status_code in (200, 201, 202), r.text
    body = r.json()
    item = body["items"][0] if "items" in body else body
    return str(item["customer_id"])


def test_case_task_promise_flow_and_summary(capi: Api) -> None:
    cid = new_customer(capi)
    r = capi.post(
        "/v1/cases",
        json={
            "customer_id": cid,
            "title": "Router broken",
            "conversation_id": "conv_1",
            "priority": "high",
            "team": "support",
        },
    )
    assert r.status_code == 201, r.text
    case = r.json()
    assert case["origin"] == "conversation" and case["conversation_ids"] == ["conv_1"]

    r = capi.post(
        "/v1/tasks",
        json={
            "customer_id": cid,
            "kind": "visit",
            "title": "Replace router",
            "case_id": case["id"],
            "team": "field",
            "assignee": "tech-7",
            "window_start": (NOON + timedelta(hours=21)).isoformat(),
            "window_end": (NOON + timedelta(hours=24)).isoformat(),
            "promise": "A technician replaces the router",
        },
    )
    assert r.status_code == 201, r.text
    task = r.json()
    assert task["status"] == "scheduled"

    mine = capi.get("/v1/tasks", params={"assignee": "tech-7"}).json()["items"]
    assert [t["id"] for t in mine] == [task["id"]]
    assert capi.get("/v1/tasks", params={"assignee": "someone-else"}).json()["items"] == []

    capi.drain()
    s = capi.get(f"/v1/customers/{cid}/story/summary").json()
    assert [c["id"] for c in s["what_happened"]["open_cases"]] == [case["id"]]
    assert len(s["what_was_promised"]["open"]) == 1
    assert s["what_was_promised"]["open"][0]["task_id"] == task["id"]
    assert [t["id"] for t in s["what_next"]["open_tasks"]] == [task["id"]]
    assert s["what_next"]["next_step"]["ref"]

    r = capi.post(f"/v1/tasks/{task['id']}/status", json={"status": "en_route"})
    assert r.status_code == 200, r.text
    r = capi.post(f"/v1/tasks/{task['id']}/status", json={"status": "done", "note": "swapped"})
    assert r.json()["status"] == "done"
    capi.drain()
    s = capi.get(f"/v1/customers/{cid}/story/summary").json()
    assert s["what_was_promised"]["open"] == []
    assert [p["status"] for p in s["what_was_promised"]["kept"]] == ["kept"]
    assert s["what_was_promised"]["kept_rate"] == 1.0
    types = story_types(capi, cid)
    for t in ("case.opened", "task.created", "promise.made", "task.updated", "promise.kept"):
        assert t in types, types


def test_bad_input_is_a_problem(capi: Api) -> None:
    cid = new_customer(capi)
    r = capi.post("/v1/tasks", json={"customer_id": cid, "kind": "teleport", "title": "x"})
    assert r.status_code == 422
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["errors"][0]["field"] == "kind"
    assert capi.get("/v1/cases/case_nope").status_code == 404
    assert capi.post("/v1/cases", json={"customer_id": "cus_nope", "title": "x"}).status_code == 404


def test_overdue_promise_is_broken_once(capi: Api, clock: FrozenClock) -> None:
    cid = new_customer(capi)
    due = NOON + timedelta(hours=2)
    r = capi.post(
        "/v1/promises",
        json={
            "customer_id": cid,
            "what": "Call back",
            "kind": "callback",
            "due_by": due.isoformat(),
        },
    )
    assert r.status_code == 201, r.text
    rt = capi.runtime
    assert capi.client.portal.call(check_promises, rt) == 0  # type: ignore[union-attr]
    clock.advance(timedelta(hours=3))
    assert capi.client.portal.call(check_promises, rt) == 1  # type: ignore[union-attr]
    assert capi.client.portal.call(check_promises, rt) == 0  # type: ignore[union-attr]
    capi.drain()
    p: dict[str, Any] = capi.get(f"/v1/promises/{r.json()['id']}").json()
    assert p["status"] == "broken" and p["evidence"]["due_by"] == due.isoformat()
    assert story_types(capi, cid).count("promise.broken") == 1


def test_ai_promise_from_agent_message_is_kept_by_event(capi: Api) -> None:
    cid = new_customer(capi)
    msg = event(
        "message.sent",
        when=NOON - timedelta(minutes=1),
        payload={"text": "We will refund you within 5 business days.", "author": "agent"},
    )
    assert capi.post("/v1/events", json=msg).status_code in (200, 201, 202)
    capi.drain()
    promises = capi.get("/v1/promises", params={"customer_id": cid}).json()["items"]
    assert [(p["kind"], p["origin"], p["status"]) for p in promises] == [("refund", "ai", "open")]
    refund = event("payment.refunded", when=NOON, payload={"amount": 20, "currency": "EUR"})
    assert capi.post("/v1/events", json=refund).status_code in (200, 201, 202)
    capi.drain()
    p = capi.get(f"/v1/promises/{promises[0]['id']}").json()
    assert p["status"] == "kept" and p["evidence"]["event_type"] == "payment.refunded"
