"""Signature checks with known vectors; forged and replayed webhooks."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import pytest
from starlette.websockets import WebSocketDisconnect

from onestory.channels.inbound import sign_body
from onestory.channels.twilio import signature, signature_ok
from onestory.channels.widget import user_hash
from onestory.kit.jsonutil import dumpb
from tests.channels.conftest import BASE, TWILIO_TOKEN, WEBHOOK_SECRET, WIDGET_SECRET, Channels
from tests.channels.test_scenario import twilio_post

# Twilio's documented example: auth token 12345, this URL and these POST parameters.
TWILIO_URL = "https://mycompany.com/myapp.php?foo=1&bar=2"
TWILIO_PARAMS = {
    "CallSid": "CA1234567890ABCDE",
    "Caller": "+12349013030",
    "Digits": "1234",
    "From": "+12349013030",
    "To": "+18005551212",
}


def test_twilio_signature_known_vector() -> None:
    assert signature("12345", TWILIO_URL, TWILIO_PARAMS) == "0/KCTR6DLpKmkAf8muzZqo1nDgQ="
    assert signature_ok("12345", TWILIO_URL, TWILIO_PARAMS, "0/KCTR6DLpKmkAf8muzZqo1nDgQ=")
    assert not signature_ok(
        "12345", TWILIO_URL, {**TWILIO_PARAMS, "Digits": "1235"}, "0/KCTR6DLpKmkAf8muzZqo1nDgQ="
    )
    assert not signature_ok("54321", TWILIO_URL, TWILIO_PARAMS, "0/KCTR6DLpKmkAf8muzZqo1nDgQ=")
    assert not signature_ok("", TWILIO_URL, TWILIO_PARAMS, "")


def test_widget_hmac_known_vector() -> None:
    # echo -n user-42 | openssl dgst -sha256 -hmac s3cr3t-widget-key
    assert (
        user_hash("s3cr3t-widget-key", "user-42")
        == "19581adb60e236f720600a1fa8b8795dc4677de30b1ded7fd3607ee8ace93386"
    )


def sms_params(sid: str, body: str = "hello") -> dict[str, str]:
    return {"MessageSid": sid, "From": "+447911123456", "To": "+15550001111", "Body": body}


def test_forged_and_replayed_twilio_webhooks(chan: Channels) -> None:
    api = chan.api
    path = "/v1/channels/twilio/messages"
    params = sms_params("SM" + "1" * 32, "Where is my parcel?")
    forged = signature("not-the-token", f"{BASE}{path}", params)
    r = api.client.post(
        path,
        content=urlencode(params),
        headers={"Content-Type": "application/x-www-form-urlencoded", "X-Twilio-Signature": forged},
    )
    assert r.status_code == 403
    assert r.headers["content-type"].startswith("application/problem+json")
    assert "X-Twilio-Signature" in r.json()["detail"]
    # No signature at all.
    r = api.client.post(path, data=params)
    assert r.status_code == 403
    # Signed for other parameters (a tampered body).
    good = signature(TWILIO_TOKEN, f"{BASE}{path}", params)
    tampered = {**params, "Body": "Refund me 1000"}
    r = api.client.post(
        path,
        content=urlencode(tampered),
        headers={"Content-Type": "application/x-www-form-urlencoded", "X-Twilio-Signature": good},
    )
    assert r.status_code == 403
    # The real one, twice: recorded once.
    first = twilio_post(chan, path, params)
    assert first.status_code == 200, first.text
    assert first.headers["X-OneStory-Duplicate"] == "false"
    again = twilio_post(chan, path, params)
    assert again.status_code == 200
    assert again.headers["X-OneStory-Duplicate"] == "true"
    assert again.headers["X-OneStory-Event"] == first.headers["X-OneStory-Event"]
    chan.settle()
    convs = api.get("/v1/conversations", params={"channel": "sms"}).json()
    assert convs["total"] == 1
    assert convs["items"][0]["message_count"] == 1
    # A WhatsApp message from the same number joins the same thread.
    wa = {**sms_params("SM" + "2" * 32, "also on whatsapp"), "From": "whatsapp:+447911123456"}
    assert twilio_post(chan, path, wa).status_code == 200
    chan.settle()
    conv = api.get(f"/v1/conversations/{convs['items'][0]['id']}").json()
    assert [m["channel"] for m in conv["messages"]] == ["sms", "whatsapp"]


def test_widget_rejects_bad_hmac_and_bad_tokens(chan: Channels) -> None:
    c = chan.api.client
    r = c.post("/v1/widget/session", json={"user_id": "user-42", "user_hash": "00" * 32})
    assert r.status_code == 403
    assert r.json()["errors"][0]["field"] == "user_hash"
    r = c.post("/v1/widget/session", json={"user_id": "user-42"})
    assert r.status_code == 403
    r = c.post("/v1/widget/session", json={"user_hash": user_hash(WIDGET_SECRET, "user-42")})
    assert r.status_code == 422
    ok = c.post(
        "/v1/widget/session",
        json={"user_id": "user-42", "user_hash": user_hash(WIDGET_SECRET, "user-42")},
    )
    assert ok.status_code == 200, ok.text
    assert ok.json()["identified"] is True
    token = ok.json()["token"]
    # A token with a changed payload or signature is refused, over HTTP and WebSocket.
    head, body, sig = token.split(".")
    for bad in (f"{head}.{body}x.{sig}", f"{head}.{body}.{sig[:-2]}AA", "garbage"):
        r = c.post("/v1/widget/messages", json={"text": "hi"}, headers={"X-Widget-Token": bad})
        assert r.status_code == 401, bad
        with (
            pytest.raises(WebSocketDisconnect) as closed,
            c.websocket_connect(f"/v1/widget/ws?token={bad}") as ws,
        ):
            ws.receive_json()
        assert closed.value.code == 4401
    # The signed user's messages carry their external id; a replayed client id is not doubled.
    for _ in range(2):
        r = c.post(
            "/v1/widget/messages",
            json={"text": "hello there", "id": "c-1"},
            headers={"X-Widget-Token": token},
        )
        assert r.status_code == 201, r.text
    assert r.json()["duplicate"] is True
    chan.settle()
    story = chan.api.get(f"/v1/customers/{r.json()['customer_id']}").json()
    assert any(i.get("kind") == "ext.web" for i in story.get("identities", [])), story
    hist = c.get("/v1/widget/messages", headers={"X-Widget-Token": token}).json()
    assert [m["text"] for m in hist["items"]] == ["hello there"]


def post_signed(chan: Channels, path: str, body: dict[str, Any], secret: str) -> Any:
    raw = dumpb(body)
    return chan.api.client.post(
        path,
        content=raw,
        headers={
            "Content-Type": "application/json",
            "X-OneStory-Signature": sign_body(secret, raw),
        },
    )


def test_webhook_secret_and_api_key_guard_voice_social_app(chan: Channels) -> None:
    post = {
        "id": "tw-1",
        "handle": "ada_l",
        "text": "Your app is down again",
        "occurred_at": "2026-11-25T10:00:00Z",
    }
    assert post_signed(chan, "/v1/channels/social/x", post, "wrong").status_code == 403
    assert chan.api.client.post("/v1/channels/social/x", json=post).status_code == 401
    r = post_signed(chan, "/v1/channels/social/x", post, WEBHOOK_SECRET)
    assert r.status_code == 201, r.text
    again = post_signed(chan, "/v1/channels/social/x", post, WEBHOOK_SECRET)
    assert again.status_code == 200 and again.json()["duplicate"] is True
    weak = chan.api.new_key(["customers:read"])
    r = chan.api.client.post(
        "/v1/channels/app/messages",
        json={
            "message_id": "a1",
            "customer": {"email": "z@example.com"},
            "text": "hi",
            "occurred_at": "2026-11-25T10:00:00Z",
        },
        headers={"Authorization": f"Bearer {weak}"},
    )
    assert r.status_code == 403
    r = chan.api.post(
        "/v1/channels/app/messages",
        json={
            "message_id": "a1",
            "customer": {"email": "z@example.com"},
            "text": "hi",
            "occurred_at": "2026-11-25T10:00:00Z",
        },
    )
    assert r.status_code == 201, r.text
    bad = chan.api.post(
        "/v1/channels/voice/events",
        json={
            "call_id": "c",
            "event": "transcript",
            "occurred_at": "2026-11-25T10:00:00Z",
            "customer": {"phone": "+447911123456"},
        },
    )
    assert bad.status_code == 422
    assert "segments" in bad.text
