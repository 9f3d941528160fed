"""`onestory demo` leaves one user per role, so `make run` can be signed into at once."""

from __future__ import annotations

from pathlib import Path

import pytest

from onestory.cli.common import open_store
from onestory.cli.core import create_demo_users
from onestory.config import get_settings
from onestory.users.queues import queues_of
from onestory.users.service import get_by_username


def test_demo_users_are_created_once_with_their_passwords(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ONESTORY_DATA_DIR", str(tmp_path / "var"))
    get_settings.cache_clear()
    try:
        path = create_demo_users(tmp_path / "var")
        assert path is not None
        rows = [line.split("\t") for line in path.read_text().splitlines()[1:]]
        assert {r[1] for r in rows} == {"agent", "technician", "backoffice", "supervisor"}
        assert all(len(r[2]) >= 12 for r in rows)
        assert path.stat().st_mode & 0o077 == 0
        assert create_demo_users(tmp_path / "var") is None  # never twice
        # The agent and the supervisor work queues, so "My queues" is not empty in the demo.
        db = open_store()
        with db.transaction() as s:
            amy = get_by_username(s, "amy")
            assert queues_of(s, amy.id) == ["billing", "general"]
        db.dispose()
    finally:
        get_settings.cache_clear()
