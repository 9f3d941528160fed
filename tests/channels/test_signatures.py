"""Signature checks with known vectors; forged and replayed webhooks."""

from __future__ import annotations

import hashlib
import hmac
import os
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from starlette.websockets import WebSocketDisconnect
from typer.testing import CliRunner

from onestory.channels.twilio import signature, signature_ok
from onestory.channels.widget import user_hash
from onestory.cli.main import app as cli
from onestory.config import Settings, get_settings, with_generated_secrets
from onestory.kit import signing
from onestory.kit.jsonutil import dumpb
from tests.channels.conftest import BASE, TWILIO_TOKEN, WEBHOOK_SECRET, WIDGET_SECRET, Channels
from tests.channels.test_scenario import twilio_post
from tests.conftest import open_api

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


def post_signed(
    chan: Channels,
    path: str,
    body: dict[str, Any],
    secret: str,
    *,
    signed_for: str | None = None,
    age_seconds: int = 0,
) -> Any:
    """POST ``body`` to ``path`` signed as documented (for ``signed_for``, ``age_seconds`` ago)."""
    raw = dumpb(body)
    now = chan.api.runtime.clock.now() - timedelta(seconds=age_seconds)
    headers = signing.sign_headers(secret, "POST", signed_for or path, raw, now)
    return chan.api.client.post(
        path, content=raw, headers={"Content-Type": "application/json", **headers}
    )


def test_webhook_secret_and_api_key_guard_voice_social_app(chan: Channels) -> None:
    post = {
        "id": "tw-1",
        "handle": "ada_l",
        "text": "Your app is down again",
        "occurred_at": "2026-11-25T10:00:00Z",
    }
    assert post_signed(chan, "/v1/channels/social/x", post, "wrong").status_code == 401
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


SOCIAL_POST = {
    "id": "tw-77",
    "handle": "ada_l",
    "text": "Still no refund",
    "occurred_at": "2026-11-25T10:00:00Z",
}


def test_a_webhook_signed_for_one_route_is_refused_at_another(chan: Channels) -> None:
    # Signed for Twitter, sent to Facebook: the method and path are under the MAC.
    r = post_signed(
        chan,
        "/v1/channels/social/facebook",
        SOCIAL_POST,
        WEBHOOK_SECRET,
        signed_for="/v1/channels/social/twitter",
    )
    assert r.status_code == 401, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert "does not match" in r.json()["detail"]
    assert r.json()["errors"][0]["field"] == "X-OneStory-Signature"
    # The old body-only signature (no timestamp, no route) is no longer enough anywhere.
    raw = dumpb(SOCIAL_POST)
    body_only = "sha256=" + hmac.new(WEBHOOK_SECRET.encode(), raw, hashlib.sha256).hexdigest()
    r = chan.api.client.post(
        "/v1/channels/social/facebook",
        content=raw,
        headers={"Content-Type": "application/json", "X-OneStory-Signature": body_only},
    )
    assert r.status_code == 401, r.text
    assert "X-OneStory-Timestamp" in r.json()["detail"]
    chan.settle()
    assert chan.api.get("/v1/conversations", params={"channel": "social"}).json()["total"] == 0
    # Signed for the route it is sent to: accepted.
    r = post_signed(chan, "/v1/channels/social/twitter", SOCIAL_POST, WEBHOOK_SECRET)
    assert r.status_code == 201, r.text


