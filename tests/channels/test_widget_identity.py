"""An email typed into the widget is a claim: it reads and writes nothing of the customer who
owns the address until it is proven (host signature or a one-time code sent to it)."""

from __future__ import annotations

import hashlib
import hmac
import re
from email import message_from_bytes, policy
from typing import Any

from sqlalchemy import text

from tests.channels.conftest import WIDGET_SECRET, Channels, WsReader
from tests.conftest import event

ADA = "ada@example.com"
SECRET_TEXT = "Invoice INV-7731 for 120 GBP failed, card ending 4242"


def known_ada(chan: Channels) -> tuple[str, str]:
    """Ada, a customer with an open conversation holding something private."""
    r = chan.api.post("/v1/events", json=event(email=ADA, payload={"text": SECRET_TEXT}))
    assert r.status_code == 201, r.text
    chan.settle()
    customer_id = r.json()["customer_id"]
    convs = chan.api.get("/v1/conversations", params={"customer_id": customer_id}).json()
    return customer_id, convs["items"][0]["id"]


def host_signed(email: str) -> str:
    """What the brand's site computes (docs/channels.md): HMAC-SHA256(secret, "email:" + email)."""
    return hmac.new(WIDGET_SECRET.encode(), f"email:{email}".encode(), hashlib.sha256).hexdigest()


def tok(token: str) -> dict[str, str]:
    return {"X-Widget-Token": token}


def texts(chan: Channels, token: str) -> list[str]:
    r = chan.api.client.get("/v1/widget/messages", headers=tok(token))
    assert r.status_code == 200, r.text
    return [m["text"] for m in r.json()["items"]]


def code_mailed_to(chan: Channels, address: str) -> str:
    _sender, rcpts, raw = chan.mail.sent[-1]
    assert rcpts == [address]
    body = message_from_bytes(raw, policy=policy.default).get_body().get_content()  # type: ignore[union-attr]
    found = re.search(r"\b(\d{6})\b", body)
    assert found, body
    return found.group(1)


def test_email_claim_sees_no_history_until_the_code_is_entered(chan: Channels) -> None:
    c = chan.api.client
    ada_id, ada_conv = known_ada(chan)

    # Someone types Ada's email into the widget: a fresh session of their own.
    s = c.post("/v1/widget/session", json={"email": ADA}).json()
    assert s["customer_id"] != ada_id and s["conversation_id"] is None
    token = s["token"]
    assert texts(chan, token) == []
    assert s["verified"] is False and s["claimed_email"] == ADA

    # What they write stays on their own record, not in Ada's conversation.
    r = c.post("/v1/widget/messages", json={"text": "hi, what did I order?"}, headers=tok(token))
    assert r.status_code == 201, r.text
    visitor_id = r.json()["customer_id"]
    assert visitor_id != ada_id
    chan.settle()
    ada_msgs = chan.api.get(f"/v1/conversations/{ada_conv}").json()["messages"]
    assert [m["text"] for m in ada_msgs] == [SECRET_TEXT]
    assert texts(chan, token) == ["hi, what did I order?"]

    # The identify call is a claim too.
    anon = c.post("/v1/widget/session", json={}).json()["token"]
    ident = c.post("/v1/widget/identify", json={"email": ADA}, headers=tok(anon)).json()
    assert texts(chan, ident["token"]) == []
    assert ident["verified"] is False

    # Live: an agent's reply to Ada never reaches the claimant's socket; their own reply does.
    visitor_conv = chan.api.get("/v1/conversations", params={"customer_id": visitor_id}).json()
    with c.websocket_connect(f"/v1/widget/ws?token={token}") as ws:
        live = WsReader(ws)
        ready = live.until(lambda m: m["type"] == "ready")
        assert ready["customer_id"] == visitor_id
        r = chan.api.post(f"/v1/conversations/{ada_conv}/reply", json={"text": "Ada: refund sent"})
        assert r.status_code == 202, r.text
        r = chan.api.post(
            f"/v1/conversations/{visitor_conv['items'][0]['id']}/reply",
            json={"text": "Who am I speaking to?"},
        )
        assert r.status_code == 202, r.text
        got = live.until(lambda m: m["type"] == "message")
        assert got["message"]["text"] == "Who am I speaking to?"

    # The agent sees the claim as unverified on the visitor's record.
    claims = chan.api.get("/v1/channels/widget/claims", params={"customer_id": visitor_id}).json()
    assert [(i["email"], i["verified"]) for i in claims["items"]] == [(ADA, False)]

    # Proof: a code mailed to the address. A wrong code is refused and counted.
    r = c.post("/v1/widget/verify/start", json={}, headers=tok(token))
    assert r.status_code == 202, r.text
    token = r.json()["token"]
    code = code_mailed_to(chan, ADA)
    wrong = "000000" if code != "000000" else "111111"
    r = c.post("/v1/widget/verify", json={"code": wrong}, headers=tok(token))
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "code"
    assert SECRET_TEXT not in texts(chan, token)
    r = c.post("/v1/widget/verify", json={"code": code}, headers=tok(token))
    assert r.status_code == 200, r.text
    assert r.json()["verified"] is True and r.json()["customer_id"] == ada_id
    verified = r.json()["token"]

    # Now the history appears, with what they wrote before proving it.
    seen = texts(chan, verified)
    assert SECRET_TEXT in seen and "hi, what did I order?" in seen
    chan.settle()
    claims = chan.api.get("/v1/channels/widget/claims", params={"customer_id": ada_id}).json()
    assert [(i["email"], i["verified"]) for i in claims["items"]] == [(ADA, True)]
    # The code was single-use.
    r = c.post("/v1/widget/verify", json={"code": code}, headers=tok(token))
    assert r.status_code == 409


