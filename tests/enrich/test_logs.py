"""Logs never hold unredacted personal data: the CLI/server logging setup filters every record."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

SCRIPT = """
import logging
from onestory.cli.common import setup_logging
setup_logging()
logging.getLogger("uvicorn.access").info('GET /v1/customers?q=ada.l@example.org HTTP/1.1 200')
logging.getLogger("onestory.x").warning("charge failed for card %s", "4111 1111 1111 1111")
logging.getLogger("onestory.y").error("callback to +44 20 7946 0018 failed")
"""


def test_server_logs_are_redacted() -> None:
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT],
        capture_output=True,
        text=True,
        timeout=60,
        env={"ONESTORY_LOG_LEVEL": "INFO", "PATH": "/usr/bin:/bin"},
        check=True,
    )
    log = done.stderr
    assert "GET /v1/customers" in log  # the records are still there ...
    assert "charge failed for card" in log
    assert "ada.l@example.org" not in log  # ... without the personal data
    assert "4111 1111 1111 1111" not in log
    assert "7946 0018" not in log


SCRIPT_HOSTILE = """
import logging
from sqlalchemy import text
from onestory.cli.common import setup_logging
from onestory.db import create_database
setup_logging()
access = logging.getLogger("uvicorn.access")
access.info('%s - "%s %s HTTP/%s" %d', "203.0.113.9:51234", "GET",
            "/v1/customers?q=a%40b.example", "1.1", 200)
access.info('%s - "%s %s HTTP/%s" %d', "203.0.113.9:40000", "GET",
            "/v1/search/events?q=%2B44+7700+906006&limit=5", "1.1", 200)
access.info('%s - "%s %s HTTP/%s" %d', "198.51.100.7:1234", "GET",
            "/v1/search/events?q=4539+0000+0000+6009", "1.1", 200)
logging.getLogger("uvicorn.error").info(
    '%s - "WebSocket %s" [accepted]', "203.0.113.9:5000",
    "/v1/live?api_key=os_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789abcdefg")
logging.getLogger("uvicorn.error").info("Uvicorn running on http://127.0.0.1:8000")
import sys
db = create_database("sqlite:///" + sys.argv[1])
with db.engine.begin() as c:
    c.execute(text("CREATE TABLE t (card TEXT UNIQUE)"))
    c.execute(text("INSERT INTO t VALUES (:c)"), {"c": "4539000000006009"})
try:
    with db.engine.begin() as c:
        c.execute(text("INSERT INTO t VALUES (:c)"), {"c": "4539000000006009"})
except Exception:
    logging.getLogger("onestory.x").exception("insert failed")
"""


def test_logs_decode_urls_mask_credentials_keep_addresses_traceable(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT_HOSTILE, str(tmp_path / "t.db")],
        capture_output=True,
        text=True,
        timeout=60,
        env={
            "ONESTORY_LOG_LEVEL": "INFO",
            "ONESTORY_DATA_DIR": str(tmp_path),
            "PATH": "/usr/bin:/bin",
            "PYTHONPATH": os.environ.get("PYTHONPATH", ""),
        },
        check=True,
    )
    log = done.stderr
    # URL-encoded personal data is decoded, then redacted.
    assert "q=[EMAIL]" in log
    assert "q=[PHONE]&limit=5" in log
    assert "q=[CARD]" in log
    for raw in ("a%40b.example", "a@b.example", "7700", "906006", "4539", "6009"):
        assert raw not in log
    # The API key of the live WebSocket is masked; the line stays.
    assert '"WebSocket /v1/live?api_key=***" [accepted]' in log
    assert "os_AbCd" not in log
    # The server's bind address stays readable; client addresses become a stable keyed tag.
    assert "http://127.0.0.1:8000" in log
    assert "203.0.113.9" not in log and "198.51.100.7" not in log
    tags = re.findall(r"client=([0-9a-f]{12}) - ", log)
    assert len(tags) == 4
    assert tags[0] == tags[1] == tags[3] != tags[2]
    # A failed SQL statement is logged without its bound values.
    assert "insert failed" in log and "IntegrityError" in log
    assert "hidden due to hide_parameters" in log
