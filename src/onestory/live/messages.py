"""Every message the platform pushes to live screens, built in one place.

A screen subscribes to channels (``live.hub``) and receives JSON objects with a ``kind``.
Producers never spell a message by hand: they call one of these builders, so a screen can rely
on one shape per kind.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from onestory.live.hub import ALL, CONVERSATIONS, conversation_channel, customer_channel

Push = tuple[list[str], dict[str, Any]]


def story_recorded(row: Mapping[str, Any]) -> Push:
    """An event just committed to a customer's story (before the pipeline ran on it)."""
    return (
        [customer_channel(row["customer_id"]), ALL],
        {
            "kind": "story.recorded",
            "event": {
                "id": row["id"],
                "type": row["type"],
                "source": row["source"],
                "channel": row["channel"],
                "occurred_at": row["occurred_at"].isoformat(),
                "received_at": row["received_at"].isoformat(),
                "customer_id": row["customer_id"],
                "payload": row["payload"],
            },
        },
    )


def story_processed(event: Any, insights: Iterable[Any]) -> Push:
    """An event the whole pipeline has processed, with the AI insights found on it."""
    return (
        [customer_channel(event.customer_id), ALL],
        {
            "kind": "story.processed",
            "event": {
                "id": event.id,
                "type": event.type,
                "source": event.source,
                "channel": event.channel,
                "occurred_at": event.occurred_at.isoformat(),
                "customer_id": event.customer_id,
                "payload": event.payload,
                "insights": [
                    {
                        "kind": i.kind,
                        "value": i.value,
                        "confidence": i.confidence,
                        "explanation": i.explanation,
                        "model": i.model,
                        "model_version": i.model_version,
                    }
                    for i in insights
                ],
            },
        },
    )


def conversation_typing(
    channels: list[str], conversation_id: str, *, who: str, name: str | None, typing: bool
) -> Push:
    """Someone (customer or agent) started or stopped typing in a conversation."""
    return (
        channels,
        {
            "kind": "conversation.typing",
            "conversation_id": conversation_id,
            "who": who,
            "name": name,
            "typing": typing,
        },
    )


def proactive_alert(
    team: str,
    *,
    customer_id: str,
    playbook: str,
    signal: Mapping[str, Any] | None,
    text: str,
    evidence: Any,
) -> Push:
    """A playbook asks a team to look at a customer."""
    return (
        [f"team:{team}"],
        {
            "kind": "proactive.alert",
            "team": team,
            "customer_id": customer_id,
            "playbook": playbook,
            "signal": dict(signal) if signal is not None else None,
            "text": text,
            "evidence": evidence,
        },
    )


def inbound_message_early(row: Mapping[str, Any], conversation_id: str) -> Push:
    """A customer's message, shown on the agent's screen right after commit, before the
    pipeline has projected it (the projection's ``conversation.message`` follows)."""
    p = row["payload"]
    return (
        [
            customer_channel(row["customer_id"]),
            conversation_channel(conversation_id),
            CONVERSATIONS,
        ],
        {
            "kind": "conversation.message",
            "conversation_id": conversation_id,
            "customer_id": row["customer_id"],
            "early": True,
            "message": {
                "event_id": row["id"],
                "conversation_id": conversation_id,
                "direction": "inbound",
                "channel": row["channel"],
                "author": "customer",
                "author_id": None,
                "kind": "message",
                "text": p.get("text"),
                "subject": p.get("subject"),
                "status": None,
                "attachments": p.get("attachments") or [],
                "external_id": p.get("message_id"),
                "meta": {},
                "occurred_at": row["occurred_at"].isoformat(),
            },
        },
    )
