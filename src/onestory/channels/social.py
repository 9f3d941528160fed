"""Replies on the generic social channel.

Inbound posts arrive at ``POST /v1/channels/social/{network}`` (signed with the webhook secret);
a reply goes back the same way round: OneStory POSTs it as JSON to the social integration's URL
(``ONESTORY_CHANNELS__SOCIAL_OUTBOUND_URL``, where ``{network}`` is replaced), signed like the
webhooks (kit/signing.py: ``X-OneStory-Timestamp`` and ``X-OneStory-Signature: v1=<hex>`` over
timestamp, method, path and body) under the same secret, so the integration can refuse stale
or re-routed requests. A 2xx answer means
the integration took it (``{"id": ...}`` in the answer is kept as the provider id); anything else
fails the message with the integration's answer as the reason.
"""

from __future__ import annotations

from typing import Any

import httpx

from onestory.channels.base import OutboundMessage, SendResult
from onestory.channels.settings import ChannelSettings
from onestory.kit import signing
from onestory.kit.clock import Clock, SystemClock
from onestory.kit.jsonutil import dumpb


class SocialSender:
    """``Sender`` for the social channel: a signed JSON POST per reply."""

    def __init__(
        self,
        settings: ChannelSettings,
        *,
        transport: httpx.BaseTransport | None = None,
        clock: Clock | None = None,
    ) -> None:
        self.settings = settings
        self._transport = transport
        self._now = (clock or SystemClock()).now

    def send(self, message: OutboundMessage) -> SendResult:
        template = self.settings.social_outbound_url
        if not template:
            return SendResult(
                False,
                error="no URL to send social replies to (ONESTORY_CHANNELS__SOCIAL_OUTBOUND_URL)",
            )
        network, _, handle = (message.address or "").partition(":")
        if not network or not handle:
            return SendResult(False, error="the customer has no social handle")
        body = dumpb(
            {
                "network": network,
                "handle": handle,
                "text": message.text,
                "message_id": message.event_id,
                "conversation_id": message.conversation_id,
            }
        )
        url = template.replace("{network}", network)
        headers = {"content-type": "application/json"}
        if self.settings.webhook_secret:
            headers.update(
                signing.sign_headers(self.settings.webhook_secret, "POST", url, body, self._now())
            )
        try:
            with httpx.Client(transport=self._transport, timeout=15.0) as client:
                answer = client.post(url, content=body, headers=headers)
        except httpx.HTTPError as exc:
            return SendResult(False, error=f"the social integration is unreachable: {exc}"[:500])
        if not answer.is_success:
            return SendResult(
                False,
                error=f"the social integration answered {answer.status_code}: {answer.text[:200]}",
            )
        provider_id: Any = None
        try:
            data = answer.json()
            provider_id = data.get("id") if isinstance(data, dict) else None
        except ValueError:
            pass
        return SendResult(True, str(provider_id) if provider_id else None, "sent")
