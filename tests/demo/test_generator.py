"""The seeded demo world: deterministic, valid, realistic enough to exercise every capability."""

from __future__ import annotations

import json
import time
from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import phonenumbers
import pytest

from onestory.demo.generator import World, build_world, generate_world, write_jsonl
from onestory.events.schemas import EventIn
from onestory.events.types import PAYLOAD_SCHEMAS

NOW = datetime(2026, 11, 24, 18, 0, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def world() -> tuple[World, float]:
    started = time.perf_counter()
    w = build_world(now=NOW)
    return w, time.perf_counter() - started


@pytest.fixture(scope="module")
def events(world: tuple[World, float]) -> list[dict[str, Any]]:
    return world[0].events


def _digits(phone: str) -> str:
    return phone.replace(" ", "")


def _owner_index(w: World) -> dict[str, int]:
    """Every strong identifier of the ground truth -> the person's index."""
    owner: dict[str, int] = {}
    for p in w.customers:
        keys = [
            p.email,
            p.phone,
            f"billing:{p.billing_id}",
            f"shop:{p.shop_id}",
            f"crm:{p.crm_id}",
            *(f"device:{d}" for d in p.devices),
        ]
        keys += [k for k in (p.alt_email, p.alt_phone) if k]
        if p.cookie_id:
            keys.append(f"cookie:{p.cookie_id}")
        keys += [f"social:{h}" for h in p.social.values()]
        for k in keys:
            assert k not in owner, f"identifier {k} shared by two people"
            owner[k] = p.index
    return owner


def _owner(owner: dict[str, int], ids: dict[str, Any]) -> int | None:
    candidates = [ids.get("email"), _digits(ids["phone"]) if ids.get("phone") else None]
    candidates += [f"{k}:{v}" for k, v in ids.get("external_ids", {}).items()]
    candidates += [f"device:{ids['device_id']}" if ids.get("device_id") else None]
    candidates += [f"cookie:{ids['cookie_id']}" if ids.get("cookie_id") else None]
    candidates += [f"social:{h}" for h in ids.get("social", {}).values()]
    for c in candidates:
        if c and c in owner:
            return owner[c]
    return None


def test_same_seed_same_world_and_different_seed_differs() -> None:
    a = list(generate_world(customers=40, days=30, seed=11, now=NOW))
    b = list(generate_world(customers=40, days=30, seed=11, now=NOW))
    c = list(generate_world(customers=40, days=30, seed=12, now=NOW))
    assert a == b
    assert a != c
    assert json.dumps(a, ensure_ascii=False) == json.dumps(b, ensure_ascii=False)


def test_default_scale_and_speed(world: tuple[World, float]) -> None:
    w, seconds = world
    assert 500 <= len(w.customers) <= 530  # customers plus a few prospects
    assert 42_500 <= len(w.events) <= 57_500
    assert seconds < 120, f"generation took {seconds:.1f}s"  # a hang guard, not a benchmark


def test_every_event_validates(events: list[dict[str, Any]]) -> None:
    for e in events:
        model = EventIn.model_validate(e)
        if model.type in PAYLOAD_SCHEMAS:
            PAYLOAD_SCHEMAS[model.type].model_validate(e["payload"])
        assert len(json.dumps(e["payload"], ensure_ascii=False).encode()) < 64_000
        json.dumps(e)  # JSON-ready


def test_sorted_in_window_with_unique_keys(events: list[dict[str, Any]]) -> None:
    stamps = [e["occurred_at"] for e in events]
    assert all(s.endswith("Z") for s in stamps)
    parsed = [datetime.fromisoformat(s) for s in stamps]
    assert parsed == sorted(parsed)
    assert max(parsed) <= NOW
    assert min(parsed) >= NOW - timedelta(days=90)
    keys = [e["idempotency_key"] for e in events]
    assert len(set(keys)) == len(keys)
    assert {e["source"] for e in events} >= {
        "shop",
        "billing",
        "webchat",
        "email",
        "twilio",
        "voice",
        "fieldservice",
        "app",
        "surveys",
        "crm",
    }


def test_background_activity(events: list[dict[str, Any]]) -> None:
    counts = Counter(e["type"] for e in events)
    for t in (
        "app.session",
        "usage.reported",
        "order.placed",
        "order.shipped",
        "order.delivered",
        "payment.succeeded",
        "payment.failed",
        "plan.changed",
        "survey.answered",
        "review.posted",
        "social.posted",
    ):
        assert counts[t] > 0, t
    payments = counts["payment.succeeded"] + counts["payment.failed"]
    assert 0.02 < counts["payment.failed"] / payments < 0.15
    failed = [e["payload"] for e in events if e["type"] == "payment.failed"]
    assert all(p["reason"] for p in failed)
    assert any(p["attempt"] >= 2 for p in failed), "repeated failures"
    directions = {e["payload"]["direction"] for e in events if e["type"] == "plan.changed"}
    assert directions == {"upgrade", "downgrade"}
    ranges = {"nps": (0, 10), "csat": (1, 5), "ces": (1, 7)}
    seen = set()
    for e in events:
        if e["type"] == "survey.answered":
            p = e["payload"]
            lo, hi = ranges[p["survey"]]
            assert lo <= p["score"] <= hi
            seen.add(p["survey"])
    assert seen == {"nps", "csat", "ces"}


def test_survey_comment_tone_matches_score(events: list[dict[str, Any]]) -> None:
    from onestory.demo import phrases

    negative = {c for texts in phrases.SURVEY_COMMENTS["negative"].values() for c in texts}
    positive = {c for texts in phrases.SURVEY_COMMENTS["positive"].values() for c in texts}
    for e in events:
        p = e["payload"]
        if e["type"] == "survey.answered" and p["survey"] == "nps" and "comment" in p:
            if p["score"] >= 9:
                assert p["comment"] not in negative
            if p["score"] <= 6:
                assert p["comment"] not in positive


def test_journeys_present(world: tuple[World, float], events: list[dict[str, Any]]) -> None:
    w = world[0]
    assert w.journeys["billing_dispute"] >= 30
    assert w.journeys["delivery_delay"] >= 30
    assert w.journeys["broken_device"] >= 25
    assert w.journeys["cancellation_threat"] >= 25
    assert w.journeys["upgrade_question"] >= 25
    assert w.journeys["repeat_contact"] >= 20
    counts = Counter(e["type"] for e in events)
    assert counts["payment.refunded"] >= 15
    assert counts["delivery.delayed"] >= 25
    assert counts["visit.scheduled"] >= 25
    assert counts["subscription.cancelled"] >= 3
    assert counts["offer.accepted"] >= 3
    refund_promises = [
        e
        for e in events
        if e["type"] == "message.sent" and e["payload"].get("promise", {}).get("what") == "refund"
    ]
    assert len(refund_promises) >= 25
    english = [e for e in refund_promises if e["payload"].get("language_hint") is None]
    assert all("5 business days" in e["payload"]["text"] for e in english)
    statuses = Counter(e["payload"]["status"] for e in events if e["type"] == "visit.completed")
    assert statuses["fixed"] >= 15
    assert statuses["missed"] >= 1
    for e in events:
        if e["type"] == "visit.scheduled":
            start = datetime.fromisoformat(e["payload"]["window_start"])
            end = datetime.fromisoformat(e["payload"]["window_end"])
            assert start < end
            assert e["payload"]["technician"]
    transcripts = [e["payload"]["transcript"] for e in events if e["type"] == "call.ended"]
    assert len(transcripts) >= 25
    assert all("Customer:" in t and "Agent:" in t for t in transcripts)


def test_email_threading(events: list[dict[str, Any]]) -> None:
    emails = [e["payload"] for e in events if e["channel"] == "email"]
    ids = {p["message_id"] for p in emails}
    assert all(p.get("message_id") for p in emails)
    replies = [p for p in emails if p.get("in_reply_to")]
    assert len(replies) >= 30
    assert all(p["in_reply_to"] in ids for p in replies)
    assert all(p.get("subject") for p in replies)
    assert all("conversation_id" not in e["payload"] for e in events)


def test_multichannel_customers(world: tuple[World, float], events: list[dict[str, Any]]) -> None:
    w = world[0]
    owner = _owner_index(w)
    channels: dict[int, set[str]] = defaultdict(set)
    unowned = 0
    for e in events:
        idx = _owner(owner, e["customer"])
        if idx is None:
            unowned += 1
            continue
        if e["type"].startswith(("message.", "call.")):
            channels[idx].add(e["channel"])
    assert unowned == 0
    assert sum(1 for c in channels.values() if len(c) >= 3) >= 40


def test_identities_that_need_merging(
    world: tuple[World, float], events: list[dict[str, Any]]
) -> None:
    w = world[0]
    alt_emails = {p.alt_email: p for p in w.customers if p.alt_email}
    alt_phones = {p.alt_phone: p for p in w.customers if p.alt_phone}
    cookies = {p.cookie_id: p for p in w.customers if p.cookie_id}
    assert len(alt_emails) >= 20
    assert len(alt_phones) >= 10
    assert len(cookies) >= 30

    def first_seen(pred: Any) -> dict[str, datetime]:
        seen: dict[str, datetime] = {}
        for e in events:
            key = pred(e["customer"])
            if key and key not in seen:
                seen[key] = datetime.fromisoformat(e["occurred_at"])
        return seen

    alone = first_seen(
        lambda c: (
            c.get("email") if c.get("email") in alt_emails and not c.get("external_ids") else None
        )
    )
    linked = first_seen(
        lambda c: (
            c.get("email")
            if c.get("email") in alt_emails and c.get("external_ids", {}).get("crm")
            else None
        )
    )
    both = [k for k in alone if k in linked and alone[k] < linked[k]]
    assert len(both) >= 15, "second emails used alone first, linked later"
    p_alone = first_seen(
        lambda c: c.get("phone") if c.get("phone") in alt_phones and not c.get("email") else None
    )
    p_linked = first_seen(
        lambda c: c.get("phone") if c.get("phone") in alt_phones and c.get("email") else None
    )
    assert sum(1 for k in p_alone if k in p_linked and p_alone[k] < p_linked[k]) >= 8
    anon = first_seen(lambda c: c.get("cookie_id") if set(c) == {"cookie_id"} else None)
    ident = first_seen(
        lambda c: (
            c.get("cookie_id")
            if c.get("cookie_id") and c.get("email") and e_type_is_identify(c)
            else None
        )
    )
    assert sum(1 for k in anon if k in ident and anon[k] <= ident[k]) >= 30
    assert any(p.is_lead for p in w.customers)


def e_type_is_identify(customer: dict[str, Any]) -> bool:
    return set(customer) == {"cookie_id", "email", "name"}


def test_phones_and_emails_are_well_formed(world: tuple[World, float]) -> None:
    w = world[0]
    countries = set()
    for p in w.customers:
        for number in (p.phone, p.alt_phone):
            if number:
                parsed = phonenumbers.parse(number)
                assert phonenumbers.is_valid_number(parsed), number
                assert (
                    phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
                    == number
                )
        assert p.email.count("@") == 1
        assert p.email.isascii()
        countries.add(p.country)
    assert countries >= {"GB", "US", "DE", "FR", "ES", "NL", "IN"}
    assert len({p.email for p in w.customers}) == len(w.customers)


def test_texts_are_varied_and_human(events: list[dict[str, Any]]) -> None:
    texts = [e["payload"]["text"] for e in events if e["type"] == "message.received"]
    assert len(texts) >= 700
    assert len(set(texts)) / len(texts) > 0.6
    langs = Counter(
        e["payload"].get("language_hint", "en") for e in events if e["type"].startswith("message.")
    )
    assert langs["de"] >= 20
    assert langs["fr"] >= 20
    assert langs["es"] >= 20
    joined = "\n".join(texts)
    assert any(ch in joined for ch in "äöüß")
    assert "é" in joined
    assert "¿" in joined
    assert any(t.isupper() and len(t) > 20 for t in texts), "ALL-CAPS frustration"
    assert "already told" in joined.lower()
    assert any(em in joined for em in ("😡", "🙂", "👍", "😞"))


def test_now_must_be_aware_and_nothing_in_future() -> None:
    with pytest.raises(ValueError, match="timezone"):
        build_world(customers=5, now=datetime(2026, 1, 1))
    odd_now = datetime(2026, 3, 1, 9, 30, 15, 123456, tzinfo=UTC)
    evs = list(generate_world(customers=30, days=20, seed=3, now=odd_now))
    assert evs
    assert all(datetime.fromisoformat(e["occurred_at"]) <= odd_now for e in evs)


def test_write_jsonl_roundtrip(tmp_path: Path) -> None:
    evs = list(generate_world(customers=10, days=10, seed=1, now=NOW))
    path = tmp_path / "world.jsonl"
    assert write_jsonl(path, evs) == len(evs)
    lines = path.read_text(encoding="utf-8").splitlines()
    assert [json.loads(line) for line in lines] == evs


@pytest.mark.parametrize(
    ("customers", "days", "seed"), [(1, 1, 0), (3, 2, 5), (25, 7, 9), (60, 19, 2)]
)
def test_small_worlds_are_valid(customers: int, days: int, seed: int) -> None:
    evs = list(generate_world(customers=customers, days=days, seed=seed, now=NOW))
    for e in evs:
        EventIn.model_validate(e)
        if e["type"] in PAYLOAD_SCHEMAS:
            PAYLOAD_SCHEMAS[e["type"]].model_validate(e["payload"])
        assert NOW - timedelta(days=days) <= datetime.fromisoformat(e["occurred_at"]) <= NOW


def test_plan_history_is_consistent(
    world: tuple[World, float], events: list[dict[str, Any]]
) -> None:
    current = {p.billing_id: None for p in world[0].customers}
    first_plan: dict[str, str] = {}
    for e in events:
        if e["type"] == "account.synced":
            first_plan[e["customer"]["external_ids"]["billing"]] = e["payload"]["plan"]
    for e in events:
        if e["type"] != "plan.changed":
            continue
        bid = e["customer"]["external_ids"]["billing"]
        before = current[bid] or first_plan[bid]
        assert e["payload"]["from_plan"] == before
        current[bid] = e["payload"]["to_plan"]
    summary = world[0].summary()
    assert summary["events"] == len(events)
    json.dumps(summary)
