"""The story: newest first, cursor pages without gaps, filters, profile, customer search, FTS."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from onestory.customers import repository as customers_repo
from onestory.customers.schemas import StoryPage
from onestory.models import Insight
from tests.conftest import Api, event, make_settings, open_api


@pytest.fixture
def api(tmp_path: Path, database_url: str) -> Iterator[Api]:
    """The app with AI enrichment off: these tests are about the core, and stay fast."""
    yield from open_api(make_settings(tmp_path, database_url, ai={"enabled": False}))


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
    api.drain(120)  # other domains' stages add items of their own; let them land first
    return cid, items


def mine(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The items this test sent (not those other domains' pipeline stages added)."""
    return [i for i in items if i["source"] == "test"]


def page_through(api: Api, cid: str, limit: int, **params: Any) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    cursor = None
    for _ in range(5000):
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
    assert len(mine(full)) == len(items)
    times = [datetime.fromisoformat(i["occurred_at"]) for i in full]
    assert times == sorted(times, reverse=True)
    for limit in (1, 7, 13):
        paged = page_through(api, cid, limit)
        assert [i["id"] for i in paged] == [i["id"] for i in full]
    # Every event of the customer is there, each once.
    assert len({i["id"] for i in full}) == len(full)
    assert {i["idempotency_key"] for i in mine(full)} == {f"s{i}" for i in range(len(items))}


def test_cursor_is_stable_while_new_events_arrive(api: Api) -> None:
    cid, items = seed(api, 12)
    first = api.get(f"/v1/customers/{cid}/story", params={"limit": 5}).json()
    # Newer than anything on the first page (other domains add items stamped "now").
    newer = event(email="story@example.com", key="new", when=datetime.now(UTC))
    assert api.post("/v1/events", json=newer).status_code == 201
    rest = page_through(api, cid, 5, cursor=first["next_cursor"])
    seen = first["items"] + rest
    assert len({i["id"] for i in seen}) == len(seen)  # no duplicates
    assert len(mine(seen)) == len(items)  # no gaps; the newer event is not in older pages
    assert "new" not in {i["idempotency_key"] for i in seen}


def test_story_filters_by_type_channel_and_time(api: Api) -> None:
    cid, _items = seed(api)
    by_type = page_through(api, cid, 500, type="payment.failed")
    assert by_type and {i["type"] for i in by_type} == {"payment.failed"}
    fam = page_through(api, cid, 500, type="payment.*")
    assert [i["id"] for i in fam] == [i["id"] for i in by_type]
    by_channel = page_through(api, cid, 500, channel=["email", "sms"])
    assert {i["channel"] for i in by_channel} == {"email", "sms"} and len(mine(by_channel)) == 16
    since, until = T0 + timedelta(minutes=30), T0 + timedelta(minutes=60)
    window = page_through(api, cid, 2, since=since.isoformat(), until=until.isoformat())
    assert len(mine(window)) == 9
    assert all(since <= datetime.fromisoformat(i["occurred_at"]) < until for i in window)
    both = page_through(api, cid, 500, type="message.*", channel="chat")
    assert {(i["type"], i["channel"]) for i in both} == {("message.received", "chat")}
    bad = api.get(f"/v1/customers/{cid}/story", params={"cursor": "garbage!!"})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "cursor"
    assert api.get("/v1/customers/cus_missing/story").status_code == 404


def test_profile_has_identities_first_last_seen_and_counts_per_channel(api: Api) -> None:
    cid, _items = seed(api, 10)
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
    api.drain(120)
    prof = api.get(f"/v1/customers/{cid}").json()
    everything = page_through(api, cid, 500)
    expected: dict[str, int] = {}
    for i in everything:
        expected[i["channel"] or "none"] = expected.get(i["channel"] or "none", 0) + 1
    assert prof["counts_by_channel"] == expected
    assert prof["total_events"] == len(everything)
    sent = {"chat": 2, "email": 2, "sms": 2, "voice": 2, "billing": 2, "app": 1}
    for ch, n in sent.items():
        assert sum(1 for i in mine(everything) if i["channel"] == ch) == n


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


