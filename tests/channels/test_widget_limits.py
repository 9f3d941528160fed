"""The public widget is rate limited per client and per visitor, and caps message size."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.conftest import Api, make_settings, open_api

LIMITS = {
    "widget_session": "3/minute",
    "widget_identify": "2/minute",
    "widget_messages": "3/minute",
    "widget_messages_client": "5/minute",
}


@pytest.fixture
def wapi(tmp_path: Path, sqlite_url: str) -> Iterator[Api]:
    settings = make_settings(tmp_path, sqlite_url, ai={"enabled": False}, limits=LIMITS)
    yield from open_api(settings)


def session(client: TestClient) -> Any:
    return client.post("/v1/widget/session", json={})


def send(client: TestClient, token: str, text: str = "Hello, where is my order?") -> Any:
    return client.post(
        "/v1/widget/messages", json={"text": text}, headers={"X-Widget-Token": token}
    )


def assert_throttled(r: Any) -> None:
    assert r.status_code == 429, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert 1 <= int(r.headers["retry-after"]) <= 60
    assert r.json()["retry_after"] == int(r.headers["retry-after"])


def test_anonymous_sessions_are_limited_per_client_address(wapi: Api) -> None:
    for _ in range(3):
        assert session(wapi.client).status_code == 200
    assert_throttled(session(wapi.client))
    # A forged X-Forwarded-For does not make a new client (no trusted proxies configured).
    assert_throttled(
        wapi.client.post("/v1/widget/session", json={}, headers={"X-Forwarded-For": "203.0.113.9"})
    )
    other = TestClient(wapi.client.app, client=("192.0.2.10", 5000))
    assert session(other).status_code == 200


def test_email_claims_are_limited_per_client_address(wapi: Api) -> None:
    token = session(wapi.client).json()["token"]
    for n in range(2):
        r = wapi.client.post(
            "/v1/widget/identify",
            json={"email": f"v{n}@example.com"},
            headers={"X-Widget-Token": token},
        )
        assert r.status_code == 200, r.text
    assert_throttled(
        wapi.client.post(
            "/v1/widget/identify",
            json={"email": "v9@example.com"},
            headers={"X-Widget-Token": token},
        )
    )


def test_messages_are_limited_per_visitor_and_per_client(wapi: Api) -> None:
    one = session(wapi.client).json()["token"]
    for _ in range(3):
        assert send(wapi.client, one).status_code == 201
    assert_throttled(send(wapi.client, one))
    # A second visitor from the same address has its own count, until the address's is used up.
    two = session(wapi.client).json()["token"]
    assert [send(wapi.client, two).status_code for _ in range(3)] == [201, 201, 429]


def test_an_oversized_widget_message_is_refused(wapi: Api) -> None:
    token = session(wapi.client).json()["token"]
    r = send(wapi.client, token, "x" * 19_000)
    assert r.status_code == 413, r.text
    assert r.json()["errors"][0]["field"] == "text"
    assert send(wapi.client, token, "a normal question about my bill").status_code == 201


def test_websocket_messages_count_against_the_same_limits(wapi: Api) -> None:
    token = session(wapi.client).json()["token"]
    with wapi.client.websocket_connect(f"/v1/widget/ws?token={token}") as ws:
        assert ws.receive_json()["type"] == "ready"
        answers = []
        for n in range(4):
            ws.send_json({"type": "message", "text": f"message {n}", "id": f"m{n}"})
            answers.append(ws.receive_json())
    assert [a["type"] for a in answers] == ["ack", "ack", "ack", "error"]
    assert answers[-1]["retry_after"] >= 1
