"""Inbound messages from every channel go through the normal ingest path, then this pushes
them live at once (before the pipeline has projected them) so agent screens see them within
milliseconds; the project stage later sends the same message again with its final state
(same ``event_id``: screens replace it)."""

from __future__ import annotations

import hashlib
import hmac
from typing import TYPE_CHECKING, Any

from fastapi.concurrency import run_in_threadpool
from sqlalchemy import select

from onestory.conversations.models import Conversation
from onestory.conversations.repository import OPEN_STATUSES
from onestory.conversations.views import CONVERSATIONS, conversation_channel
from onestory.events.ingest import ingest_with_retry
from onestory.events.service import ItemOutcome, Recorded
from onestory.kit.errors import InvalidInput, OneStoryError, PayloadTooLarge
from onestory.live.hub import customer_channel

if TYPE_CHECKING:
    from onestory.app_state import Runtime


async def receive(runtime: Runtime, items: list[dict[str, Any]]) -> list[ItemOutcome]:
    """Record inbound envelopes (idempotent by source + provider message id)."""
    outcomes, recorded = await run_in_threadpool(_ingest, runtime, items)
    await runtime.after_record(recorded)
    await _push_early(runtime, recorded)
    return outcomes


def _ingest(runtime: Runtime, items: list[dict[str, Any]]) -> tuple[list[ItemOutcome], Recorded]:
    outcomes, recorded = ingest_with_retry(runtime, items)
    conv_of: dict[str, str] = {}
    customers = {r["customer_id"] for r in recorded.rows if r["type"] == "message.received"}
    if customers:
        with runtime.db.transaction() as s:
            for cid, conv_id in s.execute(
                select(Conversation.customer_id, Conversation.id).where(
                    Conversation.customer_id.in_(customers),
                    Conversation.status.in_(OPEN_STATUSES),
                )
            ):
                conv_of[cid] = conv_id
    for r in recorded.rows:
        if r["customer_id"] in conv_of:
            r["_conversation_id"] = conv_of[r["customer_id"]]
    return outcomes, recorded


async def _push_early(runtime: Runtime, recorded: Recorded) -> None:
    for r in recorded.rows:
        conv_id = r.pop("_conversation_id", None)
        if r["type"] != "message.received" or conv_id is None:
            continue
        p = r["payload"]
        await runtime.live.publish(
            [customer_channel(r["customer_id"]), conversation_channel(conv_id), CONVERSATIONS],
            {
                "kind": "conversation.message",
                "conversation_id": conv_id,
                "customer_id": r["customer_id"],
                "early": True,
                "message": {
                    "event_id": r["id"],
                    "conversation_id": conv_id,
                    "direction": "inbound",
                    "channel": r["channel"],
                    "author": "customer",
                    "author_id": None,
                    "kind": "message",
                    "text": p.get("text"),
                    "subject": p.get("subject"),
                    "status": None,
                    "attachments": p.get("attachments") or [],
                    "external_id": p.get("message_id"),
                    "meta": {},
                    "occurred_at": r["occurred_at"].isoformat(),
                },
            },
        )


def raise_for(outcome: ItemOutcome) -> None:
    """Turn a rejected ingest outcome into the API error it means."""
    if outcome.status < 400:
        return
    err: OneStoryError
    if outcome.status == 413:
        err = PayloadTooLarge("the message is too large", errors=outcome.errors)
    else:
        err = InvalidInput("the message could not be recorded", errors=outcome.errors)
    raise err


def sign_body(secret: str, body: bytes) -> str:
    """``X-OneStory-Signature`` value for a webhook body: ``sha256=<hex HMAC>``."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def body_signature_ok(secret: str, body: bytes, header: str | None) -> bool:
    return bool(header) and hmac.compare_digest(sign_body(secret, body), header or "")
