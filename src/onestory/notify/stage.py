"""Pipeline stage handler: push each fully processed story item to live screens."""

from __future__ import annotations

from sqlalchemy.orm import Session

from onestory.events import repository as events_repo
from onestory.live import messages
from onestory.live.hub import LiveHub
from onestory.pipeline.stages import StageContext, StoredEvent


class StoryPushes:
    """The notify-stage handler, bound to the live hub."""

    def __init__(self, hub: LiveHub) -> None:
        self.hub = hub

    def story_item_processed(
        self, session: Session, events: list[StoredEvent], ctx: StageContext
    ) -> None:
        story_item_processed(session, events, ctx, self.hub)


def story_item_processed(
    session: Session, events: list[StoredEvent], ctx: StageContext, hub: LiveHub
) -> None:
    insights = events_repo.insights_for(session, [e.id for e in events])
    pushes = [messages.story_processed(e, insights.get(e.id, [])) for e in events if e.customer_id]

    async def push() -> None:
        for channels, message in pushes:
            await hub.publish(channels, message)

    if pushes:
        ctx.on_commit(push)
