"""How the customers domain plugs in: its routes (profiles, identities, the story)."""

from __future__ import annotations

from onestory.app_state import Runtime
from onestory.plugin import Plugin
from onestory.profiles.endpoints import router


def plugin(core: Runtime) -> Plugin:
    return Plugin(name="customers", api=[router])
