"""Settings of the proactive service domain: ``ONESTORY_PROACTIVE__*``."""

from __future__ import annotations

from pydantic import BaseModel


class ProactiveSettings(BaseModel):
    """Knobs of the proactive service domain."""

    # How often open promises are checked for a passed due time, and messages held back by
    # quiet hours are released (0 turns both loops off).
    promise_check_seconds: float = 60.0
    # Every playbook action is recorded but nothing is sent (a global dry run).
    dry_run: bool = False
    # Proactive messages per customer per rolling 7 days (a playbook may set a lower cap).
    weekly_contact_cap: int = 2
    # Quiet hours in the customer's own time zone ("HH:MM"); messages are not sent inside them.
    quiet_start: str = "21:00"
    quiet_end: str = "08:00"
    default_timezone: str = "UTC"
    # Churn risk at or above this probability raises a churn_risk signal.
    churn_threshold: float = 0.6
    # Extra playbook folder (YAML) loaded after the shipped ones; empty = none.
    playbooks_dir: str = ""
