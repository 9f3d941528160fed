"""The actor of every conversation action is the authenticated caller, never the body."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.conftest import Api, event
from tests.web.conftest import make_user, page_csrf, sign_in


def open_conversation(api: Api) -> dict[str, Any]:
    rec = api.post("/v1/events", json=event(payload={"text": "My invoice is wrong"})).json()
    api.drain()
    [conv] = api.get("/v1/conversations", params={"customer_id": rec["customer_id"]}).json()[
        "items"
    ]
    out: dict[str, Any] = conv
    return out


def fields(r: Any) -> list[str]:
    return [e["field"] for e in r.json().get("errors", [])]


def last_message(api: Api, conv_id: str) -> dict[str, Any]:
    api.drain()
    msg: dict[str, Any] = api.get(f"/v1/conversations/{conv_id}").json()["messages"][-1]
    return msg


def test_a_reply_cannot_name_another_author(api: Api) -> None:
    conv = open_conversation(api)
    url = f"/v1/conversations/{conv['id']}/reply"
    # A key claiming to be Sue is refused, naming the field; nothing is stored as Sue.
    r = api.post(url, json={"text": "Refund approved", "author": "system", "author_id": "sue"})
    assert r.status_code == 422, r.text
    assert fields(r) == ["author_id"]
    assert api.post(url, json={"text": "Looking into it"}).status_code == 202
    msg = last_message(api, conv["id"])
    assert msg["text"] == "Looking into it"
    assert (msg["author"], msg["author_id"]) == ("agent", "key:admin")


def test_a_signed_in_agent_replies_as_themselves_only(api: Api) -> None:
    conv = open_conversation(api)
    make_user(api, "amy", "agent")
    browser = TestClient(api.client.app)
    assert sign_in(browser, "amy").status_code == 303
    csrf = {"X-CSRF-Token": page_csrf(browser)}
    url = f"/v1/conversations/{conv['id']}/reply"
    r = browser.post(url, json={"text": "x", "author": "system"}, headers=csrf)
    assert r.status_code == 422 and fields(r) == ["author"], r.text
    r = browser.post(url, json={"text": "x", "author_id": "sue"}, headers=csrf)
    assert r.status_code == 422 and fields(r) == ["author_id"], r.text
    assert browser.post(url, json={"text": "Happy to help"}, headers=csrf).status_code == 202
    msg = last_message(api, conv["id"])
    assert (msg["author"], msg["author_id"], msg["text"]) == ("agent", "amy", "Happy to help")


def test_a_transfer_is_recorded_as_the_caller(api: Api) -> None:
    conv = open_conversation(api)
    url = f"/v1/conversations/{conv['id']}/transfer"
    r = api.post(url, json={"to_queue": "billing", "reason": "r", "by": "sue"})
    assert r.status_code == 422 and fields(r) == ["by"], r.text
    r = api.post(url, json={"to_queue": "billing", "reason": "customer asked for billing"})
    assert r.status_code == 200, r.text
    note = r.json()["notes"][-1]
    assert note["who"] == "key:admin" and note["kind"] == "team"


def test_assigning_needs_a_user_who_takes_conversations(api: Api) -> None:
    conv = open_conversation(api)
    make_user(api, "amy", "agent")
    make_user(api, "tom", "technician")
    assign = f"/v1/conversations/{conv['id']}/assign"
    for nobody in ("ghost", "tom"):
        r = api.post(assign, json={"assignee": nobody})
        assert r.status_code == 422 and fields(r) == ["assignee"], r.text
    r = api.post(
        f"/v1/conversations/{conv['id']}/transfer", json={"to_assignee": "ghost", "reason": "r"}
    )
    assert r.status_code == 422 and fields(r) == ["to_assignee"], r.text
    assert api.get(f"/v1/conversations/{conv['id']}").json()["assignee"] is None
    r = api.post(assign, json={"assignee": "AMY"})
    assert r.status_code == 200 and r.json()["assignee"] == "amy", r.text
    r = api.post(assign, json={"assignee": ""})
    assert r.status_code == 200 and r.json()["assignee"] is None
