"""Web UI fixtures: users created through the service, browsers signed in through the form."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from onestory.users import service
from tests.conftest import Api
from tests.support.live_server import CHROMIUM, CHROMIUM_ARGS, LiveServer, live_server

PASSWORD = "correct horse battery"


def make_user(api: Api, username: str, role: str) -> None:
    with api.runtime.db.transaction(write=True) as s:
        service.create_user(s, username, PASSWORD, role, clock=api.runtime.clock)


def login_csrf(client: TestClient) -> str:
    page = client.get("/login")
    match = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert match, page.text
    return match.group(1)


def sign_in(client: TestClient, username: str, password: str = PASSWORD) -> Any:
    token = login_csrf(client)
    return client.post(
        "/login",
        data={"username": username, "password": password, "csrf_token": token},
        follow_redirects=False,
    )


def page_csrf(client: TestClient, path: str = "/search") -> str:
    page = client.get(path)
    match = re.search(r'name="csrf-token" content="([^"]+)"', page.text)
    assert match, page.text
    return match.group(1)


# The real server and headless Chromium the browser tests share.
@pytest.fixture
def server(tmp_path: Path, sqlite_url: str) -> Iterator[LiveServer]:
    with live_server(tmp_path, sqlite_url) as srv:
        yield srv


@pytest.fixture
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()
