"""How the channels layer plugs into the running app."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from onestory.app_state import Runtime


def setup(runtime: Runtime) -> None:
    """Register delivery of queued outbound messages and the inbound servers."""
