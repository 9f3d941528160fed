"""The command line: init, keys, import (bad lines reported, resumable after a kill), demo."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, func, select
from typer.testing import CliRunner

from onestory.auth.service import authenticate
from onestory.cli.main import app
from onestory.config import get_settings
from onestory.db import create_database
from onestory.models import ApiKey, Event
from tests.support.server import ONESTORY, base_env

runner = CliRunner()


@pytest.fixture
def store(tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    for k in list(os.environ):
        if k.startswith("ONESTORY_"):
            monkeypatch.delenv(k)
    monkeypatch.setenv("ONESTORY_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("ONESTORY_DATABASE_URL", database_url)
    monkeypatch.setenv("ONESTORY_AI__ENABLED", "false")
    monkeypatch.setenv("COLUMNS", "300")  # rich tables are not truncated
    get_settings.cache_clear()
    yield database_url
    get_settings.cache_clear()


def run(*args: str) -> Any:
    result = runner.invoke(app, list(args))
    return result


def stored(url: str, source: str) -> Counter[str]:
    engine = create_engine(url)
    try:
        with engine.connect() as c:
            keys = c.scalars(select(Event.idempotency_key).where(Event.source == source)).all()
    finally:
        engine.dispose()
    return Counter(k or "" for k in keys)


def line(n: int, **over: Any) -> str:
    ev: dict[str, Any] = {
        "type": "order.placed",
        "source": "shop",
        "channel": "orders",
        "occurred_at": (datetime(2026, 1, 1, tzinfo=UTC) + timedelta(minutes=n)).isoformat(),
        "customer": {"email": f"buyer{n % 40}@example.com"},
        "payload": {"order_id": f"O{n}", "amount": 10.0, "currency": "EUR"},
        "idempotency_key": f"o{n}",
    }
    ev.update(over)
    return json.dumps(ev)


def test_init_creates_the_store_and_one_admin_key_idempotently(store: str, tmp_path: Path) -> None:
    first = run("init")
    assert first.exit_code == 0, first.output
    key_file = tmp_path / "var" / "admin-api-key.txt"
    secret = key_file.read_text().strip()
    assert oct(key_file.stat().st_mode & 0o777) == "0o600"
    again = run("init")
    assert again.exit_code == 0 and key_file.read_text().strip() == secret
    db = create_database(store)
    try:
        with db.transaction() as s:
            assert s.scalar(select(func.count()).select_from(ApiKey)) == 1
            p = authenticate(s, secret)
            assert p is not None and "admin" in p.scopes
    finally:
        db.dispose()


def test_keys_create_list_revoke(store: str) -> None:
    made = run("keys", "create", "--name", "billing-sync", "-s", "events:write")
    assert made.exit_code == 0, made.output
    secret = made.output.strip().splitlines()[-1]
    key_id = next(w for w in made.output.split() if w.startswith("key_"))
    listed = run("keys", "list")
    assert listed.exit_code == 0 and key_id in listed.output and "billing-sync" in listed.output
    assert secret not in listed.output  # secrets are never shown again
    db = create_database(store)
    try:
        with db.transaction() as s:
            p = authenticate(s, secret)
            assert p is not None and p.scopes == frozenset({"events:write"})
        assert run("keys", "revoke", key_id).exit_code == 0
        with db.transaction() as s:
            assert authenticate(s, secret) is None
    finally:
        db.dispose()
    assert run("keys", "create", "-s", "no:such-scope").exit_code != 0
    assert run("keys", "revoke", "key_missing").exit_code != 0


def test_import_jsonl_reports_every_bad_line_and_stores_the_rest(
    store: str, tmp_path: Path
) -> None:
    src = tmp_path / "events.jsonl"
    lines = [line(i) for i in range(30)]
    lines[3] = "{not json"
    lines[7] = line(7, customer={"email": "nobody"})
    lines[11] = line(11, occurred_at="yesterday")
    lines[12] = ""  # blank lines are skipped, not errors
    src.write_text("\n".join(lines) + "\n")
    result = run("import", str(src), "--batch", "8")
    assert result.exit_code == 0, result.output
    errors = [
        json.loads(x) for x in (tmp_path / "events.jsonl.errors.jsonl").read_text().splitlines()
    ]
    assert [e["line"] for e in errors] == [4, 8, 12]
    assert "malformed JSON" in errors[0]["errors"][0]["reason"]
    assert errors[1]["errors"][0]["field"] == "customer.email"
    assert errors[2]["errors"][0]["field"] == "occurred_at"
    assert "26 events" in result.output and "3 rejected" in result.output
    keys = stored(store, "shop")
    assert len(keys) == 26 and set(keys.values()) == {1}
    # Importing the same file again stores nothing twice.
    again = run("import", str(src), "--restart")
    assert "0 events, 26 already present" in again.output
    assert stored(store, "shop") == keys


def test_import_csv(store: str, tmp_path: Path) -> None:
    src = tmp_path / "events.csv"
    src.write_text(
        "type,source,channel,occurred_at,idempotency_key,email,phone,external.billing,payload.text\n"
        "message.received,crm,email,2026-01-02T10:00:00+00:00,c1,ann@example.com,,AC-1,Hello\n"
        "payment.failed,billing,billing,2026-01-02T11:00:00+00:00,c2,,,AC-1,\n"
        "message.received,crm,sms,2026-01-02T12:00:00+00:00,c3,,+44 12,,bad phone\n"
    )
    result = run("import", str(src))
    assert result.exit_code == 0, result.output
    assert "1 rejected" in result.output
    errors = (tmp_path / "events.csv.errors.jsonl").read_text()
    assert '"line": 4' in errors and "customer.phone" in errors
    assert set(stored(store, "crm")) == {"c1"}
    assert set(stored(store, "billing")) == {"c2"}


@pytest.mark.slow
def test_import_killed_mid_file_resumes_where_it_stopped(tmp_path: Path, database_url: str) -> None:
    env = base_env(tmp_path / "var", database_url, ONESTORY_AI__ENABLED="false")
    src = tmp_path / "big.jsonl"
    n = 4000
    src.write_text("\n".join(line(i) for i in range(n)) + "\n")
    checkpoint = tmp_path / "big.jsonl.onestory-progress"
    proc = subprocess.Popen(
        [ONESTORY, "import", str(src), "--batch", "25"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 120
    while not (checkpoint.exists() and checkpoint.read_text().strip()):
        assert proc.poll() is None, "the import ended before it could be interrupted"
        assert time.monotonic() < deadline
        time.sleep(0.01)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(10)
    at = int(checkpoint.read_text())
    assert 0 < at < n
    partial = stored(database_url, "shop")
    assert len(partial) >= at

    done = subprocess.run(
        [ONESTORY, "import", str(src), "--batch", "500"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert f"resuming after line {at}" in done.stdout
    keys = stored(database_url, "shop")
    assert len(keys) == n and set(keys.values()) == {1}
    assert not checkpoint.exists()


def test_demo_if_empty_loads_a_small_world_once(store: str) -> None:
    result = run("demo", "--customers", "12", "--days", "10", "--if-empty")
    assert result.exit_code == 0, result.output
    engine = create_engine(store)
    try:
        with engine.connect() as c:
            n = c.scalar(select(func.count()).select_from(Event))
            channels = set(c.scalars(select(Event.channel).distinct()))
    finally:
        engine.dispose()
    assert n and n > 50
    assert {"chat", "email"} <= channels
    again = run("demo", "--customers", "12", "--days", "10", "--if-empty")
    assert again.exit_code == 0 and "demo not loaded" in again.output
    engine = create_engine(store)
    try:
        with engine.connect() as c:
            assert c.scalar(select(func.count()).select_from(Event)) == n
    finally:
        engine.dispose()
