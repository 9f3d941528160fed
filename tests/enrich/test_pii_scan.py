"""The scan: personal data written through every API that takes free text is found nowhere.

A real ``onestory serve`` process (AI on, DEBUG logs captured) receives a card, an IBAN, an email
address and phone numbers — in messages (events API, batch, widget, app channel, inbound email),
event payload fields outside the message text (nested too), agent replies, transfer notes,
cases, tasks (details and status notes), promises and an intent correction; query strings carry
them URL-encoded and the live WebSocket is opened with ``?api_key=``. After the pipeline has
finished, the SQLite file and its write-ahead log (read while the server still runs, before any
checkpoint, and again after shutdown), every file under ``var/``, the full-text index and the
server's log output are searched for each value as it was written and as bare digits: nothing
may be found. On PostgreSQL every text and JSON column of every table is searched by SQL.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import websockets
from sqlalchemy import create_engine, inspect, text

from tests.support.server import Server, base_env, cli

CARD = "4539 0000 0000 6009"  # Luhn-valid Visa test number
IBAN = "GB82 WEST 1234 5698 7654 32"
EMAIL = "mira.k@private-mail.example"
PHONE = "+44 7700 906006"  # fictional (Ofcom drama range): libphonenumber calls it invalid
MOBILE = "07700 900123"
SECRETS = (CARD, IBAN, EMAIL, PHONE, MOBILE)
PII = f"card {CARD}, iban {IBAN}, mail {EMAIL}, call {PHONE} or {MOBILE}"

# The customer's own address is an identifier (kept, normalised, in the identities table by
# design), so it differs from the address written in the free text.
CUSTOMER = "scan.customer@shop.example"


def forms(value: str) -> set[str]:
    """How a value can sit in a file: as written, without spaces, as bare digits."""
    out = {value, value.replace(" ", "")}
    digits = re.sub(r"\D", "", value)
    if len(digits) >= 8:
        out.add(digits)
    return out


NEEDLES = sorted({f for v in SECRETS for f in forms(v)})


def found_in(data: bytes) -> list[str]:
    return [n for n in NEEDLES if n.encode() in data]


def write_everything(url: str, key: str, drain: Callable[[], object]) -> dict[str, Any]:
    auth = {"Authorization": f"Bearer {key}"}
    now = datetime.now(UTC)
    with httpx.Client(base_url=url, headers=auth, timeout=60) as http:

        def ok(r: httpx.Response) -> Any:
            assert r.status_code < 300, (r.request.url, r.status_code, r.text)
            return r.json()

        customer = {"email": CUSTOMER}
        first = ok(
            http.post(
                "/v1/events",
                json={
                    "type": "message.received",
                    "source": "chat",
                    "channel": "chat",
                    "occurred_at": now.isoformat(),
                    "customer": customer,
                    "payload": {
                        "text": f"Hello, my {PII}. Please help with my order.",
                        "author": "customer",
                        "delivery_instructions": f"leave it with my neighbour, {PHONE}",
                        "order": {"lines": [{"gift_message": f"to {EMAIL}", "sku": "A-1"}]},
                        "description": f"paid with {CARD}",
                        "iban": IBAN,
                        "note_id": f"not an id: {MOBILE}",
                    },
                },
            )
        )
        customer_id = first["customer_id"]
        ok(
            http.post(
                "/v1/events/batch",
                json=[
                    {
                        "type": "payment.failed",
                        "source": "billing",
                        "occurred_at": now.isoformat(),
                        "customer": customer,
                        "payload": {"reason": f"card {CARD} declined", "card_number": CARD},
                    },
                    {
                        "type": "order.placed",
                        "source": "shop",
                        "occurred_at": now.isoformat(),
                        "customer": customer,
                        "payload": {"shipping": {"contact": f"{EMAIL} / {PHONE}"}},
                    },
                ],
            )
        )
        ok(
            http.post(
                "/v1/channels/app/messages",
                json={
                    "message_id": "app-1",
                    "customer": customer,
                    "text": f"from the app: {PII}",
                    "occurred_at": now.isoformat(),
                },
            )
        )
        mail = (
            f"From: Scan Customer <{CUSTOMER}>\r\nTo: support@brand.example\r\n"
            f"Subject: refund to {IBAN}\r\nMessage-ID: <scan-1@shop.example>\r\n"
            f"Content-Type: text/plain; charset=utf-8\r\n\r\nHi, {PII}\r\n"
        ).encode()
        ok(
            http.post(
                "/v1/channels/email/inbound",
                content=mail,
                headers={"Content-Type": "message/rfc822"},
            )
        )
        session = ok(http.post("/v1/widget/session", json={}, headers={"Authorization": ""}))
        ok(
            http.post(
                "/v1/widget/messages",
                json={"text": f"widget: {PII}"},
                headers={"x-widget-token": session["token"], "Authorization": ""},
            )
        )
        drain()  # conversations are opened by the pipeline
        convs = ok(http.get("/v1/conversations", params={"customer_id": customer_id}))["items"]
        conv_id = convs[0]["id"]
        ok(
            http.post(
                f"/v1/conversations/{conv_id}/reply",
                json={"text": f"Agent here: we have {PII} on file", "subject": f"re {EMAIL}"},
            )
        )
        ok(
            http.post(
                f"/v1/conversations/{conv_id}/transfer",
                json={"to_queue": "billing", "reason": f"refund {IBAN}", "note": PII},
            )
        )
        case = ok(
            http.post(
                "/v1/cases",
                json={"customer_id": customer_id, "title": f"refund {CARD}", "description": PII},
            )
        )
        task = ok(
            http.post(
                "/v1/tasks",
                json={
                    "customer_id": customer_id,
                    "case_id": case["id"],
                    "kind": "callback",
                    "title": f"call {PHONE}",
                    "details": {"note": PII, "contact": {"email": EMAIL, "phone": MOBILE}},
                },
            )
        )
        ok(
            http.post(
                f"/v1/tasks/{task['id']}/status",
                json={"status": "scheduled", "note": f"customer asks to use {MOBILE}"},
            )
        )
        ok(
            http.post(
                "/v1/promises",
                json={
                    "customer_id": customer_id,
                    "what": f"refund to {IBAN} and confirm to {EMAIL}",
                    "due_by": (now + timedelta(days=2)).isoformat(),
                },
            )
        )
        # Reads that put personal data (URL-encoded) in the access log.
        for q in (EMAIL, PHONE, CARD):
            http.get("/v1/customers", params={"q": q})
            http.get("/v1/search/events", params={"q": q})
    return {"customer_id": customer_id, "conversation_id": conv_id}


async def open_live(url: str, key: str) -> None:
    async with websockets.connect(f"{url.replace('http', 'ws')}/v1/live?api_key={key}"):
        await asyncio.sleep(0.2)


def correct_an_intent(url: str, key: str, customer_id: str) -> None:
    auth = {"Authorization": f"Bearer {key}"}
    story = httpx.get(f"{url}/v1/customers/{customer_id}/story", headers=auth, timeout=60)
    assert story.status_code == 200, story.text
    for item in story.json()["items"]:
        intents = [i for i in item["insights"] if i["kind"] == "intent"]
        if item["type"] == "message.received" and intents:
            label = intents[0]["value"]["label"]
            r = httpx.post(
                f"{url}/v1/events/{item['id']}/insights/intent/correction",
                json={"label": label},
                headers=auth,
                timeout=60,
            )
            assert r.status_code < 300, r.text
            return
    raise AssertionError("no message got an intent insight")


def drained(url: str, timeout: float = 400) -> None:
    """Wait for the pipeline (the AI models load in the background; a busy machine is slow)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            health = httpx.get(f"{url}/health", timeout=60).json()
            if health["pipeline_pending"] == 0:
                return
        except httpx.TimeoutException:
            pass
        assert time.monotonic() < deadline, "the pipeline did not finish"
        time.sleep(0.5)


