"""Pipeline stage handler: push each fully processed story item to live screens."""

from __future__ import annotations

from sqlalchemy.orm import Session

from onestory.events import repository as events_repo
from onestory.live.hub import ALL, LiveHub, customer_channel
from onestory.pipeline.stages import StageContext, StoredEvent


def story_item_processed(session: Session, events: list[StoredEvent], ctx: StageContext) -> None:
    hub: LiveHub | None = ctx.services.get("live")
    if hub is None:
        return
    insights = events_repo.insights_for(session, [e.id for e in events])
    messages = []
    for e in events:
        if not e.customer_id:
            continue
        messages.append(
            (
                [customer_channel(e.customer_id), ALL],
                {
                    "kind": "story.processed",
                    "event": {
                        "id": e.id,
                        "type": e.type,
                        "source": e.source,
                        "channel": e.channel,
                        "occurred_at": e.occurred_at.isoformat(),
                        "customer_id": e.customer_id,
                        "payload": e.payload,
                        "insights": [
                            {
                                "kind": i.kind,
                                "value": i.value,
                                "confidence": i.confidence,
                                "explanation": i.explanation,
                                "model": i.model,
                                "model_version": i.model_version,
                            }
                            for i in insights.get(e.id, [])
                        ],
                    },
                },
            )
        )

    async def push() -> None:
        for channels, message in messages:
            await hub.publish(channels, message)

    if messages:
        ctx.on_commit(push)
