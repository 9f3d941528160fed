"""How this domain plugs into the running app: stage handlers, services, start/stop."""

from __future__ import annotations

from typing import TYPE_CHECKING

from onestory.channels.wiring import setup as channels_setup
from onestory.conversations.projection import project

if TYPE_CHECKING:
    from onestory.app_state import Runtime


def setup(runtime: Runtime) -> None:
    """Register this domain's pipeline handlers and services on ``runtime``."""
    runtime.pipeline.add_handler("project", project)
    # The channels layer (delivery of queued messages, inbound adapters) plugs in here too:
    # it only makes sense alongside conversations.
    channels_setup(runtime)
