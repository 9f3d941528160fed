"""How the privacy domain plugs in: the consent and contact-preference routes."""

from __future__ import annotations

from onestory.app_state import Runtime
from onestory.plugin import Plugin
from onestory.privacy.endpoints import router


def plugin(core: Runtime) -> Plugin:
    return Plugin(name="privacy", api=[router])