def test_a_stale_or_future_signature_is_refused_and_a_fresh_replay_is_a_duplicate(
    chan: Channels,
) -> None:
    path = "/v1/channels/social/twitter"
    stale = post_signed(chan, path, SOCIAL_POST, WEBHOOK_SECRET, age_seconds=301)
    assert stale.status_code == 401, stale.text
    assert "stale" in stale.json()["detail"] and "300 s" in stale.json()["detail"]
    assert stale.json()["errors"][0]["field"] == "X-OneStory-Timestamp"
    future = post_signed(chan, path, SOCIAL_POST, WEBHOOK_SECRET, age_seconds=-301)
    assert future.status_code == 401 and "future" in future.json()["detail"]
    raw = dumpb(SOCIAL_POST)
    headers = signing.sign_headers(WEBHOOK_SECRET, "POST", path, raw, chan.api.runtime.clock.now())
    no_ts = {"X-OneStory-Signature": headers["X-OneStory-Signature"]}
    r = chan.api.client.post(path, content=raw, headers=no_ts)
    assert r.status_code == 401 and "X-OneStory-Timestamp" in r.json()["detail"]
    # Inside the window the very same signed request is accepted once, then a duplicate.
    first = chan.api.client.post(path, content=raw, headers=headers)
    assert first.status_code == 201, first.text
    again = chan.api.client.post(path, content=raw, headers=headers)
    assert again.status_code == 200 and again.json()["duplicate"] is True
    late = post_signed(chan, path, SOCIAL_POST, WEBHOOK_SECRET, age_seconds=299)
    assert late.status_code == 200 and late.json()["duplicate"] is True
    chan.settle()
    convs = chan.api.get("/v1/conversations", params={"channel": "social"}).json()
    assert convs["total"] == 1 and convs["items"][0]["message_count"] == 1


def test_a_twilio_signature_covers_the_path(chan: Channels) -> None:
    params = sms_params("SM" + "7" * 32, "Where is my parcel?")
    other = signature(TWILIO_TOKEN, f"{BASE}/v1/channels/twilio/status", params)
    r = chan.api.client.post(
        "/v1/channels/twilio/messages",
        content=urlencode(params),
        headers={"Content-Type": "application/x-www-form-urlencoded", "X-Twilio-Signature": other},
    )
    assert r.status_code == 403, r.text
    assert twilio_post(chan, "/v1/channels/twilio/messages", params).status_code == 200


def test_signing_known_vector() -> None:
    # printf '1764064800.POST /v1/channels/social/x.{}' | openssl dgst -sha256 -hmac k
    assert signing.signature("k", 1764064800, "post", "/v1/channels/social/x", b"{}") == (
        "v1=d8d07f32e5ef646f8db70d0009f36093e02e0a7d97c107495f741f6598c7f2e7"
    )


def test_secrets_are_generated_once_in_data_dir_and_the_cli_signs_with_them(
    tmp_path: Path, sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    for k in list(os.environ):
        if k.startswith("ONESTORY_"):
            monkeypatch.delenv(k)
    monkeypatch.setenv("ONESTORY_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("ONESTORY_DATABASE_URL", sqlite_url)
    monkeypatch.setenv("ONESTORY_AI__ENABLED", "false")
    get_settings.cache_clear()
    try:
        for api in open_api(Settings()):
            channels = api.runtime.settings.channels
            secret = (tmp_path / "var" / "webhook_secret").read_text().strip()
            widget = (tmp_path / "var" / "widget_secret").read_text().strip()
            assert len(secret) >= 32 and channels.webhook_secret == secret
            assert len(widget) >= 32 and channels.widget_secret == widget
            # What the CLI prints is what the running server accepts.
            body = tmp_path / "post.json"
            body.write_bytes(dumpb(SOCIAL_POST))
            out = CliRunner().invoke(
                cli, ["channels", "sign-webhook", "/v1/channels/social/x", "--body", str(body)]
            )
            assert out.exit_code == 0, out.output
            headers = dict(line.split(": ", 1) for line in out.output.strip().splitlines())
            assert headers["X-OneStory-Signature"].startswith("v1=")
            r = api.client.post("/v1/channels/social/x", content=body.read_bytes(), headers=headers)
            assert r.status_code == 201, r.text
            out = CliRunner().invoke(cli, ["channels", "sign-user", "user-42"])
            assert out.output.strip() == user_hash(widget, "user-42")
        # A restart keeps them: signed integrations and host sites keep working.
        for api in open_api(Settings()):
            assert api.runtime.settings.channels.webhook_secret == secret
            assert api.runtime.settings.channels.widget_secret == widget
        # An explicit setting still wins.
        monkeypatch.setenv("ONESTORY_CHANNELS__WEBHOOK_SECRET", "explicit")
        assert with_generated_secrets(Settings()).channels.webhook_secret == "explicit"
    finally:
        get_settings.cache_clear()
