"""Identity resolution: normalisation, linking, deterministic merges, unmerge, weak identifiers."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from onestory.customers.identity import (
    IdentifierError,
    identity_keys,
    normalize_email,
    normalize_phone,
)
from onestory.events.schemas import Identifiers
from tests.conftest import Api, event, make_settings, open_api


@pytest.fixture
def api(tmp_path: Path, database_url: str) -> Iterator[Api]:
    """The app with AI enrichment off: these tests are about the core, and stay fast."""
    yield from open_api(make_settings(tmp_path, database_url, ai={"enabled": False}))


T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


def send(api: Api, *events: dict[str, Any]) -> list[dict[str, Any]]:
    r = api.post("/v1/events/batch", json=list(events))
    assert r.status_code == 200, r.text
    return list(r.json()["items"])


def one(api: Api, **kw: Any) -> str:
    (item,) = send(api, event(**kw))
    return str(item["customer_id"])


def profile(api: Api, cid: str) -> dict[str, Any]:
    r = api.get(f"/v1/customers/{cid}")
    assert r.status_code == 200, r.text
    return dict(r.json())


def story(api: Api, cid: str) -> list[dict[str, Any]]:
    """The story items this test is about: what it sent plus merge/unmerge records (other
    domains' pipeline stages add their own items, e.g. conversations, which are left out)."""
    api.drain(120)
    r = api.get(f"/v1/customers/{cid}/story", params={"limit": 500})
    assert r.status_code == 200, r.text
    return [
        i
        for i in r.json()["items"]
        if i["source"] == "test" or i["type"] in {"customer.merged", "customer.unmerged"}
    ]


def story_ids(api: Api, cid: str) -> list[str]:
    return [i["id"] for i in story(api, cid)]


# --- normalisation (pure) --------------------------------------------------------------------


def test_email_is_lower_cased_and_idn_domains_become_punycode() -> None:
    assert normalize_email("  Ada.Lovelace@Example.COM ") == "ada.lovelace@example.com"
    assert normalize_email("José@Bücher.de") == "josé@xn--bcher-kva.de"
    assert normalize_email("a@example.com.") == "a@example.com"
    for bad in ("nobody", "a@b", "a@@b.com", "a b@c.com"):
        with pytest.raises(IdentifierError) as exc:
            normalize_email(bad)
        assert exc.value.field == "customer.email"


def test_phone_numbers_become_e164_in_any_written_form() -> None:
    forms = [
        "+44 7911 123456",
        "07911 123456",
        "(07911) 123-456",
        "+447911123456",
        "0044 7911123456",
    ]
    assert {normalize_phone(f, "GB") for f in forms} == {"+447911123456"}
    assert normalize_phone("(415) 555-2671", "US") == "+14155552671"
    for bad in ("+44 12", "call me", "+999 123456789"):
        with pytest.raises(IdentifierError) as exc:
            normalize_phone(bad, "GB")
        assert exc.value.field == "customer.phone"


def test_identity_keys_cover_every_identifier_and_mark_weak_ones() -> None:
    ids = Identifiers(
        email="ADA@example.com",
        phone="07911 123456",
        external_ids={" Billing ": " AC-1 ", "crm": "42"},
        social={"Twitter": "@AdaL"},
        device_id=" dev-1 ",
        cookie_id="ck-9",
    )
    got = {(k.key, k.strong) for k in identity_keys(ids, "GB")}
    assert got == {
        ("email:ada@example.com", True),
        ("phone:+447911123456", True),
        ("ext.billing:AC-1", True),  # external ids are per system and case-sensitive
        ("ext.crm:42", True),
        ("social.twitter:adal", True),
        ("device:dev-1", False),
        ("cookie:ck-9", False),
    }
    # The same id in two systems is two different identities.
    a = identity_keys(Identifiers(external_ids={"billing": "7"}))
    b = identity_keys(Identifiers(external_ids={"crm": "7"}))
    assert a[0].key != b[0].key


# --- resolution over the API ------------------------------------------------------------------


def test_same_person_in_any_spelling_is_one_customer(api: Api) -> None:
    a = one(api, email="Ada@Example.com", key="1")
    b = one(api, email="ada@example.COM", key="2")
    c = one(api, email="ada@example.com", key="3", phone="+44 7911 123456")
    d = one(api, email=None, key="4", phone="07911123456")
    assert a == b == c == d
    kinds = {(i["kind"], i["value"]) for i in profile(api, a)["identities"]}
    assert kinds == {("email", "ada@example.com"), ("phone", "+447911123456")}


def test_new_identifier_links_to_the_known_customer(api: Api) -> None:
    cid = one(api, email="bo@example.com", key="1")
    assert one(api, email="bo@example.com", key="2", external_ids={"billing": "AC-9"}) == cid
    assert one(api, email=None, key="3", external_ids={"billing": "AC-9"}) == cid
    assert one(api, email=None, key="4", external_ids={"crm": "AC-9"}) != cid


def test_two_customers_tied_by_an_event_merge_into_the_older_one(api: Api) -> None:
    older = one(api, email="cy@example.com", key="1", when=T0)
    newer = one(api, email=None, phone="+44 7911 123111", key="2", when=T0 + timedelta(hours=1))
    assert older != newer
    # The tying event names the newer customer's identifier first: the survivor is still the
    # customer created first, whatever the order of identifiers or events.
    (tie,) = send(
        api,
        event(email="cy@example.com", phone="07911123111", key="3", when=T0 + timedelta(hours=2)),
    )
    assert tie["customer_id"] == older

    prof = profile(api, newer)  # the merged id answers with the survivor
    assert prof["id"] == older and prof["merged_ids"] == [newer]
    (merge,) = prof["merges"]
    assert merge["survivor_id"] == older and merge["merged_id"] == newer
    assert merge["evidence"]["event_id"] == tie["id"]
    assert merge["evidence"]["merged_keys"] == ["phone:+447911123111"]

    ids = story_ids(api, older)
    assert len(ids) == 4  # three events of both people plus the customer.merged event
    assert story_ids(api, newer) == ids
    merged_events = [
        i
        for i in api.get(f"/v1/customers/{older}/story", params={"type": "customer.merged"}).json()[
            "items"
        ]
    ]
    assert len(merged_events) == 1
    payload = merged_events[0]["payload"]
    assert payload["survivor_id"] == older and payload["merged_id"] == newer
    assert payload["merge_id"] == merge["id"]
    assert payload["evidence"]["event_id"] == tie["id"]


def test_merge_survivor_does_not_depend_on_arrival_order_in_a_batch(api: Api) -> None:
    first = one(api, email="d1@example.com", key="a")
    second = one(api, email="d2@example.com", key="b")
    third = one(api, email="d3@example.com", key="c")
    items = send(
        api,
        event(email="d3@example.com", phone="+44 7911 123222", key="x"),
        event(email="d2@example.com", phone="+44 7911 123222", key="y"),
        event(email="d1@example.com", external_ids={"crm": "D"}, key="z"),
        event(email=None, phone="+44 7911 123222", external_ids={"crm": "D"}, key="w"),
    )
    assert {i["customer_id"] for i in items} == {first}
    prof = profile(api, third)
    assert prof["id"] == first and sorted(prof["merged_ids"]) == sorted([second, third])


def test_unmerge_restores_both_stories(api: Api) -> None:
    ed = one(api, email="ed@example.com", key="1", when=T0)
    other = one(api, email=None, phone="+44 7911 123444", key="2", when=T0 + timedelta(minutes=1))
    send(api, event(email="ed@example.com", phone="+44 7911 123444", key="3"))
    # After the merge, an event carrying only the merged customer's identifier.
    (later,) = send(api, event(email=None, phone="+44 7911 123444", key="4"))
    assert later["customer_id"] == ed
    merge_id = profile(api, ed)["merges"][0]["id"]

    r = api.post(f"/v1/customers/merges/{merge_id}/unmerge")
    assert r.status_code == 200, r.text
    ed_prof, other_prof = profile(api, ed), profile(api, other)
    assert ed_prof["id"] == ed and other_prof["id"] == other
    assert other_prof["merged_ids"] == [] and ed_prof["merged_ids"] == []
    assert {i["value"] for i in other_prof["identities"]} == {"+447911123444"}
    assert {i["value"] for i in ed_prof["identities"]} == {"ed@example.com"}
    assert ed_prof["merges"][0]["reverted_at"] is not None

    other_story = story(api, other)
    other_types = sorted(i["type"] for i in other_story)
    assert other_types == ["customer.unmerged", "message.received", "message.received"]
    assert later["id"] in {i["id"] for i in other_story}
    assert later["id"] not in story_ids(api, ed)
    # From now on the phone resolves to the restored customer again.
    assert one(api, email=None, phone="+447911123444", key="5") == other

    again = api.post(f"/v1/customers/merges/{merge_id}/unmerge")
    assert again.status_code == 409
    assert again.headers["content-type"].startswith("application/problem+json")
    assert api.post("/v1/customers/merges/mrg_nope/unmerge").status_code == 404
    reader = api.new_key(["customers:read"])
    r = api.client.post(
        f"/v1/customers/merges/{merge_id}/unmerge", headers={"Authorization": f"Bearer {reader}"}
    )
    assert r.status_code == 403


def test_weak_identifiers_never_merge_two_known_people(api: Api) -> None:
    fay = one(api, email="fay@example.com", device_id="shared-ipad", cookie_id="ck-1", key="1")
    gus = one(api, email="gus@example.com", key="2")
    # Gus uses the family iPad and Fay's browser: still two people.
    (item,) = send(
        api, event(email="gus@example.com", device_id="shared-ipad", cookie_id="ck-1", key="3")
    )
    assert item["customer_id"] == gus
    assert profile(api, fay)["merges"] == [] and profile(api, gus)["merges"] == []
    assert profile(api, fay)["id"] == fay and profile(api, gus)["id"] == gus
    # A device-only event goes to the person who owns the device identity; no merge either.
    assert one(api, email=None, device_id="shared-ipad", key="4") == fay
    assert profile(api, gus)["id"] == gus


def test_anonymous_visitor_is_folded_in_when_identified(api: Api) -> None:
    known = one(api, email="hal@example.com", key="1", when=T0)
    anon = one(api, email=None, cookie_id="visitor-77", key="2", when=T0 + timedelta(minutes=5))
    assert anon != known
    assert one(api, email=None, cookie_id="visitor-77", key="3") == anon
    (item,) = send(api, event(email="hal@example.com", cookie_id="visitor-77", key="4"))
    assert item["customer_id"] == known
    prof = profile(api, anon)
    assert prof["id"] == known and prof["merged_ids"] == [anon]
    assert prof["merges"][0]["reason"] == "anonymous visitor identified"
    assert len(story_ids(api, known)) == 5  # 4 events + customer.merged
