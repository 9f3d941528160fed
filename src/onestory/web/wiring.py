"""How this domain plugs into the running app: stage handlers, services, start/stop."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from onestory.app_state import Runtime


def setup(runtime: Runtime) -> None:
    """Register this domain's pipeline handlers and services on ``runtime``."""