def scan_files(root: Path) -> dict[str, list[str]]:
    hits: dict[str, list[str]] = {}
    for path in sorted(root.rglob("*")):
        if path.is_file():
            if found := found_in(path.read_bytes()):
                hits[str(path.relative_to(root))] = found
    return hits


def scan_tables(database_url: str) -> dict[str, list[str]]:
    """Every text/JSON column of every table, by SQL (what a database dump would show)."""
    engine = create_engine(database_url)
    hits: dict[str, list[str]] = {}
    try:
        with engine.connect() as c:
            tables = inspect(c).get_table_names()
            assert "events" in tables
            for table in tables:
                for col in inspect(c).get_columns(table):
                    kind = str(col["type"]).upper()
                    if not any(t in kind for t in ("CHAR", "TEXT", "JSON", "VARCHAR")):
                        continue
                    name = col["name"]
                    for needle in NEEDLES:
                        n = c.execute(
                            text(
                                f'SELECT count(*) FROM "{table}" WHERE CAST("{name}" AS TEXT) '
                                "LIKE :p"
                            ),
                            {"p": f"%{needle}%"},
                        ).scalar_one()
                        if n:
                            hits.setdefault(f"{table}.{name}", []).append(needle)
    finally:
        engine.dispose()
    return hits


def search_hits(url: str, key: str) -> dict[str, int]:
    """The full-text index: searching for any part of a value finds nothing."""
    out: dict[str, int] = {}
    terms = {"6009", "45390000", "WEST", "906006", "900123", "private-mail"}
    for term in terms:
        r = httpx.get(
            f"{url}/v1/search/events",
            params={"q": term},
            headers={"Authorization": f"Bearer {key}"},
            timeout=60,
        )
        assert r.status_code == 200, r.text
        if items := r.json()["items"]:
            out[term] = len(items)
    return out


