"""Small helpers for the proactive tests."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from tests.cases.conftest import NOON
from tests.conftest import Api, event


def ok(r: Any, status: int = 200) -> Any:
    assert r.status_code == status, r.text
    return r.json()


def send(api: Api, *events: dict[str, Any]) -> list[dict[str, Any]]:
    if len(events) > 1:
        r = api.post("/v1/events/batch", json={"events": list(events)})
    else:
        r = api.post("/v1/events", json=events[0])
    assert r.status_code in (200, 201, 202, 207), r.text
    body = r.json()
    return list(body["items"]) if "items" in body else [body]


def customer(api: Api, email: str, **prefs: Any) -> str:
    """A customer who chatted with us an hour ago, with contact preferences."""
    item = send(
        api,
        event(
            "message.received",
            email=email,
            when=NOON - timedelta(hours=1),
            payload={"text": "Hi, thanks for the help yesterday."},
            key=f"{email}-hello",
        ),
    )[0]
    cid = str(item["customer_id"])
    if prefs:
        ok(
            api.client.put(
                f"/v1/customers/{cid}/contact-preferences", headers=api.headers, json=prefs
            )
        )
    return cid


def payment_failed(
    email: str, invoice: str, *, attempt: int = 1, key: str | None = None, minutes: int = 5
) -> dict[str, Any]:
    return event(
        "payment.failed",
        email=email,
        channel=None,
        source="billing",
        when=NOON - timedelta(minutes=minutes),
        payload={
            "amount": 29.9,
            "currency": "EUR",
            "reason": "card expired",
            "invoice_id": invoice,
            "attempt": attempt,
        },
        key=key or f"{email}-{invoice}-{attempt}",
    )


def proactive_messages(api: Api, cid: str) -> list[dict[str, Any]]:
    items = ok(api.get(f"/v1/customers/{cid}/story", params={"limit": 300}))["items"]
    return [e for e in items if e["type"] == "message.sent" and e["payload"].get("proactive")]


def actions(api: Api, cid: str, action: str = "message") -> list[dict[str, Any]]:
    rows = ok(api.get("/v1/proactive/actions", params={"customer_id": cid}))
    return [a for a in rows if a["action"] == action]