def test_customer_search_takes_like_wildcards_literally(api: Api) -> None:
    def make(email: str, name: str) -> str:
        r = api.post("/v1/events", json=event(email=email, name=name))
        assert r.status_code == 201, r.text
        cid: str = r.json()["customer_id"]
        return cid

    under = make("a_b@example.com", "Alpha Underscore")
    other = make("axb@example.com", "Beta Other")
    percent = make("zed@example.com", "Zed 100% Percent")
    make("back@example.com", "Back Slash")

    def found(q: str) -> set[str]:
        r = api.get("/v1/customers", params={"q": q})
        assert r.status_code == 200, r.text
        return {c["id"] for c in r.json()["items"]}

    # "%" is a percent sign, not "everyone"; "_" is an underscore, not "any character".
    assert found("%") == {percent}
    assert found("a_b") == {under}
    assert found("axb") == {other}
    assert found("_") == {under}
    assert found("\\") == set()
    assert found("100%") == {percent}


def test_full_text_search_over_event_text(api: Api) -> None:
    cid, _ = seed(api, 10)
    other = api.post(
        "/v1/events",
        json=event(email="other@example.com", payload={"text": "my router keeps rebooting"}),
    ).json()["customer_id"]
    api.drain(120)
    hits = api.get("/v1/search/events", params={"q": "router"}).json()["items"]
    hits = [h for h in hits if h["event"]["source"] == "test"]
    assert {h["customer_id"] for h in hits} == {cid, other}
    assert len(hits) == 9  # 8 chat/email/sms/voice notes + the other customer's message
    own = api.get("/v1/search/events", params={"q": "router", "customer_id": cid}).json()["items"]
    assert {h["customer_id"] for h in own} == {cid}
    assert len([h for h in own if h["event"]["source"] == "test"]) == 8
    assert (
        api.get("/v1/search/events", params={"q": "rebooting"}).json()["items"][0]["customer_id"]
        == other
    )
    # User input is never query syntax.
    for q in ['"unbalanced', "router OR", "a AND (b", "*", "NEAR(x y)"]:
        assert api.get("/v1/search/events", params={"q": q}).status_code == 200, q


def test_story_body_is_exactly_the_documented_story_page(api: Api) -> None:
    """The endpoint writes its JSON with orjson, past FastAPI's response_model pass: the body
    must still be what the StoryPage model documents in OpenAPI, byte for byte as the model
    would serialise it, on the first page (with profile) and later ones (profile null)."""
    cid, _items = seed(api, 12)
    merged = api.post(
        "/v1/events",
        json=event(
            email="story@example.com",
            phone="+44 7911 123456",
            name="Stella Story",
            key="p",
            payload={"text": "zoë says ünïcode £5 and 1e-7", "n": 0.1, "big": 2**53},
        ),
    )
    assert merged.status_code == 201
    api.drain(120)
    page = api.get(f"/v1/customers/{cid}/story", params={"limit": 4}).json()
    # Insights as the enrich stage stores them (this app runs with AI off).
    with api.runtime.db.transaction(write=True) as s:
        customers_repo.insert_rows(
            s,
            Insight,
            [
                {
                    "event_id": item["id"],
                    "customer_id": cid,
                    "kind": kind,
                    "value": value,
                    "confidence": 0.25 * n,
                    "explanation": "because",
                    "model": "test",
                    "model_version": "1",
                    "created_at": T0,
                }
                for n, item in enumerate(page["items"][:2])
                for kind, value in (
                    ("sentiment", {"label": "negative", "score": -0.6}),
                    ("language", "en"),
                )
            ],
        )
    first = api.get(f"/v1/customers/{cid}/story", params={"limit": 4})
    assert first.headers["content-type"] == "application/json"
    model = StoryPage.model_validate_json(first.content)
    assert first.content == model.model_dump_json().encode()
    assert model.profile is not None and model.profile.total_events >= 13
    with_insights = [i for i in model.items if i.insights]
    assert len(with_insights) == 2
    assert [i.kind for i in with_insights[0].insights] == ["sentiment", "language"]
    assert with_insights[1].insights[0].value == {"label": "negative", "score": -0.6}
    sent = next(i for i in page_through(api, cid, 500) if i["idempotency_key"] == "p")
    assert sent["payload"]["text"] == "zoë says ünïcode £5 and 1e-7"
    assert (sent["payload"]["n"], sent["payload"]["big"]) == (0.1, 2**53)
    later = api.get(f"/v1/customers/{cid}/story", params={"limit": 4, "cursor": model.next_cursor})
    assert later.content == StoryPage.model_validate_json(later.content).model_dump_json().encode()
    assert later.json()["profile"] is None
    # The schema clients read in OpenAPI is still StoryPage.
    spec = api.get("/openapi.json").json()
    ok = spec["paths"]["/v1/customers/{customer_id}/story"]["get"]["responses"]["200"]
    assert ok["content"]["application/json"]["schema"]["$ref"].endswith("/StoryPage")