def test_personal_data_written_through_every_api_is_found_nowhere(
    tmp_path: Path, database_url: str
) -> None:
    data_dir = tmp_path / "var"
    sqlite = database_url.startswith("sqlite")
    if sqlite:
        database_url = f"sqlite:///{data_dir / 'onestory.db'}"
    env = base_env(data_dir, database_url, ONESTORY_LOG_LEVEL="DEBUG")
    done = cli(env, "init")
    assert done.returncode == 0, done.stderr
    key = (data_dir / "admin-api-key.txt").read_text().strip()
    log = tmp_path / "server.log"
    server = Server(env, log)
    server.start()
    try:
        ids = write_everything(server.url, key, lambda: drained(server.url))
        asyncio.run(open_live(server.url, key))
        drained(server.url)
        correct_an_intent(server.url, key, ids["customer_id"])
        drained(server.url)
        # The write-ahead log, read before the server checkpoints it away.
        live = {p.name: found_in(p.read_bytes()) for p in data_dir.glob("onestory.db*")}
        assert not any(live.values()), live
        if sqlite:
            assert (data_dir / "onestory.db-wal").is_file()
        fts = search_hits(server.url, key)
    finally:
        server.stop()
    corrections = list(data_dir.rglob("corrections.jsonl"))
    assert corrections, "the intent correction was not recorded"
    assert fts == {}, fts
    assert scan_files(data_dir) == {}
    # What was written is there, with placeholders where the personal data was.
    assert b"[" in corrections[0].read_bytes()
    if sqlite:
        stored = b"".join(p.read_bytes() for p in data_dir.glob("onestory.db*"))
        for placeholder in (b"[CARD]", b"[IBAN]", b"[EMAIL]", b"[PHONE]"):
            assert placeholder in stored
    assert scan_tables(database_url) == {}
    output = log.read_bytes()
    assert b"/v1/live?api_key=" in output  # the line is there ...
    assert key.encode() not in output  # ... without the key
    assert b"client=" in output  # client addresses are tagged, not printed
    assert found_in(output) == [], output.decode()[-4000:]
