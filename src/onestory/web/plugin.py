"""How the web UI plugs in: browser sessions (``sessions``, whose principal the guard accepts
in place of an API key) and the pages, mounted at the root."""

from __future__ import annotations

from dataclasses import dataclass

from onestory.app_state import Runtime
from onestory.plugin import Plugin
from onestory.web.routes import build_router
from onestory.web.sessions import Sessions


@dataclass(kw_only=True)
class WebPlugin(Plugin):
    sessions: Sessions


def plugin(core: Runtime) -> WebPlugin:
    sessions = Sessions(core)
    return WebPlugin(name="web", sessions=sessions, pages=[build_router(sessions)])
