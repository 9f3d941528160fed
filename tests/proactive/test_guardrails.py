"""Each guardrail holds: no consent, quiet hours, weekly cap, one action per signal, dry run."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from onestory.kit.clock import FrozenClock
from onestory.models import Event
from onestory.pipeline.runner import load_events
from onestory.pipeline.stages import StageContext
from onestory.proactive.engine import playbooks_acted
from onestory.proactive.models import ProactiveAction
from onestory.proactive.scheduler import release_deferred
from tests.cases.conftest import NOON
from tests.conftest import Api
from tests.proactive.helpers import (
    actions,
    customer,
    ok,
    payment_failed,
    proactive_messages,
    send,
)


def test_allowed_contact_goes_to_the_preferred_channel(capi: Api) -> None:
    cid = customer(capi, "ok@example.com", preferred_channel="whatsapp", timezone="Europe/Paris")
    send(capi, payment_failed("ok@example.com", "INV-1"))
    capi.drain()
    msgs = proactive_messages(capi, cid)
    assert [m["channel"] for m in msgs] == ["whatsapp"]
    assert msgs[0]["payload"]["proactive"]["signal_kind"] == "payment_failed"
    assert "29.9 EUR" in msgs[0]["payload"]["text"]


def test_no_consent_means_no_contact_there(capi: Api) -> None:
    cid = customer(capi, "nc@example.com", preferred_channel="sms", timezone="Europe/Paris")
    ok(
        capi.client.put(
            f"/v1/customers/{cid}/consents",
            headers=capi.headers,
            json={"purpose": "service", "channel": "sms", "granted": False},
        )
    )
    send(capi, payment_failed("nc@example.com", "INV-1"))
    capi.drain()
    # Not on sms: the next channel with consent (the chat the customer last wrote on).
    assert [m["channel"] for m in proactive_messages(capi, cid)] == ["chat"]

    cid2 = customer(capi, "nc2@example.com", preferred_channel="sms", timezone="Europe/Paris")
    ok(
        capi.client.put(
            f"/v1/customers/{cid2}/consents",
            headers=capi.headers,
            json={"purpose": "service", "channel": "*", "granted": False},
        )
    )
    send(capi, payment_failed("nc2@example.com", "INV-9"))
    capi.drain()
    assert proactive_messages(capi, cid2) == []
    [a] = actions(capi, cid2)
    assert (a["status"], a["reason"]) == ("suppressed", "no_consent")
    # The story says so too.
    story = ok(capi.get(f"/v1/customers/{cid2}/story", params={"limit": 100}))["items"]
    assert any(e["type"] == "consent.changed" for e in story)
    assert any(
        e["type"] == "proactive.action" and e["payload"]["reason"] == "no_consent" for e in story
    )


def test_quiet_hours_in_the_customers_time_zone(capi: Api, clock: FrozenClock) -> None:
    # 12:00 UTC is 21:00 in Tokyo: inside the default 21:00-08:00 quiet hours.
    cid = customer(capi, "tokyo@example.com", preferred_channel="sms", timezone="Asia/Tokyo")
    send(capi, payment_failed("tokyo@example.com", "INV-1"))
    capi.drain()
    assert proactive_messages(capi, cid) == []
    [a] = actions(capi, cid)
    assert (a["status"], a["reason"]) == ("deferred", "quiet_hours")
    assert a["details"]["timezone"] == "Asia/Tokyo"
    assert a["details"]["quiet_until"].startswith("2026-11-26T08:00")
    rt = capi.runtime
    # Still night in Tokyo (06:00): nothing is released.
    clock.set(NOON + timedelta(hours=9))
    assert capi.client.portal.call(release_deferred, rt) == 0  # type: ignore[union-attr]
    # 08:30 in Tokyo: the held message goes out once, on the preferred channel.
    clock.set(NOON + timedelta(hours=11, minutes=30))
    assert capi.client.portal.call(release_deferred, rt) == 1  # type: ignore[union-attr]
    assert capi.client.portal.call(release_deferred, rt) == 0  # type: ignore[union-attr]
    capi.drain()
    msgs = proactive_messages(capi, cid)
    assert [m["channel"] for m in msgs] == ["sms"]
    assert msgs[0]["payload"]["proactive"]["deferred_by_quiet_hours"] is True
    assert [(x["status"], x["channel"]) for x in actions(capi, cid)] == [("done", "sms")]


def test_weekly_contact_cap(capi: Api) -> None:
    cid = customer(capi, "cap@example.com", preferred_channel="email", timezone="UTC")
    for i in range(3):
        send(capi, payment_failed("cap@example.com", f"INV-{i}", minutes=10 - i))
        capi.drain()
    assert len(proactive_messages(capi, cid)) == 2  # the default cap: 2 per 7 days
    statuses = sorted((a["status"], a["reason"]) for a in actions(capi, cid))
    assert statuses == [("done", None), ("done", None), ("suppressed", "cap_reached")]


def test_duplicate_signal_gets_one_action(capi: Api) -> None:
    cid = customer(capi, "dup@example.com", preferred_channel="email", timezone="UTC")
    # The billing system reports the same failed attempt twice (different delivery keys).
    send(capi, payment_failed("dup@example.com", "INV-7", key="a"))
    send(capi, payment_failed("dup@example.com", "INV-7", key="b"))
    capi.drain()
    assert len(ok(capi.get("/v1/signals", params={"customer_id": cid}))) == 1
    assert len(proactive_messages(capi, cid)) == 1

    # Replaying the act stage over the same events does nothing twice.
    rt = capi.runtime
    with rt.db.transaction() as s:
        before = s.scalar(select(func.count()).select_from(ProactiveAction))
    with rt.db.transaction(write=True) as s:
        all_seqs = list(s.scalars(select(Event.seq)))
        ctx = StageContext(clock=rt.clock, stage="act")
        playbooks_acted(s, load_events(s, all_seqs), ctx, rt.settings.proactive, rt.live)
        assert ctx.drafts == []
    with rt.db.transaction() as s:
        assert s.scalar(select(func.count()).select_from(ProactiveAction)) == before

    # A second playbook on the same signal may act, but not contact the customer again.
    second = """
