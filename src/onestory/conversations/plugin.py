"""How conversations plug in: the project stage turns messages into conversations, and their
routes (the inbox, replies, assignment)."""

from __future__ import annotations

from onestory.app_state import Runtime
from onestory.conversations.endpoints import router
from onestory.conversations.projection import ConversationsStage
from onestory.plugin import Plugin


def plugin(core: Runtime) -> Plugin:
    stage = ConversationsStage(core.settings.conversations, core.live)
    return Plugin(name="conversations", handlers=[("project", stage.project)], api=[router])
