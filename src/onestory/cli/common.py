"""Helpers shared by CLI commands."""

from __future__ import annotations

import logging

from onestory.config import get_settings
from onestory.db import Database, create_database
from onestory.db.migrate import upgrade


def setup_logging() -> None:
    settings = get_settings()
    logging.basicConfig(
        level=settings.log_level.upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )


def open_store(*, migrate: bool = True) -> Database:
    settings = get_settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    db = create_database(settings.database_url)
    if migrate:
        upgrade(db.engine)
    return db
