"""Helpers shared by CLI commands."""

from __future__ import annotations

import functools
import logging

from onestory.ai.extract import install_pii_log_filter
from onestory.config import get_settings, load_secret
from onestory.db import Database, create_database
from onestory.db.migrate import upgrade


def setup_logging() -> None:
    """Root logging for the CLI and the server. Every record passes the personal-data filter
    first, so logs (including uvicorn's access log, which propagates here) never hold emails,
    phone or card numbers or credentials in clear; client addresses in access lines are logged
    as a keyed hash of the address (see `onestory.ai.extract.pii_logs`)."""
    settings = get_settings()
    logging.basicConfig(
        level=settings.log_level.upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    install_pii_log_filter(
        default_region=settings.ai.default_region,
        client_key=functools.partial(load_secret, settings),
    )


def open_store(*, migrate: bool = True) -> Database:
    settings = get_settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    db = create_database(settings.database_url, sqlite_synchronous=settings.db.sqlite_synchronous)
    if migrate:
        upgrade(db.engine)
    return db
