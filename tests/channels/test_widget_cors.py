"""A brand's own site may embed the widget: CORS on /v1/widget/* for the allowed origins only
(a setting plus an admin API), and the widget WebSocket checks the Origin the same way."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.websockets import WebSocketDisconnect

from tests.channels.conftest import Channels, WsReader, channel_settings
from tests.conftest import make_settings, open_api

SHOP = "https://shop.brand.example"
CONFIGURED = "http://localhost:5173"
EVIL = "https://evil.example"


@pytest.fixture
def chan_origins(tmp_path: Path, database_url: str) -> Iterator[Channels]:
    channels = channel_settings().model_copy(update={"widget_origins": [CONFIGURED]})
    for api in open_api(make_settings(tmp_path, database_url, channels=channels)):
        yield Channels(api)


def preflight(chan: Channels, path: str, origin: str) -> object:
    return chan.api.client.options(
        path,
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type,x-widget-token",
        },
    )


def test_cors_only_for_allowed_origins_and_only_on_widget_routes(chan_origins: Channels) -> None:
    chan = chan_origins
    c = chan.api.client
    # Before the brand allows its shop, the preflight is refused without CORS headers.
    r = preflight(chan, "/v1/widget/session", SHOP)
    assert r.status_code == 403  # type: ignore[attr-defined]
    assert "access-control-allow-origin" not in r.headers  # type: ignore[attr-defined]

    # An admin allows it at run time (stored, no restart).
    weak = chan.api.new_key(["customers:read"])
    r = c.put(
        "/v1/channels/widget/origins",
        json={"origins": [SHOP]},
        headers={"Authorization": f"Bearer {weak}"},
    )
    assert r.status_code == 403
    r = chan.api.client.put(
        "/v1/channels/widget/origins",
        json={"origins": ["not an origin"]},
        headers={"Authorization": f"Bearer {chan.api.key}"},
    )
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "origins.0"
    r = c.put(
        "/v1/channels/widget/origins",
        json={"origins": [SHOP + "/", SHOP.upper()]},
        headers={"Authorization": f"Bearer {chan.api.key}"},
    )
    assert r.status_code == 200, r.text
    # Normalised: a pasted trailing slash or capitals are the same origin.
    assert r.json() == {
        "configured": [CONFIGURED],
        "stored": [SHOP],
        "allowed": sorted([CONFIGURED, SHOP]),
    }
    assert chan.api.get("/v1/channels/widget/origins").json()["allowed"] == sorted(
        [CONFIGURED, SHOP]
    )

    for origin in (SHOP, CONFIGURED):
        r = preflight(chan, "/v1/widget/session", origin)
        assert r.status_code == 204, r.text  # type: ignore[attr-defined]
        h = r.headers  # type: ignore[attr-defined]
        assert h["access-control-allow-origin"] == origin
        assert "x-widget-token" in h["access-control-allow-headers"].lower()
        assert "POST" in h["access-control-allow-methods"]
        s = c.post("/v1/widget/session", json={}, headers={"Origin": origin})
        assert s.status_code == 200, s.text
        assert s.headers["access-control-allow-origin"] == origin
        m = c.post(
            "/v1/widget/messages",
            json={"text": "hello from the shop"},
            headers={"Origin": origin, "X-Widget-Token": s.json()["token"]},
        )
        assert m.status_code == 201, m.text
        assert m.headers["access-control-allow-origin"] == origin

    # Another origin gets nothing: no CORS headers, and the call is refused.
    r = preflight(chan, "/v1/widget/session", EVIL)
    assert "access-control-allow-origin" not in r.headers  # type: ignore[attr-defined]
    r = c.post("/v1/widget/session", json={}, headers={"Origin": EVIL})
    assert r.status_code == 403
    assert "access-control-allow-origin" not in r.headers
    assert r.headers["content-type"].startswith("application/problem+json")

    # CORS is for the widget only: the agent API stays same-origin, even for the shop.
    r = preflight(chan, "/v1/customers", SHOP)
    assert "access-control-allow-origin" not in r.headers  # type: ignore[attr-defined]
    r = c.get(
        "/v1/customers",
        headers={"Origin": SHOP, "Authorization": f"Bearer {chan.api.key}"},
    )
    assert "access-control-allow-origin" not in r.headers

    # Removing the origin takes effect at once in this process.
    r = c.put(
        "/v1/channels/widget/origins",
        json={"origins": []},
        headers={"Authorization": f"Bearer {chan.api.key}"},
    )
    assert r.json()["stored"] == []
    assert preflight(chan, "/v1/widget/session", SHOP).status_code == 403  # type: ignore[attr-defined]


def test_widget_websocket_checks_the_origin(chan_origins: Channels) -> None:
    c = chan_origins.api.client
    token = c.post("/v1/widget/session", json={}).json()["token"]
    with (
        pytest.raises(WebSocketDisconnect) as closed,
        c.websocket_connect(f"/v1/widget/ws?token={token}", headers={"Origin": EVIL}) as ws,
    ):
        ws.receive_json()
    assert closed.value.code == 4403
    for origin in (CONFIGURED, "http://testserver"):
        with c.websocket_connect(f"/v1/widget/ws?token={token}", headers={"Origin": origin}) as ws:
            assert WsReader(ws).until(lambda m: m["type"] == "ready")["visitor_id"]
