"""Settings of the AI enrichment domain: ``ONESTORY_AI__*``."""

from __future__ import annotations

from pydantic import BaseModel


class AISettings(BaseModel):
    """Knobs of the AI enrichment domain."""
