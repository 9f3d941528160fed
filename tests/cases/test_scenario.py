"""Issue #5 must-show: broken device -> chat -> case -> technician visit with a promised window
-> technician's status update -> promise kept; and the run where the window passes -> promise
broken -> signal -> the playbook apologises on the preferred channel, within the guardrails."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from onestory.cases.checker import check_promises
from onestory.kit.clock import FrozenClock
from tests.cases.conftest import NOON
from tests.conftest import Api, event

WINDOW_START = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
WINDOW_END = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


def ok(r: Any, status: int = 200) -> Any:
    assert r.status_code == status, r.text
    return r.json()


def story(api: Api, cid: str) -> list[dict[str, Any]]:
    return list(ok(api.get(f"/v1/customers/{cid}/story", params={"limit": 300}))["items"])


def broken_device_until_visit_booked(api: Api, email: str) -> dict[str, str]:
    """The shared first half: complaint in chat, a case, the agent's promise, the visit task."""
    complaint = event(
        "message.received",
        email=email,
        when=NOON - timedelta(minutes=30),
        payload={
            "text": "My router is broken, no internet since this morning.",
            "conversation_id": "conv_42",
        },
        key=f"{email}-1",
    )
    r = api.post("/v1/events", json=complaint)
    assert r.status_code in (200, 201, 202), r.text
    body = r.json()
    item = body["items"][0] if "items" in body else body
    cid, complaint_id = item["customer_id"], item["id"]
    ok(
        api.client.put(
            f"/v1/customers/{cid}/contact-preferences",
            headers=api.headers,
            json={"preferred_channel": "sms", "timezone": "Europe/Berlin"},
        )
    )
    case = ok(
        api.post(
            "/v1/cases",
            json={
                "customer_id": cid,
                "title": "Router broken",
                "conversation_id": "conv_42",
                "event_id": complaint_id,
                "team": "support",
            },
        ),
        201,
    )
    reply = event(
        "message.sent",
        email=email,
        when=NOON - timedelta(minutes=20),
        payload={
            "text": "Our technician will visit you tomorrow between 9am and 12pm to replace "
            "the router.",
            "author": "agent",
            "conversation_id": "conv_42",
        },
        key=f"{email}-2",
    )
    assert api.post("/v1/events", json=reply).status_code in (200, 201, 202)
    api.drain()
    promises = ok(api.get("/v1/promises", params={"customer_id": cid}))["items"]
    assert len(promises) == 1, promises
    promise = promises[0]
    assert promise["origin"] == "ai" and promise["kind"] == "visit"
    assert promise["window_start"].startswith("2026-11-26T09:00")
    assert promise["due_by"].startswith("2026-11-26T12:00")
    task = ok(
        api.post(
            "/v1/tasks",
            json={
                "customer_id": cid,
                "kind": "visit",
                "title": "Replace router",
                "case_id": case["id"],
                "team": "field",
                "assignee": "tech-7",
                "window_start": WINDOW_START.isoformat(),
                "window_end": WINDOW_END.isoformat(),
                "external_id": f"FS-{email}",
                "promise_id": promise["id"],
            },
        ),
        201,
    )
    api.drain()
    s = ok(api.get(f"/v1/customers/{cid}/story/summary"))
    assert [c["id"] for c in s["what_happened"]["open_cases"]] == [case["id"]]
    assert [p["id"] for p in s["what_was_promised"]["open"]] == [promise["id"]]
    assert [t["assignee"] for t in s["what_next"]["open_tasks"]] == ["tech-7"]
    tech_list = ok(api.get("/v1/tasks", params={"assignee": "tech-7", "status": "scheduled"}))
    assert task["id"] in [t["id"] for t in tech_list["items"]]
    return {"cid": cid, "case": case["id"], "task": task["id"], "promise": promise["id"]}