def test_codes_are_hashed_limited_and_expire(chan: Channels) -> None:
    c = chan.api.client
    known_ada(chan)
    token = c.post("/v1/widget/session", json={"email": ADA}).json()["token"]
    token = c.post("/v1/widget/verify/start", json={}, headers=tok(token)).json()["token"]
    code = code_mailed_to(chan, ADA)
    with chan.api.runtime.db.transaction() as s:
        rows = s.execute(text("SELECT * FROM widget_claims")).all()
    assert len(rows) == 1
    assert not any(code in str(value) for value in rows[0]), "the code is stored in clear"

    attempts = chan.api.runtime.settings.channels.widget_code_attempts
    wrong = "000000" if code != "000000" else "111111"
    answers = [
        c.post("/v1/widget/verify", json={"code": wrong}, headers=tok(token)).status_code
        for _ in range(attempts)
    ]
    assert answers == [422] * (attempts - 1) + [403]
    # The right code no longer works: it was voided by the guesses.
    r = c.post("/v1/widget/verify", json={"code": code}, headers=tok(token))
    assert r.status_code == 409
    assert texts(chan, token) == []

    # A code that has outlived its validity is refused.
    chan.api.runtime.settings.channels.widget_code_minutes = 0
    token = c.post("/v1/widget/verify/start", json={}, headers=tok(token)).json()["token"]
    r = c.post("/v1/widget/verify", json={"code": code_mailed_to(chan, ADA)}, headers=tok(token))
    assert r.status_code == 422 and "expired" in r.text
    assert texts(chan, token) == []


def test_host_signed_email_counts_as_verified(chan: Channels) -> None:
    c = chan.api.client
    ada_id, _conv = known_ada(chan)
    r = c.post("/v1/widget/session", json={"email": ADA, "email_hash": "ab" * 32})
    assert r.status_code == 403 and r.json()["errors"][0]["field"] == "email_hash"
    s: dict[str, Any] = c.post(
        "/v1/widget/session", json={"email": ADA, "email_hash": host_signed(ADA)}
    ).json()
    assert s["verified"] is True and s["customer_id"] == ada_id
    assert texts(chan, s["token"]) == [SECRET_TEXT]
