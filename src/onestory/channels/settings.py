"""Settings of the channels domain: ``ONESTORY_CHANNELS__*``."""

from __future__ import annotations

from pydantic import BaseModel, Field


class EmailSettings(BaseModel):
    """``ONESTORY_CHANNELS__EMAIL__*``."""

    # Run the inbound SMTP server (aiosmtpd) inside the app process.
    inbound_enabled: bool = False
    inbound_host: str = "127.0.0.1"
    inbound_port: int = 2525
    # Whole messages above this are refused during DATA (SMTP 552).
    max_message_bytes: int = 25 * 1024 * 1024
    # Attachments above this are listed with "too_large": true and never stored.
    max_attachment_bytes: int = 10 * 1024 * 1024
    # False: mail from an address no customer has (and not replying to one of our messages)
    # is refused with SMTP 550 instead of creating a new customer.
    accept_unknown_senders: bool = True
    # Only mail to these domains is accepted (empty: any).
    accept_domains: list[str] = []
    # Outbound SMTP.
    from_address: str = "support@onestory.local"
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 25
    smtp_username: str = ""
    smtp_password: str = ""
    smtp_starttls: bool = False
    smtp_timeout_seconds: float = 10.0


class TwilioSettings(BaseModel):
    """``ONESTORY_CHANNELS__TWILIO__*`` (SMS and WhatsApp)."""

    account_sid: str = ""
    auth_token: str = ""
    sms_from: str = ""
    whatsapp_from: str = ""
    api_base: str = "https://api.twilio.com"
    # Reject webhooks without a valid X-Twilio-Signature (only turn off for local tests).
    validate_signatures: bool = True


class ChannelSettings(BaseModel):
    """Knobs of the channels domain."""

    # The public URL the app is reached at by providers (signatures cover the full URL);
    # empty means the URL of the incoming request.
    public_base_url: str = ""
    # HMAC-SHA256 key a host site uses to sign its user ids for the chat widget; empty means
    # one generated once in data_dir/widget_secret (see channels/secrets.py).
    widget_secret: str = ""
    widget_token_hours: int = 12
    # Web origins (``https://www.brand.example``) whose pages may embed the widget; more can be
    # added at run time with PUT /v1/channels/widget/origins. JSON list in the environment.
    widget_origins: list[str] = []
    # One-time codes that prove a visitor's email: minutes valid, wrong tries allowed per code.
    widget_code_minutes: int = 10
    widget_code_attempts: int = 5
    # Shared secret for the voice, social, app and raw-email webhooks and the replies OneStory
    # sends (kit/signing.py: X-OneStory-Timestamp + X-OneStory-Signature: v1=<hex HMAC of
    # "<timestamp>.<METHOD> <path>.<body>">); an API key with events:write also works. Empty
    # means one generated once in data_dir/webhook_secret.
    webhook_secret: str = ""
    # A signed webhook whose timestamp is further than this from the server's clock is refused.
    signature_tolerance_seconds: int = Field(default=300, ge=1, le=86_400)
    # Where replies on the social channel are POSTed (signed like the webhooks); "{network}"
    # is replaced by the post's network, e.g. https://social-bridge.example/{network}/reply.
    social_outbound_url: str = ""
    # A "sending" outbox row older than this is failed as "outcome unknown" (never resent).
    stale_sending_seconds: int = 300
    email: EmailSettings = EmailSettings()
    twilio: TwilioSettings = TwilioSettings()
