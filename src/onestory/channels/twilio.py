"""SMS and WhatsApp in Twilio's formats: signed inbound webhooks, REST outbound, status reports.

Signature (Twilio's documented scheme): base64(HMAC-SHA1(auth_token, url + every POST
parameter name and value, sorted by name, concatenated)), sent as ``X-Twilio-Signature``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import httpx

from onestory.channels.base import OutboundMessage, SendResult, SmsProvider
from onestory.channels.settings import TwilioSettings

# Twilio MessageStatus → our message status.
STATUS_MAP = {
    "queued": "queued",
    "accepted": "queued",
    "sending": "sent",
    "sent": "sent",
    "delivered": "delivered",
    "read": "read",
    "received": "delivered",
    "undelivered": "failed",
    "failed": "failed",
    "canceled": "failed",
}


def signature(auth_token: str, url: str, params: Mapping[str, str]) -> str:
    """The ``X-Twilio-Signature`` Twilio computes for a POST to ``url`` with ``params``."""
    data = url + "".join(f"{k}{params[k]}" for k in sorted(params))
    digest = hmac.new(auth_token.encode(), data.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def signature_ok(auth_token: str, url: str, params: Mapping[str, str], given: str | None) -> bool:
    if not auth_token or not given:
        return False
    return hmac.compare_digest(signature(auth_token, url, params), given)


def inbound_envelope(params: Mapping[str, str], now: datetime) -> dict[str, Any]:
    """A Twilio inbound message webhook as a ``message.received`` envelope."""
    sender = params.get("From", "")
    whatsapp = sender.startswith("whatsapp:")
    phone = sender.removeprefix("whatsapp:")
    sid = params.get("MessageSid") or params.get("SmsSid") or ""
    attachments = []
    for i in range(min(int(params.get("NumMedia", "0") or 0), 10)):
        url = params.get(f"MediaUrl{i}")
        if url:
            attachments.append(
                {
                    "filename": url.rsplit("/", 1)[-1][:300] or f"media{i}",
                    "content_type": params.get(f"MediaContentType{i}"),
                    "url": url,
                }
            )
    customer: dict[str, Any] = {"phone": phone}
    if name := params.get("ProfileName"):
        customer["name"] = name[:200]
    return {
        "type": "message.received",
        "source": "twilio",
        "channel": "whatsapp" if whatsapp else "sms",
        "occurred_at": now.isoformat(),
        "customer": customer,
        "payload": {
            "text": params.get("Body", ""),
            "author": "customer",
            "message_id": sid,
            "to": params.get("To"),
            "attachments": attachments,
        },
        "idempotency_key": f"msg:{sid}" if sid else None,
    }


def status_envelope(
    params: Mapping[str, str], now: datetime, message_event_id: str, customer_id: str
) -> dict[str, Any]:
    """A Twilio status callback as a delivery report event about our outbound message."""
    sid = params.get("MessageSid") or params.get("SmsSid") or ""
    raw = (params.get("MessageStatus") or params.get("SmsStatus") or "").lower()
    status = STATUS_MAP.get(raw, "sent")
    type_ = {"delivered": "message.delivered", "failed": "message.failed"}.get(
        status, "message.status"
    )
    payload: dict[str, Any] = {
        "message_event_id": message_event_id,
        "status": status,
        "provider_status": raw,
        "provider_id": sid,
    }
    if params.get("ErrorCode"):
        payload["error"] = f"twilio error {params['ErrorCode']}"
    return {
        "type": type_,
        "source": "twilio",
        "channel": "whatsapp" if params.get("From", "").startswith("whatsapp:") else "sms",
        "occurred_at": now.isoformat(),
        "customer": {"customer_id": customer_id},
        "payload": payload,
        "idempotency_key": f"status:{sid}:{raw}",
    }


class TwilioRest:
    """The default ``SmsProvider``: Twilio's REST API (``Messages.json``)."""

    def __init__(self, settings: TwilioSettings, *, transport: httpx.BaseTransport | None = None):
        self.settings = settings
        self._transport = transport

    def send_sms(
        self, *, to: str, from_: str, body: str, status_callback: str | None
    ) -> dict[str, Any]:
        s = self.settings
        url = f"{s.api_base}/2010-04-01/Accounts/{s.account_sid}/Messages.json"
        data = {"To": to, "From": from_, "Body": body}
        if status_callback:
            data["StatusCallback"] = status_callback
        with httpx.Client(transport=self._transport, timeout=15.0) as client:
            r = client.post(url, data=data, auth=(s.account_sid, s.auth_token))
        answer: dict[str, Any] = r.json() if r.content else {}
        if r.status_code >= 400:
            raise RuntimeError(
                f"twilio answered {r.status_code}: {answer.get('message') or r.text[:200]}"
            )
        return answer


class SmsSender:
    """``Sender`` for the sms and whatsapp channels over an ``SmsProvider``."""

    def __init__(
        self, provider: SmsProvider, settings: TwilioSettings, status_callback: str | None
    ) -> None:
        self.provider = provider
        self.settings = settings
        self.status_callback = status_callback

    def send(self, message: OutboundMessage) -> SendResult:
        if not message.address:
            return SendResult(False, error="the customer has no phone number")
        whatsapp = message.channel == "whatsapp"
        from_ = self.settings.whatsapp_from if whatsapp else self.settings.sms_from
        to = f"whatsapp:{message.address}" if whatsapp else message.address
        if whatsapp and from_ and not from_.startswith("whatsapp:"):
            from_ = f"whatsapp:{from_}"
        try:
            answer = self.provider.send_sms(
                to=to, from_=from_, body=message.text, status_callback=self.status_callback
            )
        except Exception as exc:
            return SendResult(False, error=str(exc)[:500])
        status = STATUS_MAP.get(str(answer.get("status", "")).lower(), "sent")
        if status == "failed":
            return SendResult(False, answer.get("sid"), "failed", str(answer.get("error_message")))
        return SendResult(True, answer.get("sid"), "sent" if status == "queued" else status)
