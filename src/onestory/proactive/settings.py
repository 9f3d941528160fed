"""Settings of the proactive service domain: ``ONESTORY_PROACTIVE__*``."""

from __future__ import annotations

from pydantic import BaseModel


class ProactiveSettings(BaseModel):
    """Knobs of the proactive service domain."""
