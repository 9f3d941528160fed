"""Settings of the conversations domain: ``ONESTORY_CONVERSATIONS__*``."""

from __future__ import annotations

from pydantic import BaseModel


class ConversationSettings(BaseModel):
    """Knobs of the conversations domain."""

    # A message this soon after resolution reopens the conversation; later, a new one starts.
    quiet_period_minutes: int = 60 * 24
    # An open conversation silent for this long is closed ("inactive") when the customer
    # writes again, and the new message opens a fresh one (keeps old journeys apart).
    stale_after_days: int = 14
    default_queue: str = "general"
    # Capture facts (order numbers, addresses, emails, phones, the problem) from messages.
    capture_facts: bool = True
