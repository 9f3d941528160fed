"""``ONESTORY_DB__SQLITE_SYNCHRONOUS`` reaches every SQLite connection the app and the CLI use:
NORMAL (1) by default, FULL (2) when asked for, so a brand that needs power-loss durability
gets it by setting one variable."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError
from sqlalchemy import text

from onestory.cli import common
from onestory.config import Settings
from onestory.db import Database
from tests.conftest import open_api

# PRAGMA synchronous answers a number: 1 NORMAL, 2 FULL.
NORMAL, FULL = 1, 2


def _levels(db: Database) -> tuple[int, int, int]:
    """PRAGMA synchronous as a read transaction, a write transaction and a raw pooled
    connection of ``db`` see it."""
    with db.transaction() as s:
        read = int(s.scalar(text("PRAGMA synchronous")) or 0)
    with db.transaction(write=True) as s:
        write = int(s.scalar(text("PRAGMA synchronous")) or 0)
    with db.engine.connect() as c:
        pooled = int(c.scalar(text("PRAGMA synchronous")) or 0)
    return read, write, pooled


@pytest.fixture
def env_setting(monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest) -> int:
    value, level = request.param
    if value is None:
        monkeypatch.delenv("ONESTORY_DB__SQLITE_SYNCHRONOUS", raising=False)
    else:
        monkeypatch.setenv("ONESTORY_DB__SQLITE_SYNCHRONOUS", value)
    return int(level)


SETTINGS = [(None, NORMAL), ("NORMAL", NORMAL), ("FULL", FULL), ("full", FULL)]


@pytest.mark.parametrize("env_setting", SETTINGS, indirect=True)
def test_sqlite_synchronous_setting_reaches_every_app_connection(
    tmp_path: Path, sqlite_url: str, env_setting: int
) -> None:
    settings = Settings(
        data_dir=tmp_path / "var", database_url=sqlite_url, env="test", ai={"enabled": False}
    )
    for api in open_api(settings):
        assert _levels(api.runtime.db) == (env_setting,) * 3


@pytest.mark.parametrize("env_setting", SETTINGS, indirect=True)
def test_sqlite_synchronous_setting_reaches_the_cli_store(
    tmp_path: Path, sqlite_url: str, env_setting: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The CLI commands (init, import, retrain…) open the store through open_store.
    monkeypatch.setenv("ONESTORY_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("ONESTORY_DATABASE_URL", sqlite_url)
    common.get_settings.cache_clear()
    try:
        db = common.open_store()
        try:
            assert _levels(db) == (env_setting,) * 3
        finally:
            db.dispose()
    finally:
        common.get_settings.cache_clear()


def test_sqlite_synchronous_rejects_other_levels(tmp_path: Path, sqlite_url: str) -> None:
    with pytest.raises(ValidationError, match="sqlite_synchronous"):
        Settings(
            data_dir=tmp_path / "var",
            database_url=sqlite_url,
            env="test",
            db={"sqlite_synchronous": "OFF"},
        )
