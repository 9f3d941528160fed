"""Settings of the web UI domain: ``ONESTORY_WEB__*``."""

from __future__ import annotations

from pydantic import BaseModel


class WebSettings(BaseModel):
    """Knobs of the web UI domain."""
