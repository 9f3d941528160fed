"""The whole app on a frozen clock, so due times and quiet hours are deterministic."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient

from onestory.app import create_app
from onestory.auth.service import create_key
from onestory.config import Settings
from onestory.kit.clock import FrozenClock, SystemClock
from onestory.proactive.settings import ProactiveSettings
from tests.conftest import Api

NOON = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(NOON)


def open_frozen_api(settings: Settings, clock: FrozenClock, **proactive: Any) -> Iterator[Api]:
    knobs = {"promise_check_seconds": 0.0, **proactive}
    settings = settings.model_copy(update={"proactive": ProactiveSettings(**knobs)})
    app = create_app(settings, clock=clock)
    with TestClient(app) as client:
        runtime = app.state.runtime
        with runtime.db.transaction() as s:
            _k, secret = create_key(s, "admin", ["admin"], clock=SystemClock())
        # The enrich stage waits for the AI models inside its transaction (holding SQLite's
        # write lock): let them load before the test writes anything.
        warm_up = app.state.application.enrich.warm_up
        warm = warm_up.task if warm_up is not None else None
        if warm is not None:

            async def loaded() -> None:
                await asyncio.wait_for(asyncio.shield(warm), 120)

            client.portal.call(loaded)  # type: ignore[union-attr]
        yield Api(client, secret)


@pytest.fixture
def capi(settings: Settings, clock: FrozenClock) -> Iterator[Api]:
    yield from open_frozen_api(settings, clock)
