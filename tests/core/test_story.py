"""The story: newest first, cursor pages without gaps, filters, profile, customer search, FTS."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from tests.conftest import Api, event

T0 = datetime(2026, 2, 1, 8, 0, tzinfo=UTC)
CHANNELS = ["chat", "email", "sms", "voice", "billing"]


def seed(api: Api, n: int = 40) -> tuple[str, list[dict[str, Any]]]:
    """n events for one customer over many channels; some share a timestamp (cursor ties)."""
    items = []
    for i in range(n):
        ch = CHANNELS[i % len(CHANNELS)]
        type_ = "payment.failed" if ch == "billing" else "message.received"
        payload: dict[str, Any] = (
            {"amount": 10 + i, "currency": "EUR"}
            if ch == "billing"
            else {"text": f"note number {i} about the router"}
        )
        items.append(
            event(
                type_,
                email="story@example.com",
                key=f"s{i}",
                channel=ch,
                when=T0 + timedelta(minutes=(i // 3) * 10),  # three events per timestamp
                payload=payload,
            )
        )
    r = api.post("/v1/events/batch", json=items)
    assert r.status_code == 200, r.text
    cid = r.json()["items"][0]["customer_id"]
    return cid, items


def page_through(api: Api, cid: str, limit: int, **params: Any) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    cursor = None
    for _ in range(100):
        q = {"limit": limit, **params}
        if cursor:
            q["cursor"] = cursor
        r = api.get(f"/v1/customers/{cid}/story", params=q)
        assert r.status_code == 200, r.text
        body = r.json()
        assert len(body["items"]) <= limit
        out.extend(body["items"])
        cursor = body["next_cursor"]
        if not cursor:
            return out
    raise AssertionError("pagination did not end")


def test_story_is_newest_first_and_pages_have_no_gaps_or_duplicates(api: Api) -> None:
    cid, items = seed(api)
    full = page_through(api, cid, 500)
    assert len(full) == len(items)
    times = [datetime.fromisoformat(i["occurred_at"]) for i in full]
    assert times == sorted(times, reverse=True)
    for limit in (1, 7, 13):
        paged = page_through(api, cid, limit)
        assert [i["id"] for i in paged] == [i["id"] for i in full]
    # Every event of the customer is there, each once.
    assert len({i["id"] for i in full}) == len(items)
    assert {i["idempotency_key"] for i in full} == {f"s{i}" for i in range(len(items))}


def test_cursor_is_stable_while_new_events_arrive(api: Api) -> None:
    cid, items = seed(api, 12)
    first = api.get(f"/v1/customers/{cid}/story", params={"limit": 5}).json()
    newer = event(email="story@example.com", key="new", when=T0 + timedelta(days=1))
    assert api.post("/v1/events", json=newer).status_code == 201
    rest = page_through(api, cid, 5, cursor=first["next_cursor"])
    seen = [i["id"] for i in first["items"]] + [i["id"] for i in rest]
    assert len(seen) == len(set(seen)) == len(items)


def test_story_filters_by_type_channel_and_time(api: Api) -> None:
    cid, _items = seed(api)
    by_type = page_through(api, cid, 500, type="payment.failed")
    assert by_type and {i["type"] for i in by_type} == {"payment.failed"}
    fam = page_through(api, cid, 500, type="payment.*")
    assert [i["id"] for i in fam] == [i["id"] for i in by_type]
    by_channel = page_through(api, cid, 500, channel=["email", "sms"])
    assert {i["channel"] for i in by_channel} == {"email", "sms"} and len(by_channel) == 16
    since, until = T0 + timedelta(minutes=30), T0 + timedelta(minutes=60)
    window = page_through(api, cid, 2, since=since.isoformat(), until=until.isoformat())
    assert len(window) == 9
    assert all(since <= datetime.fromisoformat(i["occurred_at"]) < until for i in window)
    both = page_through(api, cid, 500, type="message.*", channel="chat")
    assert {(i["type"], i["channel"]) for i in both} == {("message.received", "chat")}
    bad = api.get(f"/v1/customers/{cid}/story", params={"cursor": "garbage!!"})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "cursor"
    assert api.get("/v1/customers/cus_missing/story").status_code == 404


def test_profile_has_identities_first_last_seen_and_counts_per_channel(api: Api) -> None:
    cid, items = seed(api, 10)
    r = api.post(
        "/v1/events",
        json=event(
            email="story@example.com",
            phone="+44 7911 123456",
            name="Stella Story",
            key="p",
            channel="app",
            when=T0 - timedelta(days=3),
        ),
    )
    assert r.status_code == 201
    prof = api.get(f"/v1/customers/{cid}").json()
    assert prof["display_name"] == "Stella Story"
    assert prof["traits"] == {}
    assert {(i["kind"], i["value"]) for i in prof["identities"]} == {
        ("email", "story@example.com"),
        ("phone", "+447911123456"),
    }
    assert datetime.fromisoformat(prof["first_seen"]) == T0 - timedelta(days=3)
    assert datetime.fromisoformat(prof["last_seen"]) == T0 + timedelta(minutes=30)
    assert prof["counts_by_channel"] == {
        "chat": 2,
        "email": 2,
        "sms": 2,
        "voice": 2,
        "billing": 2,
        "app": 1,
    }
    assert prof["total_events"] == len(items) + 1


def test_customer_search_by_any_identifier_or_name(api: Api) -> None:
    r = api.post(
        "/v1/events",
        json=event(
            email="Quinn.Q@Example.com",
            phone="+44 7911 123999",
            external_ids={"billing": "AC-5150"},
            social={"twitter": "quinnq"},
            name="Quinn Quartermaine",
        ),
    )
    cid = r.json()["customer_id"]
    api.post("/v1/events", json=event(email="someone.else@example.com", name="Rita Else"))
    for q in [
        "quinn.q@example.com",
        "QUINN.Q@EXAMPLE.COM",
        "07911 123999",
        "+447911123999",
        "AC-5150",
        "quinnq",
        "Quartermaine",
        "quinn quart",
        cid,
    ]:
        r = api.get("/v1/customers", params={"q": q})
        assert r.status_code == 200, r.text
        assert [c["id"] for c in r.json()["items"]] == [cid], q
    assert api.get("/v1/customers", params={"q": "nobody-like-this"}).json()["items"] == []
    assert api.get("/v1/customers", params={"q": ""}).status_code == 422


def test_full_text_search_over_event_text(api: Api) -> None:
    cid, _ = seed(api, 10)
    other = api.post(
        "/v1/events",
        json=event(email="other@example.com", payload={"text": "my router keeps rebooting"}),
    ).json()["customer_id"]
    hits = api.get("/v1/search/events", params={"q": "router"}).json()["items"]
    assert {h["customer_id"] for h in hits} == {cid, other}
    assert len(hits) == 9  # 8 chat/email/sms/voice notes + the other customer's message
    mine = api.get("/v1/search/events", params={"q": "router", "customer_id": cid}).json()["items"]
    assert len(mine) == 8 and {h["customer_id"] for h in mine} == {cid}
    assert (
        api.get("/v1/search/events", params={"q": "rebooting"}).json()["items"][0]["customer_id"]
        == other
    )
    # User input is never query syntax.
    for q in ['"unbalanced', "router OR", "a AND (b", "*", "NEAR(x y)"]:
        assert api.get("/v1/search/events", params={"q": q}).status_code == 200, q
