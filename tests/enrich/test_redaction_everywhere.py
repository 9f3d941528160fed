"""One scrubber on every write path: payload strings anywhere, OneStory's own events, the
free-text columns of other tables, and the intent corrections file."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from cryptography.fernet import Fernet
from sqlalchemy import text, update

from onestory.ai.classify.store import IntentModelStore
from onestory.ai.redaction import PayloadRedactor, reveal
from onestory.ai.settings import AISettings
from onestory.cases.models import Case, Task
from onestory.conversations.models import Conversation
from onestory.db import create_database
from onestory.db.migrate import upgrade
from onestory.events.service import EventDraft, record
from onestory.kit.clock import FrozenClock

CARD = "4539 0000 0000 6009"
IBAN = "GB82 WEST 1234 5698 7654 32"
EMAIL = "mira.k@private-mail.example"
PHONE = "+44 7700 906006"
RAW = (CARD, IBAN, EMAIL, PHONE, "07700 900123", "4539000000006009")
NOW = datetime(2026, 3, 1, 12, tzinfo=UTC)


def assert_clean(blob: str) -> None:
    for raw in RAW:
        assert raw not in blob, raw


def test_every_payload_string_is_redacted_nested_ones_too() -> None:
    redactor = PayloadRedactor(AISettings(), None)
    payload = {
        "text": "hi",
        "gift_message": f"for {EMAIL}",
        "order": {"lines": [{"note": f"card {CARD}"}, {"sku": "A-1"}], "iban": IBAN},
        "contacts": [PHONE, "07700 900123"],
        "message_id": "<abc.123@mail.example>",  # a threading key, not free text
        "note_id": f"typed into an id field: {CARD}",
    }
    out = redactor("order.placed", payload)
    assert_clean(repr(out))
    assert out["gift_message"] == "for [EMAIL]"
    assert out["order"]["lines"][0]["note"] == "card [CARD]"
    assert out["order"]["lines"][1] == {"sku": "A-1"}
    assert out["contacts"] == ["[PHONE]", "[PHONE]"]
    assert out["message_id"] == "<abc.123@mail.example>"
    assert set(out["_redaction"]["fields"]) == {
        "gift_message",
        "order.lines.0.note",
        "order.iban",
        "contacts.0",
        "contacts.1",
        "note_id",
    }
    assert payload["order"]["lines"][0]["note"] == f"card {CARD}"  # the input is not mutated


def test_encrypt_policy_keeps_nested_originals_for_the_admin() -> None:
    key = Fernet.generate_key()
    redactor = PayloadRedactor(AISettings(pii_policy="encrypt"), key)
    out = redactor("note.added", {"meta": {"by_phone": f"call {PHONE}"}})
    assert out["meta"]["by_phone"] == "call [PHONE]"
    assert reveal(out, key) == {"meta.by_phone": f"call {PHONE}"}


def test_agent_replies_and_free_text_columns_are_redacted_in_the_store(
    tmp_path: Path, database_url: str
) -> None:
    db = create_database(database_url)
    upgrade(db.engine)
    try:
        with db.transaction(write=True) as s:
            # An agent's reply is an event OneStory records itself (not an ingested one).
            record(
                s,
                [
                    EventDraft(
                        "message.sent",
                        None,
                        {"text": f"we refund to {IBAN}", "meta": {"cc": EMAIL}},
                        NOW,
                    )
                ],
                clock=FrozenClock(NOW),
            )
            s.add(
                Case(
                    id="cas_1",
                    customer_id="cus_1",
                    title=f"refund {CARD}",
                    description=f"customer phoned from {PHONE}",
                    status="open",
                    priority="normal",
                    origin="manual",
                    created_at=NOW,
                    updated_at=NOW,
                )
            )
            s.add(
                Task(
                    id="tsk_1",
                    customer_id="cus_1",
                    kind="callback",
                    title="call back",
                    status="open",
                    details={"contact": {"email": EMAIL, "phone": "07700 900123"}},
                    history=[{"note": f"paid with {CARD}"}],
                    created_at=NOW,
                    updated_at=NOW,
                )
            )
            s.add(
                Conversation(
                    id="cnv_1",
                    customer_id="cus_1",
                    status="open",
                    opened_at=NOW,
                    updated_at=NOW,
                    notes=[],
                )
            )
        with db.transaction(write=True) as s:
            # A Core UPDATE (no ORM object) goes through the same column type.
            s.execute(
                update(Conversation)
                .where(Conversation.id == "cnv_1")
                .values(notes=[{"kind": "transfer", "note": f"IBAN {IBAN}, mail {EMAIL}"}])
            )
        with db.engine.connect() as c:
            rows = [
                c.execute(text(f"SELECT * FROM {t}")).all()
                for t in ("events", "cases", "tasks", "conversations")
            ]
    finally:
        db.dispose()
    dump = repr(rows)
    assert_clean(dump)
    for placeholder in ("[IBAN]", "[EMAIL]", "[CARD]", "[PHONE]"):
        assert placeholder in dump


def test_intent_corrections_file_holds_no_personal_data(tmp_path: Path) -> None:
    store = IntentModelStore(tmp_path / "intents")
    store.add_correction(f"my card {CARD} was charged twice, call {PHONE}", "billing")
    content = store.corrections_path.read_text()
    assert_clean(content)
    assert [c.text for c in store.corrections()] == [
        "my card [CARD] was charged twice, call [PHONE]"
    ]
