"""How this domain plugs into the running app: stage handlers, services, start/stop."""

from __future__ import annotations

from typing import TYPE_CHECKING

from onestory.web.sessions import Sessions

if TYPE_CHECKING:
    from onestory.app_state import Runtime


def setup(runtime: Runtime) -> None:
    """Browser sessions; ``deps.require`` accepts their principal as an alternative to a key."""
    sessions = Sessions(runtime)
    runtime.services["web_sessions"] = sessions
    runtime.services["session_principal"] = sessions.principal
