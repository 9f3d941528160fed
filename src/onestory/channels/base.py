"""The one adapter interface every channel implements, and the shapes it passes around.

Inbound: an adapter verifies and parses a provider request into event envelopes (dicts in the
``EventIn`` shape) that go through the normal ingest path. Outbound: ``send`` delivers one
queued message and answers with a ``SendResult``; delivery reports arrive later as events.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol


@dataclass(frozen=True)
class OutboundMessage:
    """A queued ``message.sent`` ready for a channel."""

    event_id: str
    customer_id: str
    conversation_id: str | None
    channel: str
    address: str | None
    text: str
    subject: str | None = None
    # Channel-specific extras (email threading headers, ...).
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class SendResult:
    ok: bool
    provider_id: str | None = None
    # "sent" (accepted by the provider; a delivery report may follow) or "delivered".
    status: str = "sent"
    error: str | None = None


class Sender(Protocol):
    """Delivers outbound messages on one channel. Called from a worker thread."""

    def send(self, message: OutboundMessage) -> SendResult: ...


class SmsProvider(Protocol):
    """An SMS/WhatsApp provider (Twilio REST by default)."""

    def send_sms(
        self, *, to: str, from_: str, body: str, status_callback: str | None
    ) -> dict[str, Any]:
        """Send one message; return the provider's JSON answer (``sid``, ``status``)."""
        ...


class MailTransport(Protocol):
    """Sends one RFC 5322 message (SMTP by default)."""

    def send_mail(self, sender: str, recipients: list[str], message: bytes) -> None: ...
