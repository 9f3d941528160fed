"""Consents and contact preferences: what the API stores and answers, the story events a
change records (and only a change), the input it refuses, and the answers other domains read
through the privacy service."""

from __future__ import annotations

from typing import Any

from onestory.privacy import service as privacy
from tests.conftest import Api
from tests.proactive.helpers import customer, ok


def story_types(api: Api, cid: str) -> list[str]:
    items = ok(api.get(f"/v1/customers/{cid}/story", params={"limit": 100}))["items"]
    return [e["type"] for e in items]


def put(api: Api, path: str, body: dict[str, Any]) -> Any:
    return api.client.put(path, headers=api.headers, json=body)


def test_consents_are_stored_per_purpose_and_channel(capi: Api) -> None:
    cid = customer(capi, "c@example.com")
    path = f"/v1/customers/{cid}/consents"
    assert ok(capi.get(path)) == []
    out = ok(put(capi, path, {"purpose": "proactive", "channel": "sms", "granted": True}))
    assert (out["purpose"], out["channel"], out["granted"]) == ("proactive", "sms", True)
    ok(put(capi, path, {"purpose": "marketing", "granted": False, "source": "web form"}))
    got = [(c["purpose"], c["channel"], c["granted"], c["source"]) for c in ok(capi.get(path))]
    assert got == [("marketing", "*", False, "web form"), ("proactive", "sms", True, None)]


def test_only_a_changed_answer_is_a_story_event(capi: Api) -> None:
    cid = customer(capi, "s@example.com")
    path = f"/v1/customers/{cid}/consents"
    body = {"purpose": "proactive", "channel": "email", "granted": True}
    ok(put(capi, path, body))
    ok(put(capi, path, body))
    ok(put(capi, path, {**body, "granted": False}))
    capi.drain()
    items = ok(capi.get(f"/v1/customers/{cid}/story", params={"limit": 100}))["items"]
    changes = [e["payload"] for e in items if e["type"] == "consent.changed"]
    answers = [(p["before"], p["granted"]) for p in changes]
    assert len(answers) == 2 and set(answers) == {(None, True), (True, False)}


def test_an_unknown_purpose_is_refused_and_nothing_stored(capi: Api) -> None:
    cid = customer(capi, "u@example.com")
    path = f"/v1/customers/{cid}/consents"
    r = put(capi, path, {"purpose": "spam", "granted": True})
    assert r.status_code == 422, r.text
    assert r.json()["errors"][0]["field"] == "purpose"
    assert ok(capi.get(path)) == []
    nobody = put(capi, "/v1/customers/nobody/consents", {"purpose": "service", "granted": True})
    assert nobody.status_code == 404


def test_contact_preferences_are_set_field_by_field(capi: Api) -> None:
    cid = customer(capi, "p@example.com")
    path = f"/v1/customers/{cid}/contact-preferences"
    assert ok(capi.get(path)) is None
    ok(put(capi, path, {"preferred_channel": "sms", "timezone": "Europe/Berlin"}))
    out = ok(put(capi, path, {"language": "de"}))
    assert (out["preferred_channel"], out["language"], out["timezone"]) == (
        "sms",
        "de",
        "Europe/Berlin",
    )
    assert ok(capi.get(path))["language"] == "de"
    capi.drain()
    assert story_types(capi, cid).count("preferences.changed") == 2


def test_bad_preferences_are_refused(capi: Api) -> None:
    cid = customer(capi, "b@example.com")
    path = f"/v1/customers/{cid}/contact-preferences"
    r = put(capi, path, {"timezone": "Mars/Olympus"})
    assert r.status_code == 422, r.text
    assert r.json()["errors"][0]["field"] == "timezone"
    assert put(capi, path, {"shoe_size": 44}).status_code == 422
    assert ok(capi.get(path)) is None


def test_what_other_domains_read(capi: Api) -> None:
    cid = customer(capi, "r@example.com", preferred_channel="email")
    path = f"/v1/customers/{cid}/consents"
    ok(put(capi, path, {"purpose": "service", "granted": False}))
    ok(put(capi, path, {"purpose": "service", "channel": "email", "granted": True}))
    with capi.runtime.db.transaction() as s:
        # A channel's own answer wins over the answer for all channels.
        assert privacy.consented(s, [cid], "service", "email") is True
        assert privacy.consented(s, [cid], "service", "sms") is False
        # Without an answer: service messages may go, proactive outreach may not.
        assert privacy.consented(s, ["someone-else"], "service", "sms") is True
        assert privacy.consented(s, [cid], "proactive", "email") is False
        assert privacy.consent_answers(s, cid) == {
            ("service", "*"): False,
            ("service", "email"): True,
        }
        assert privacy.preferred_channel(s, ["someone-else", cid]) == "email"
        assert privacy.preferred_channel(s, ["someone-else"]) is None
    assert privacy.known_zone("Asia/Tokyo", "UTC") == "Asia/Tokyo"
    assert privacy.known_zone("Nowhere/Else", "Europe/Paris") == "Europe/Paris"
    assert privacy.known_zone(None, "") == "UTC"
