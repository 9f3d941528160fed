"""Queue membership: the supervisor's API, the CLI, and the "my queues" inbox it feeds."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from onestory.cli.main import app
from onestory.config import get_settings
from onestory.db import create_database
from onestory.db.migrate import upgrade
from onestory.kit.clock import SystemClock
from onestory.users import queues, service
from tests.conftest import Api, event
from tests.web.conftest import PASSWORD, make_user, page_csrf, sign_in


def conversation_of(api: Api, email: str) -> dict[str, Any]:
    cust = api.get("/v1/customers", params={"q": email}).json()["items"][0]["id"]
    [conv] = api.get("/v1/conversations", params={"customer_id": cust}).json()["items"]
    out: dict[str, Any] = conv
    return out


def test_my_queues_lists_the_conversations_of_my_queues(api: Api) -> None:
    api.post("/v1/events", json=event(payload={"text": "My bill is wrong"}))
    api.post("/v1/events", json=event(email="bob@example.com", payload={"text": "Router down"}))
    api.post("/v1/events", json=event(email="cy@example.com", payload={"text": "Hello"}))
    api.drain()
    ada, bob = conversation_of(api, "ada@example.com"), conversation_of(api, "bob@example.com")
    # Routed to queues by hand-off; Cy stays in the default queue.
    for conv, queue in ((ada, "billing"), (bob, "field")):
        r = api.post(
            f"/v1/conversations/{conv['id']}/transfer", json={"to_queue": queue, "reason": "r"}
        )
        assert r.status_code == 200, r.text
    make_user(api, "sue", "supervisor")
    make_user(api, "amy", "agent")
    make_user(api, "tom", "technician")

    # The supervisor manages membership with the session (and its CSRF token).
    assert sign_in(api.client, "sue").status_code == 303
    csrf = {"X-CSRF-Token": page_csrf(api.client)}
    r = api.client.put("/v1/queues/billing/members/amy", headers=csrf)
    assert r.status_code == 200, r.text
    assert r.json()["created"] is True and r.json()["added_by"] == "sue"
    again = api.client.put("/v1/queues/billing/members/amy", headers=csrf)
    assert again.status_code == 200 and again.json()["created"] is False
    assert api.client.put("/v1/queues/field/members/amy", headers=csrf).status_code == 200
    assert api.client.put("/v1/queues/billing/members/amy").status_code == 403  # no CSRF
    r = api.client.put("/v1/queues/field/members/tom", headers=csrf)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "username"
    assert api.client.put("/v1/queues/field/members/nobody", headers=csrf).status_code == 404
    members = api.client.get("/v1/queues/members", params={"queue": "billing"}).json()["items"]
    assert [m["username"] for m in members] == ["amy"]
    api.client.post("/logout", data={"csrf_token": csrf["X-CSRF-Token"]})

    # The agent sees exactly the conversations of her queues, and may not manage them.
    sign_in(api.client, "amy")
    assert api.client.get("/v1/me/queues").json() == {
        "username": "amy",
        "queues": ["billing", "field"],
    }
    mine = api.client.get("/v1/conversations", params={"in_my_queues": "true"}).json()
    assert {c["id"] for c in mine["items"]} == {ada["id"], bob["id"]}
    assert mine["total"] == 2 and mine["my_queues"] == ["billing", "field"]
    csrf = {"X-CSRF-Token": page_csrf(api.client)}
    assert api.client.put("/v1/queues/general/members/amy", headers=csrf).status_code == 403
    assert api.client.delete("/v1/queues/field/members/amy", headers=csrf).status_code == 403

    # Removed from "field": Bob's conversation leaves her queue view.
    r = api.client.delete("/v1/queues/field/members/amy", headers=api.headers)
    assert r.status_code == 204
    assert api.client.delete("/v1/queues/field/members/amy", headers=api.headers).status_code == 404
    mine = api.client.get("/v1/conversations", params={"in_my_queues": "true"}).json()
    assert [c["id"] for c in mine["items"]] == [ada["id"]]
    # Combined with the other filters (here: unassigned in my queues).
    api.post(f"/v1/conversations/{ada['id']}/assign", json={"assignee": "amy"})
    mine = api.client.get(
        "/v1/conversations", params={"in_my_queues": "true", "assignee": "none"}
    ).json()
    assert mine["items"] == [] and mine["total"] == 0

    # An API key is no member of any queue.
    key_view = api.get("/v1/conversations", params={"in_my_queues": "true"}).json()
    assert key_view["items"] == [] and key_view["my_queues"] == []


def test_a_supervisor_key_scope_and_bad_queue_names(api: Api) -> None:
    make_user(api, "amy", "agent")
    key = api.new_key(["queues:write", "conversations:read"])
    headers = {"Authorization": f"Bearer {key}"}
    r = api.client.put("/v1/queues/%20/members/amy", headers=headers)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "queue"
    assert api.client.put("/v1/queues/vip/members/amy", headers=headers).status_code == 200
    reader = {"Authorization": f"Bearer {api.new_key(['conversations:read'])}"}
    assert api.client.put("/v1/queues/vip/members/amy", headers=reader).status_code == 403
    listed = api.client.get("/v1/queues/members", params={"username": "amy"}, headers=reader)
    assert [m["queue"] for m in listed.json()["items"]] == ["vip"]


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("ONESTORY_DATABASE_URL", url)
    monkeypatch.setenv("ONESTORY_DATA_DIR", str(tmp_path))
    get_settings.cache_clear()
    yield url
    get_settings.cache_clear()


def test_cli_adds_lists_and_removes_queue_members(store: str) -> None:
    db = create_database(store)
    upgrade(db.engine)
    with db.transaction(write=True) as s:
        service.create_user(s, "amy", PASSWORD, "agent", clock=SystemClock())
        service.create_user(s, "tom", PASSWORD, "technician", clock=SystemClock())
    runner = CliRunner()
    env = {"COLUMNS": "200"}
    added = runner.invoke(app, ["users", "queues", "add", "amy", "billing", "general"], env=env)
    assert added.exit_code == 0, added.output
    assert "amy added to billing" in added.output
    listed = runner.invoke(app, ["users", "queues", "list", "--queue", "billing"], env=env)
    assert "amy" in listed.output and "cli" in listed.output
    assert "billing, general" in runner.invoke(app, ["users", "list"], env=env).output
    refused = runner.invoke(app, ["users", "queues", "add", "tom", "billing"], env=env)
    assert refused.exit_code == 1 and "technician" in refused.output
    removed = runner.invoke(app, ["users", "queues", "remove", "amy", "general"], env=env)
    assert removed.exit_code == 0, removed.output
    with db.transaction() as s:
        amy = service.get_by_username(s, "amy")
        assert queues.queues_of(s, amy.id) == ["billing"]
    missing = runner.invoke(app, ["users", "queues", "remove", "amy", "general"], env=env)
    assert missing.exit_code == 1 and "not a member" in missing.output
    db.dispose()