name: payment-second-opinion
version: 1
purpose: service
priority: 90
when: {signals: [payment_failed]}
actions:
  - type: message
    templates: {en: "Another note about {amount}"}
"""
    ok(
        capi.client.put(
            "/v1/playbooks/payment-second-opinion", headers=capi.headers, json={"yaml": second}
        )
    )
    send(capi, payment_failed("dup@example.com", "INV-8"))
    capi.drain()
    msgs = proactive_messages(capi, cid)
    assert len(msgs) == 2  # one per signal occurrence
    reasons = [a["reason"] for a in actions(capi, cid) if a["playbook"] == "payment-second-opinion"]
    assert reasons == ["duplicate_signal"]


def test_dry_run_records_but_does_not_send(capi: Api, clock: FrozenClock) -> None:
    cid = customer(capi, "dry@example.com", preferred_channel="email", timezone="UTC")
    pb = ok(capi.get("/v1/playbooks/payment-failed-help"))
    dry = (
        pb["source"]
        .replace("version: 1", "version: 2")
        .replace(
            "guardrails: {quiet_hours: true}", "guardrails: {quiet_hours: true, dry_run: true}"
        )
    )
    out = ok(
        capi.client.put(
            "/v1/playbooks/payment-failed-help", headers=capi.headers, json={"yaml": dry}
        )
    )
    assert out["version"] == 2 and out["spec"]["guardrails"]["dry_run"] is True
    send(capi, payment_failed("dry@example.com", "INV-1"))
    capi.drain()
    assert proactive_messages(capi, cid) == []
    statuses = {
        a["action"]: a["status"]
        for a in ok(capi.get("/v1/proactive/actions", params={"customer_id": cid}))
    }
    assert statuses == {"message": "dry_run", "notify_team": "dry_run"}
