"""Settings of the web UI domain: ``ONESTORY_WEB__*``."""

from __future__ import annotations

from pydantic import BaseModel


class WebSettings(BaseModel):
    """Knobs of the web UI domain."""

    # How long a browser stays signed in without signing in again.
    session_hours: int = 12
    # The supervisor dashboard refreshes this often (and at once on live activity).
    dashboard_refresh_seconds: int = 5
    # A customer waiting longer than this for a first or next answer counts as an SLA breach.
    sla_wait_minutes: int = 15
