"""Shared fixtures: a real store built by the real migrations (SQLite always, PostgreSQL when
reachable), the app with its lifespan, and an admin API key."""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text

from onestory.app import create_app
from onestory.app_state import Runtime
from onestory.auth.service import create_key
from onestory.bootstrap import Application
from onestory.config import IngestSettings, Settings
from onestory.kit.clock import SystemClock

PG_ROOT = os.environ.get("ONESTORY_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("ONESTORY_TEST_REDIS", "redis://127.0.0.1:6379/15")


def _reachable(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


PG_UP = _reachable("127.0.0.1", 5432)
REDIS_UP = _reachable("127.0.0.1", 6379)


def pg_schema_url() -> Iterator[str]:
    """A fresh schema in the ``test`` database: concurrent test runs never see each other."""
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_ROOT, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield f"{PG_ROOT}?options=-csearch_path%3D{schema}"
    finally:
        with admin.connect() as c:
            c.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'onestory.db'}"
        return
    if not PG_UP:
        pytest.skip("PostgreSQL is not reachable on 127.0.0.1:5432")
    yield from pg_schema_url()


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'onestory.db'}"


def make_settings(tmp_path: Path, database_url: str, **more: Any) -> Settings:
    # No batch-preparation processes spawned at each app's start (only on a large batch).
    ingest = more.get("ingest", {})
    if isinstance(ingest, IngestSettings):
        more["ingest"] = ingest.model_copy(update={"prepare_warm_up": False})
    else:
        more["ingest"] = {"prepare_warm_up": False, **ingest}
    return Settings(data_dir=tmp_path / "var", database_url=database_url, env="test", **more)


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    return make_settings(tmp_path, database_url)


class Api:
    """A TestClient with an admin key, plus handles on the runtime."""

    def __init__(self, client: TestClient, key: str) -> None:
        self.client = client
        self.key = key
        self.headers = {"Authorization": f"Bearer {key}"}

    @property
    def runtime(self) -> Runtime:
        runtime: Runtime = self.client.app.state.runtime  # type: ignore[attr-defined]
        return runtime

    @property
    def application(self) -> Application:
        """The composed application: each domain's plugin and the services it offers."""
        application: Application = self.client.app.state.application  # type: ignore[attr-defined]
        return application

    def post(self, path: str, **kw: Any) -> Any:
        return self.client.post(path, headers={**self.headers, **kw.pop("headers", {})}, **kw)

    def get(self, path: str, **kw: Any) -> Any:
        return self.client.get(path, headers={**self.headers, **kw.pop("headers", {})}, **kw)

    def drain(self, timeout: float = 120.0) -> None:
        self.client.portal.call(self.runtime.pipeline.drain, timeout)  # type: ignore[union-attr]

    def new_key(self, scopes: list[str]) -> str:
        with self.runtime.db.transaction() as s:
            _k, secret = create_key(s, "test", scopes, clock=SystemClock())
        return secret


def open_api(settings: Settings) -> Iterator[Api]:
    app = create_app(settings)
    with TestClient(app) as client:
        runtime: Runtime = app.state.runtime
        with runtime.db.transaction() as s:
            _k, secret = create_key(s, "admin", ["admin"], clock=SystemClock())
        yield Api(client, secret)


@pytest.fixture
def api(settings: Settings) -> Iterator[Api]:
    yield from open_api(settings)


def event(
    type_: str = "message.received",
    *,
    email: str | None = "ada@example.com",
    key: str | None = None,
    when: datetime | None = None,
    channel: str | None = "chat",
    payload: dict[str, Any] | None = None,
    source: str = "test",
    **customer: Any,
) -> dict[str, Any]:
    """An event envelope for tests."""
    cust = dict(customer)
    if email:
        cust["email"] = email
    body: dict[str, Any] = {
        "type": type_,
        "source": source,
        "occurred_at": (when or datetime.now(UTC)).isoformat(),
        "customer": cust,
        "payload": payload if payload is not None else {"text": "Hello, my parcel is late"},
    }
    if channel:
        body["channel"] = channel
    if key:
        body["idempotency_key"] = key
    return body
