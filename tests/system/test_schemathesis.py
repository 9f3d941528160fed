"""Schemathesis over the real server's OpenAPI document, on SQLite and PostgreSQL: no input
the schema allows (or that breaks it) may give a 5xx, and every answer must match what the
document says (status, content type, body schema, headers).

A real ``onestory serve`` process with the demo world loaded (so ids Schemathesis finds in
the examples exist) and an admin API key; AI on as a user runs it (switched off, the AI
routes answer 503 by design). Bounded to roughly a minute and a half a store on two cores.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.support.server import Server, base_env, cli

pytestmark = pytest.mark.slow

ST = str(Path(sys.executable).parent / "st")
CHECKS = (
    "not_a_server_error,status_code_conformance,content_type_conformance,"
    "response_schema_conformance,response_headers_conformance"
)
MAX_EXAMPLES = os.environ.get("ONESTORY_ST_MAX_EXAMPLES", "15")
SEED = os.environ.get("ONESTORY_ST_SEED", "12")
# Nothing is excluded: the web UI's HTML pages and the WebSockets are not in the OpenAPI
# document at all (they cannot be tested stateless); retraining is a background job (202).
EXCLUDED_PATHS: tuple[str, ...] = ()
TOOL_CRASH = "SystemError: AST constructor recursion depth mismatch"


def _wait_ready(url: str, timeout: float = 180) -> None:
    """The demo's pipeline work done and the AI models loaded (else AI routes say 503)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            health = httpx.get(f"{url}/health", timeout=10).json()
        except httpx.TimeoutException:
            health = {"busy": "health did not answer within 10 s"}
        if health.get("pipeline_pending") == 0 and health.get("ai_models") in {"ready", "off"}:
            return
        if time.monotonic() > deadline:
            raise TimeoutError(f"server not ready: {health}")
        time.sleep(0.5)


def test_schemathesis_finds_no_server_error_and_no_schema_violation(
    tmp_path: Path, database_url: str
) -> None:
    data = tmp_path / "var"
    env = base_env(data, database_url)
    for args in (("init",), ("demo", "--customers", "10", "--days", "5")):
        done = cli(env, *args)
        assert done.returncode == 0, done.stdout + done.stderr
    key = (data / "admin-api-key.txt").read_text().strip()
    server = Server(env, tmp_path / "server.log")
    server.start()
    try:
        _wait_ready(server.url)
        command = [
            ST,
            "run",
            f"{server.url}/openapi.json",
            "--checks",
            CHECKS,
            "--max-examples",
            MAX_EXAMPLES,
            "--seed",
            SEED,
            "--phases",
            "examples,coverage,fuzzing",
            # One worker: hypothesis' lambda descriptions call ast.parse, which CPython 3.11
            # races across threads (the crash retried below).
            "--workers",
            "1",
            "--request-timeout",
            "20",
            "--header",
            f"Authorization: Bearer {key}",
            *(a for path in EXCLUDED_PATHS for a in ("--exclude-path", path)),
        ]
        run = subprocess.run(
            command, capture_output=True, text=True, timeout=240, check=False, env=env
        )
        if run.returncode != 0 and TOOL_CRASH in run.stdout:
            # Schemathesis itself crashed (CPython 3.11's ast.parse racing in hypothesis'
            # lambda descriptions across threads): no finding, so run it once more.
            run = subprocess.run(
                command, capture_output=True, text=True, timeout=240, check=False, env=env
            )
    finally:
        server.stop()
    server_log = (tmp_path / "server.log").read_text()
    assert run.returncode == 0, (
        f"schemathesis failed:\n{run.stdout[-12000:]}\n{run.stderr[-2000:]}\n"
        f"server log:\n{server_log[-4000:]}"
    )