def test_visit_done_in_window_keeps_the_promise(capi: Api, clock: FrozenClock) -> None:
    ids = broken_device_until_visit_booked(capi, "kept@example.com")
    clock.set(datetime(2026, 11, 26, 10, 30, tzinfo=UTC))
    # The field-service system reports through the normal ingest path (a webhook).
    update = event(
        "task.updated",
        email="kept@example.com",
        source="fieldservice",
        channel=None,
        when=clock.now(),
        payload={"external_id": "FS-kept@example.com", "status": "done", "note": "router swapped"},
        key="fs-1",
    )
    assert capi.post("/v1/events", json=update).status_code in (200, 201, 202)
    capi.drain()
    p = ok(capi.get(f"/v1/promises/{ids['promise']}"))
    assert p["status"] == "kept", p
    assert p["evidence"]["task_id"] == ids["task"]
    assert ok(capi.get(f"/v1/tasks/{ids['task']}"))["status"] == "done"
    # Later the checker runs: nothing to break.
    clock.set(datetime(2026, 11, 26, 13, 0, tzinfo=UTC))
    assert capi.client.portal.call(check_promises, capi.runtime) == 0  # type: ignore[union-attr]
    capi.drain()
    s = ok(capi.get(f"/v1/customers/{ids['cid']}/story/summary"))
    assert [x["id"] for x in s["what_was_promised"]["kept"]] == [ids["promise"]]
    assert s["what_was_promised"]["broken"] == []
    types = [e["type"] for e in story(capi, ids["cid"])]
    assert "promise.kept" in types and "promise.broken" not in types
    assert "signal.detected" not in types and not any(
        e["type"] == "message.sent" and e["payload"].get("proactive")
        for e in story(capi, ids["cid"])
    )


def test_window_passes_promise_broken_signal_apology(capi: Api, clock: FrozenClock) -> None:
    ids = broken_device_until_visit_booked(capi, "broken@example.com")
    clock.set(datetime(2026, 11, 26, 12, 30, tzinfo=UTC))  # 13:30 in Berlin: not quiet hours
    support = capi.runtime.live.subscribe({"team:support"})  # the support team's screens
    assert capi.client.portal.call(check_promises, capi.runtime) == 1  # type: ignore[union-attr]
    capi.drain()
    p = ok(capi.get(f"/v1/promises/{ids['promise']}"))
    assert p["status"] == "broken"
    signals = ok(capi.get("/v1/signals", params={"customer_id": ids["cid"]}))
    assert [(s["kind"], s["severity"]) for s in signals] == [("promise_broken", "high")]
    assert signals[0]["evidence"]["promise_id"] == ids["promise"]
    events = story(capi, ids["cid"])
    proactive = [e for e in events if e["type"] == "message.sent" and e["payload"].get("proactive")]
    assert len(proactive) == 1
    msg = proactive[0]
    assert msg["channel"] == "sms"  # the customer's preferred channel
    assert msg["payload"]["status"] == "queued" and msg["payload"]["author"] == "ai"
    assert msg["payload"]["proactive"]["playbook"] == "apologise-broken-promise"
    assert msg["payload"]["proactive"]["signal_id"] == signals[0]["id"]
    assert "sorry" in msg["payload"]["text"].lower()
    actions = [e["payload"] for e in events if e["type"] == "proactive.action"]
    assert {a["action"] for a in actions} == {"message", "open_case", "notify_team"}
    assert all(a["signal"]["kind"] == "promise_broken" and a["evidence"] for a in actions)
    alert = capi.client.portal.call(support.get, 5.0)  # type: ignore[union-attr]
    assert alert["kind"] == "proactive.alert" and alert["customer_id"] == ids["cid"]
    assert alert["signal"]["kind"] == "promise_broken"
    s = ok(capi.get(f"/v1/customers/{ids['cid']}/story/summary"))
    assert [x["id"] for x in s["what_was_promised"]["broken"]] == [ids["promise"]]
    assert s["what_next"]["next_step"]["ref"] == {"promise_id": ids["promise"]}
    assert len(s["what_happened"]["open_cases"]) == 2  # the router case and the broken-promise one
    # Running the checker and the pipeline again changes nothing (idempotent).
    assert capi.client.portal.call(check_promises, capi.runtime) == 0  # type: ignore[union-attr]
    capi.drain()
    again = story(capi, ids["cid"])
    assert (
        len([e for e in again if e["type"] == "message.sent" and e["payload"].get("proactive")])
        == 1
    )
