"""Settings of the channels domain: ``ONESTORY_CHANNELS__*``."""

from __future__ import annotations

from pydantic import BaseModel


class ChannelSettings(BaseModel):
    """Knobs of the channels domain."""
