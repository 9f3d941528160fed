"""Signals with evidence and severity, once per occurrence; outcome metrics; playbook API."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from onestory.kit.clock import FrozenClock
from tests.cases.conftest import NOON
from tests.conftest import Api, event
from tests.proactive.helpers import customer, ok, payment_failed, proactive_messages, send


def signals(api: Api, cid: str) -> list[dict[str, Any]]:
    return list(ok(api.get("/v1/signals", params={"customer_id": cid})))


def test_signals_from_billing_usage_delivery_and_messages(capi: Api) -> None:
    # Payment failed, then failed again for another invoice: the second is "repeated".
    pay = customer(capi, "pay@example.com")
    send(capi, payment_failed("pay@example.com", "INV-1", minutes=30))
    send(capi, payment_failed("pay@example.com", "INV-2", minutes=20))
    # Usage against the customer's own baseline: steady ~100/day, then 5.
    use = customer(capi, "use@example.com")
    base = [
        event(
            "usage.reported",
            email="use@example.com",
            channel=None,
            source="product",
            when=NOON - timedelta(days=10 - i),
            payload={"metric": "gb_used", "value": v},
            key=f"u{i}",
        )
        for i, v in enumerate([100, 96, 104, 99, 101, 98])
    ]
    send(capi, *base)
    send(
        capi,
        event(
            "usage.reported",
            email="use@example.com",
            channel=None,
            source="product",
            when=NOON - timedelta(minutes=5),
            payload={"metric": "gb_used", "value": 5},
            key="u-drop",
        ),
    )
    # A late delivery.
    late = customer(capi, "late@example.com")
    send(
        capi,
        event(
            "delivery.delayed",
            email="late@example.com",
            channel=None,
            source="wms",
            when=NOON - timedelta(minutes=5),
            payload={"order_id": "ORD-9", "delay_days": 4, "carrier": "DHL"},
            key="d1",
        ),
    )
    # The same customer writing three times about the same broken thing, angrier each time.
    angry = customer(capi, "angry@example.com")
    texts = [
        "My internet connection is not working, the router keeps dropping.",
        "Still no internet! The router is dropping the connection again. This is terrible.",
        "This is the third time I write: my internet is down AGAIN. Awful, useless service!",
    ]
    for i, t in enumerate(texts):
        send(
            capi,
            event(
                "message.received",
                email="angry@example.com",
                when=NOON - timedelta(hours=3 - i),
                payload={"text": t},
                key=f"a{i}",
            ),
        )
        capi.drain()
    capi.drain()

    kinds = [(s["kind"], s["severity"]) for s in signals(capi, pay)]
    assert sorted(kinds) == [("payment_failed", "medium"), ("payment_failed_repeated", "high")]
    repeated = next(s for s in signals(capi, pay) if s["kind"] == "payment_failed_repeated")
    assert (
        repeated["evidence"]["failures_30d"] == 2 and repeated["evidence"]["invoice_id"] == "INV-2"
    )

    [u] = signals(capi, use)
    assert u["kind"] == "usage_anomaly" and u["evidence"]["direction"] == "down"
    assert u["evidence"]["baseline_n"] == 6 and u["evidence"]["z"] < -3

    [d] = signals(capi, late)
    assert (d["kind"], d["severity"], d["evidence"]["order_id"]) == (
        "delivery_delay",
        "high",
        "ORD-9",
    )
    # delivery-delay-heads-up told the customer before they had to ask.
    assert len(proactive_messages(capi, late)) == 1

    angry_kinds = {s["kind"] for s in signals(capi, angry)}
    assert "repeat_contact" in angry_kinds, angry_kinds
    rc = next(s for s in signals(capi, angry) if s["kind"] == "repeat_contact")
    assert rc["evidence"]["contacts_14d"] >= 2 and rc["evidence"]["earlier"]
    story = ok(capi.get(f"/v1/customers/{angry}/story", params={"limit": 200}))["items"]
    routed = [e for e in story if e["type"] == "conversation.route_requested"]
    assert routed and routed[0]["payload"]["queue"] == "senior"
    # The signal events are on the story, each once.
    detected = [e["payload"]["kind"] for e in story if e["type"] == "signal.detected"]
    assert len(detected) == len(set(detected)) or "frustration" in detected


def test_outcome_metrics_and_playbook_api(capi: Api, clock: FrozenClock) -> None:
    reached = customer(capi, "r@example.com", preferred_channel="email", timezone="UTC")
    held = customer(capi, "h@example.com", preferred_channel="email", timezone="UTC")
    ok(
        capi.client.put(
            f"/v1/customers/{held}/consents",
            headers=capi.headers,
            json={"purpose": "service", "channel": "*", "granted": False},
        )
    )
    send(capi, payment_failed("r@example.com", "INV-1"))
    send(capi, payment_failed("h@example.com", "INV-2"))
    p = ok(
        capi.post(
            "/v1/promises",
            json={
                "customer_id": reached,
                "what": "Refund",
                "kind": "refund",
                "due_by": (NOON + timedelta(days=2)).isoformat(),
            },
        ),
        201,
    )
    capi.drain()
    send(
        capi,
        event(
            "payment.refunded",
            email="r@example.com",
            when=NOON + timedelta(minutes=1),
            payload={"amount": 10},
            key="ref",
        ),
    )
    capi.drain()
    assert ok(capi.get(f"/v1/promises/{p['id']}"))["status"] == "kept"
    # The held-back customer calls us three days later; the reached one does not.
    clock.set(NOON + timedelta(days=3, hours=1))
    send(
        capi,
        event(
            "message.received",
            email="h@example.com",
            when=NOON + timedelta(days=3),
            payload={"text": "Why did my payment fail?"},
            key="h-call",
        ),
    )
    clock.set(NOON + timedelta(days=8))
    capi.drain()
    m = ok(capi.get("/v1/metrics/outcomes", params={"since_days": 30}))
    assert m["promises"]["kept"] == 1 and m["promises"]["kept_rate"] == 1.0
    assert m["proactive_contacts"] == {"messages": 1, "customers": 1}
    avoided = m["inbound_avoided"]
    assert avoided["reached"] == 1 and avoided["reached_rate"] == 1.0
    assert avoided["comparison"] == 1 and avoided["comparison_rate"] == 0.0
    assert avoided["estimated_contacts_avoided"] == 1.0

    # Playbooks through the API: list, get, validate, put (version must go up), disable, dry-run.
    names = {pb["name"] for pb in ok(capi.get("/v1/playbooks"))}
    assert {"apologise-broken-promise", "payment-failed-help", "churn-risk-save"} <= names
    src = ok(capi.get("/v1/playbooks/payment-failed-help"))["source"]
    r = capi.client.put(
        "/v1/playbooks/payment-failed-help", headers=capi.headers, json={"yaml": src}
    )
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "version"
    r = capi.post("/v1/playbooks/validate", json={"yaml": "name: x\nversion: 1\nactions: []"})
    assert r.status_code == 422 and {e["field"] for e in r.json()["errors"]} >= {"when", "actions"}
    off = ok(capi.post("/v1/playbooks/payment-failed-help/disable"))
    assert off["enabled"] is False
    dry = ok(capi.post("/v1/playbooks/payment-failed-help/dry-run", json={"since_days": 30}))
    stats = dry["playbooks"]["payment-failed-help"]
    assert stats["enabled"] is False and stats["triggers"] == 2
    assert stats["would_contact"] == 1 and stats["suppressed"] == {"no_consent": 1}
    send(capi, payment_failed("r@example.com", "INV-3", minutes=-60 * 24 * 8 + 5))
    capi.drain()
    assert len(proactive_messages(capi, reached)) == 1  # switched off: no new message
