"""How the users domain plugs in: its routes (people, roles, queues)."""

from __future__ import annotations

from onestory.app_state import Runtime
from onestory.plugin import Plugin
from onestory.users.endpoints import router


def plugin(core: Runtime) -> Plugin:
    return Plugin(name="users", api=[router])
