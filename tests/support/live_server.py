"""A real uvicorn server (the whole app, lifespan included) on a free port, in a thread."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import uvicorn

from onestory.app import create_app
from onestory.app_state import Runtime
from onestory.auth.service import create_key
from onestory.bootstrap import Application
from onestory.config import IngestSettings, Settings
from onestory.kit.clock import Clock
from onestory.users import service

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class LiveServer:
    url: str
    runtime: Runtime
    key: str
    application: Application

    def add_user(self, username: str, role: str, password: str) -> None:
        with self.runtime.db.transaction(write=True) as s:
            service.create_user(s, username, password, role, clock=self.runtime.clock)

    def post(self, path: str, body: Any) -> httpx.Response:
        res = httpx.post(
            self.url + path, json=body, headers={"Authorization": f"Bearer {self.key}"}, timeout=60
        )
        res.raise_for_status()
        return res

    def put(self, path: str) -> httpx.Response:
        res = httpx.put(
            self.url + path, headers={"Authorization": f"Bearer {self.key}"}, timeout=60
        )
        res.raise_for_status()
        return res

    def get(self, path: str, **params: Any) -> Any:
        res = httpx.get(
            self.url + path,
            params=params,
            headers={"Authorization": f"Bearer {self.key}"},
            timeout=60,
        )
        res.raise_for_status()
        return res.json()


@contextmanager
def live_server(
    tmp_path: Path, database_url: str, *, clock: Clock | None = None, **more: Any
) -> Iterator[LiveServer]:
    """The app on a free port; ``clock`` and setting sections (``more``) are passed through."""
    port = free_port()
    # No batch-preparation processes spawned at start (only on a large batch).
    ingest = more.get("ingest", {})
    more["ingest"] = (
        ingest.model_copy(update={"prepare_warm_up": False})
        if isinstance(ingest, IngestSettings)
        else {"prepare_warm_up": False, **ingest}
    )
    settings = Settings(
        data_dir=tmp_path / "var",
        database_url=database_url,
        env="test",
        base_url=f"http://127.0.0.1:{port}",
        **more,
    )
    app = create_app(settings, clock=clock)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the test server did not start")
        time.sleep(0.05)
    runtime: Runtime = app.state.runtime
    with runtime.db.transaction() as s:
        _k, key = create_key(s, "browser-tests", ["admin"], clock=runtime.clock)
    try:
        yield LiveServer(f"http://127.0.0.1:{port}", runtime, key, app.state.application)
    finally:
        server.should_exit = True
        thread.join(timeout=30)
