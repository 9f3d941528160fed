"""Sign-in, session cookies, CSRF, sign-out and role-based access, through the real app."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from onestory.app import create_app
from onestory.kit.clock import SystemClock
from onestory.users import service
from onestory.web.sessions import SESSION_COOKIE
from tests.conftest import Api, event, make_settings
from tests.web.conftest import PASSWORD, make_user, page_csrf, sign_in


def test_sign_in_sets_a_locked_down_cookie_and_lands_on_the_role_home(api: Api) -> None:
    make_user(api, "Ann", "agent")
    res = sign_in(api.client, "ann")  # usernames are case-insensitive
    assert res.status_code == 303
    assert res.headers["location"] == "/desktop"
    cookie = next(c for c in res.headers.get_list("set-cookie") if c.startswith(SESSION_COOKIE))
    assert "HttpOnly" in cookie
    assert "samesite=lax" in cookie.lower()
    assert "Secure" not in cookie  # base_url is http here
    assert api.client.get("/desktop").status_code == 200


def test_wrong_password_and_unknown_user_look_the_same(api: Api) -> None:
    make_user(api, "ann", "agent")
    wrong = sign_in(api.client, "ann", "not the password")
    unknown = sign_in(api.client, "nobody", "not the password")
    assert wrong.status_code == unknown.status_code == 401
    assert "Wrong username or password" in wrong.text
    assert SESSION_COOKIE not in api.client.cookies


def test_sign_in_form_needs_its_csrf_token(api: Api) -> None:
    make_user(api, "ann", "agent")
    api.client.get("/login")
    res = api.client.post(
        "/login",
        data={"username": "ann", "password": PASSWORD, "csrf_token": "forged"},
        follow_redirects=False,
    )
    assert res.status_code == 403
    assert SESSION_COOKIE not in api.client.cookies


def test_next_only_redirects_within_the_site(api: Api) -> None:
    make_user(api, "ann", "agent")
    assert api.client.get("/search?q=x", follow_redirects=False).headers["location"] == (
        "/login?next=/search%3Fq%3Dx"
    )
    token = api.client.get("/login").text.split('name="csrf_token" value="')[1].split('"')[0]
    res = api.client.post(
        "/login",
        data={"username": "ann", "password": PASSWORD, "csrf_token": token, "next": "//evil.test"},
        follow_redirects=False,
    )
    assert res.headers["location"] == "/desktop"


def test_https_base_url_makes_the_cookie_secure(tmp_path: Path, sqlite_url: str) -> None:
    settings = make_settings(tmp_path, sqlite_url, base_url="https://cx.example.com")
    with TestClient(create_app(settings), base_url="https://testserver") as client:
        rt = client.app.state.runtime  # type: ignore[attr-defined]
        with rt.db.transaction(write=True) as s:
            service.create_user(s, "ann", PASSWORD, "agent", clock=SystemClock())
        res = sign_in(client, "ann")
        cookie = next(c for c in res.headers.get_list("set-cookie") if SESSION_COOKIE in c)
        assert "Secure" in cookie


def test_the_api_accepts_the_session_and_checks_csrf_on_writes(api: Api) -> None:
    api.post("/v1/events", json=event())
    api.drain()
    make_user(api, "root", "admin")
    sign_in(api.client, "root")
    found = api.client.get("/v1/customers", params={"q": "ada@example.com"})
    assert found.status_code == 200
    assert len(found.json()["items"]) == 1
    # An unsafe method without the page's token is refused before the endpoint runs...
    no_token = api.client.post("/v1/customers/merges/mrg_nope/unmerge")
    assert no_token.status_code == 403
    assert "CSRF" in no_token.json()["detail"]
    # ...and with it, the request reaches the endpoint (which finds no such merge).
    token = page_csrf(api.client)
    ok = api.client.post("/v1/customers/merges/mrg_nope/unmerge", headers={"X-CSRF-Token": token})
    assert ok.status_code == 404


def test_a_tampered_cookie_is_not_a_session(api: Api) -> None:
    make_user(api, "ann", "agent")
    sign_in(api.client, "ann")
    value = api.client.cookies[SESSION_COOKIE]
    api.client.cookies.clear()
    tampered = ("y" if value[0] == "x" else "x") + value[1:]  # always a different value
    api.client.cookies.set(SESSION_COOKIE, tampered)
    assert api.client.get("/v1/customers", params={"q": "a"}).status_code == 401
    assert api.client.get("/desktop", follow_redirects=False).status_code == 303


def test_roles_limit_pages_and_api_scopes(api: Api) -> None:
    make_user(api, "tech", "technician")
    make_user(api, "sup", "supervisor")
    sign_in(api.client, "tech")
    assert api.client.get("/supervisor").status_code == 403
    assert api.client.get("/tasks").status_code == 200
    assert api.client.get("/v1/dashboard").status_code == 403
    api.client.cookies.clear()
    res = sign_in(api.client, "sup")
    assert res.headers["location"] == "/supervisor"
    assert api.client.get("/v1/dashboard").status_code == 200


def test_sign_out_ends_the_session_everywhere(api: Api) -> None:
    make_user(api, "ann", "agent")
    sign_in(api.client, "ann")
    stolen = api.client.cookies[SESSION_COOKIE]
    # Sign-out is a form POST: it needs the page's CSRF token too.
    assert api.client.post("/logout", data={"csrf_token": "nope"}).status_code == 403
    token = page_csrf(api.client)
    res = api.client.post("/logout", data={"csrf_token": token}, follow_redirects=False)
    assert res.headers["location"] == "/login"
    api.client.cookies.clear()
    api.client.cookies.set(SESSION_COOKIE, stolen)
    assert api.client.get("/v1/customers", params={"q": "a"}).status_code == 401


def test_disabling_a_user_signs_them_out(api: Api) -> None:
    make_user(api, "ann", "agent")
    sign_in(api.client, "ann")
    with api.runtime.db.transaction(write=True) as s:
        service.disable_user(s, "ann", clock=api.runtime.clock)
    assert api.client.get("/v1/customers", params={"q": "a"}).status_code == 401
    assert sign_in(api.client, "ann").status_code == 401


def test_live_websocket_accepts_the_session_from_our_own_origin(api: Api) -> None:
    make_user(api, "ann", "agent")
    sign_in(api.client, "ann")
    with api.client.websocket_connect("/v1/live?all=true") as ws:
        assert ws.receive_json()["kind"] == "subscribed"
        api.post("/v1/events", json=event())
        assert ws.receive_json()["kind"] == "story.recorded"
    # A page on another site cannot ride the cookie (cross-site WebSocket hijacking).
    with (
        pytest.raises(WebSocketDisconnect),
        api.client.websocket_connect(
            "/v1/live?all=true", headers={"origin": "https://evil.test"}
        ) as ws,
    ):
        ws.receive_json()


def test_user_rules(api: Api) -> None:
    make_user(api, "ann", "agent")
    with api.runtime.db.transaction(write=True) as s:
        with pytest.raises(Exception, match="already exists"):
            service.create_user(s, "ANN", PASSWORD, "agent", clock=api.runtime.clock)
        with pytest.raises(Exception, match="cannot be created"):
            service.create_user(s, "bob", "short", "wizard", clock=api.runtime.clock)
        stored = service.get_by_username(s, "ann").password_hash
    assert stored.startswith("$argon2id$")
    assert PASSWORD not in stored
