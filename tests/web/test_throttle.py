"""Sign-in throttling: per account (a lockout, even for the right password) and per client,
counted in memory or in Redis, answered with 429 and Retry-After."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from onestory.kit.ratelimit import LimitsRateLimiter
from tests.conftest import REDIS_UP, REDIS_URL, Api, make_settings, open_api
from tests.web.conftest import make_user, sign_in

WRONG = "not the password at all"


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.redis)])
def tapi(request: pytest.FixtureRequest, tmp_path: Path, sqlite_url: str) -> Iterator[Api]:
    """The app with small sign-in limits, its counters in memory or in a real Redis."""
    more: dict[str, Any] = {}
    if request.param == "redis":
        if not REDIS_UP:
            pytest.skip("Redis is not reachable on 127.0.0.1:6379 (the redis-backed limits)")
        more = {
            "bus": "redis",
            "redis_url": REDIS_URL,
            "pipeline": {"stream_prefix": f"ostest-{uuid.uuid4().hex[:10]}"},
        }
    settings = make_settings(
        tmp_path,
        sqlite_url,
        ai={"enabled": False},
        limits={"login": "3/2 seconds", "login_client": "5/minute"},
        **more,
    )
    yield from open_api(settings)


def test_repeated_wrong_passwords_lock_the_account_even_for_the_right_one(tapi: Api) -> None:
    make_user(tapi, "amy", "agent")
    for _ in range(3):
        assert sign_in(tapi.client, "amy", WRONG).status_code == 401
    locked = sign_in(tapi.client, "amy")  # the right password, but the account is locked
    assert locked.status_code == 429
    assert locked.headers["content-type"].startswith("application/problem+json")
    assert 1 <= int(locked.headers["retry-after"]) <= 2
    problem = locked.json()
    assert problem["status"] == 429 and problem["retry_after"] == int(locked.headers["retry-after"])
    assert "session" not in "".join(tapi.client.cookies.keys())
    # A browser gets the sign-in page saying so, with the same status and header.
    page = TestClient(tapi.client.app)
    token = page.get("/login").text.split('name="csrf_token" value="')[1].split('"')[0]
    r = page.post(
        "/login",
        data={"username": "amy", "password": "x" * 12, "csrf_token": token},
        headers={"Accept": "text/html"},
        follow_redirects=False,
    )
    assert (
        r.status_code == 429 and "Too many failed sign-ins" in r.text and r.headers["retry-after"]
    )
    # After the cool-down the right password works again.
    time.sleep(int(locked.headers["retry-after"]) + 0.2)
    assert sign_in(tapi.client, "amy").status_code == 303


def test_one_good_sign_in_does_not_forgive_a_clients_failures_on_other_accounts(
    tapi: Api,
) -> None:
    for name in ("amy", "bob", "cy", "mal"):
        make_user(tapi, name, "agent")
    # One address sprays wrong passwords over accounts (none reaches its own lock)...
    for name in ("amy", "bob", "cy", "amy"):
        assert sign_in(tapi.client, name, WRONG).status_code == 401
    # ...signs in once to its own account...
    assert sign_in(tapi.client, "mal").status_code == 303
    # ...and the fifth failure from that address still counts: the address is throttled.
    assert sign_in(tapi.client, "bob", WRONG).status_code == 401
    r = sign_in(tapi.client, "cy")
    assert r.status_code == 429 and int(r.headers["retry-after"]) > 2
    # Another address is not affected.
    other = TestClient(tapi.client.app, client=("192.0.2.7", 40000))
    assert sign_in(other, "cy").status_code == 303


def test_x_forwarded_for_is_ignored_unless_the_peer_is_a_trusted_proxy(tapi: Api) -> None:
    make_user(tapi, "amy", "agent")
    for n in range(5):
        forged = {"X-Forwarded-For": f"198.51.100.{n}"}
        tapi.client.headers.update(forged)
        assert sign_in(tapi.client, f"nobody{n}", WRONG).status_code == 401
    assert sign_in(tapi.client, "amy").status_code == 429


@pytest.mark.parametrize("backend", ["memory", pytest.param("redis", marks=pytest.mark.redis)])
def test_the_limiter_counts_per_key_and_says_how_long_to_wait(backend: str) -> None:
    if backend == "redis" and not REDIS_UP:
        pytest.skip("Redis is not reachable on 127.0.0.1:6379 (the redis-backed limits)")
    prefix = f"ostest-{uuid.uuid4().hex[:10]}"
    limiter = LimitsRateLimiter(REDIS_URL if backend == "redis" else None, key_prefix=prefix)
    assert [limiter.hit("2/minute", "k", "a") for _ in range(2)] == [None, None]
    wait = limiter.hit("2/minute", "k", "a")
    assert wait is not None and 1 <= wait <= 60
    assert limiter.blocked("2/minute", "k", "a") == wait
    assert limiter.hit("2/minute", "k", "b") is None  # another key has its own count
    limiter.clear("2/minute", "k", "a")
    assert limiter.blocked("2/minute", "k", "a") is None
