"""Settings of the conversations domain: ``ONESTORY_CONVERSATIONS__*``."""

from __future__ import annotations

from pydantic import BaseModel


class ConversationSettings(BaseModel):
    """Knobs of the conversations domain."""
