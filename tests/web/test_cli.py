"""``onestory users create | list | disable``."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from onestory.cli.main import app
from onestory.config import get_settings
from onestory.db import create_database
from onestory.users import service


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("ONESTORY_DATABASE_URL", url)
    monkeypatch.setenv("ONESTORY_DATA_DIR", str(tmp_path))
    get_settings.cache_clear()
    yield url
    get_settings.cache_clear()


def test_create_list_disable(store: str) -> None:
    runner = CliRunner()
    made = runner.invoke(
        app,
        ["users", "create", "tom", "--role", "technician", "--name", "Tom T"],
        env={"ONESTORY_USER_PASSWORD": "a long enough password"},
    )
    assert made.exit_code == 0, made.output
    listed = runner.invoke(app, ["users", "list"], env={"COLUMNS": "200"})
    assert "tom" in listed.output
    assert "technician" in listed.output
    assert "$argon2" not in listed.output
    db = create_database(store)
    with db.transaction() as s:
        assert service.verify_password(s, "tom", "a long enough password") is not None
    assert runner.invoke(app, ["users", "disable", "tom"]).exit_code == 0
    with db.transaction() as s:
        assert service.verify_password(s, "tom", "a long enough password") is None
        assert service.get_by_username(s, "tom").disabled_at is not None
    db.dispose()
    bad = runner.invoke(
        app, ["users", "create", "x", "--role", "wizard", "--password", "a long enough password"]
    )
    assert bad.exit_code != 0
