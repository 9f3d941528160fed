"""A revoked API key is refused on its very next request, by every process serving the store."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from onestory.auth.service import revoke_key
from onestory.kit.clock import SystemClock
from onestory.models import ApiKey
from tests.conftest import Api
from tests.support.server import Server, base_env, cli


def test_a_revoked_key_is_refused_on_its_next_request_in_process(api: Api) -> None:
    secret = api.new_key(["customers:read"])
    auth = {"Authorization": f"Bearer {secret}"}
    for _ in range(3):  # now cached as valid
        assert api.client.get("/v1/customers", params={"q": "x"}, headers=auth).status_code == 200
    with api.runtime.db.transaction() as s:
        key = s.query(ApiKey).filter(ApiKey.prefix == secret[:10]).one()
        revoke_key(s, key.id, clock=SystemClock())
    r = api.client.get("/v1/customers", params={"q": "x"}, headers=auth)
    assert r.status_code == 401, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    # The admin key, cached too, is unaffected.
    assert api.get("/v1/customers", params={"q": "x"}).status_code == 200


@pytest.fixture
def two_servers(
    tmp_path: Path, database_url: str
) -> Iterator[tuple[dict[str, str], Server, Server]]:
    env = base_env(tmp_path / "var", database_url, ONESTORY_AI__ENABLED="false")
    assert cli(env, "init").returncode == 0
    servers = [Server(env, tmp_path / f"server-{n}.log") for n in (1, 2)]
    try:
        for s in servers:
            s.start()
        yield env, servers[0], servers[1]
    finally:
        for s in servers:
            s.stop()


def test_a_key_revoked_by_the_cli_is_refused_at_once_by_two_running_servers(
    two_servers: tuple[dict[str, str], Server, Server],
) -> None:
    env, one, two = two_servers
    made = cli(env, "keys", "create", "--name", "sync", "-s", "customers:read")
    assert made.returncode == 0, made.stderr
    secret = made.stdout.strip().splitlines()[-1]
    key_id = made.stdout.split()[1]
    auth = {"Authorization": f"Bearer {secret}"}
    # Both processes have seen (and cached) the key as valid.
    for s in (one, two):
        for _ in range(3):
            assert httpx.get(f"{s.url}/v1/customers?q=x", headers=auth).status_code == 200
    revoked = cli(env, "keys", "revoke", key_id)
    assert revoked.returncode == 0, revoked.stderr
    for s in (one, two):
        r = httpx.get(f"{s.url}/v1/customers?q=x", headers=auth)
        assert r.status_code == 401, (s.url, r.text)
        assert "revoked" in r.json()["detail"]
    # Other keys keep working.
    other = cli(env, "keys", "create", "--name", "other", "-s", "customers:read")
    fresh = {"Authorization": f"Bearer {other.stdout.strip().splitlines()[-1]}"}
    assert httpx.get(f"{one.url}/v1/customers?q=x", headers=fresh).status_code == 200
