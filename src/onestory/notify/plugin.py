"""How live updates plug in: the notify stage pushes each fully processed story item to every
open screen, and the WebSocket route screens subscribe on."""

from __future__ import annotations

from onestory.app_state import Runtime
from onestory.notify.endpoints import router
from onestory.notify.stage import StoryPushes
from onestory.plugin import Plugin


def plugin(core: Runtime) -> Plugin:
    pushes = StoryPushes(core.live)
    return Plugin(name="notify", handlers=[("notify", pushes.story_item_processed)], api=[router])
