"""How the channels layer plugs into the running app.

``runtime.services`` gets ``outbox`` (the delivery worker; tests swap its ``senders``),
``outbound`` (queue a message to a customer from any domain) and, when the inbound SMTP
server is enabled, ``email_server``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from onestory.channels.email import EmailSender, InboundServer, SmtpTransport
from onestory.channels.outbox import OutboundApi, Outbox
from onestory.channels.social import SocialSender
from onestory.channels.twilio import SmsSender, TwilioRest

if TYPE_CHECKING:
    from onestory.app_state import Runtime


def setup(runtime: Runtime) -> None:
    """Register delivery of queued outbound messages and the inbound servers."""
    settings = runtime.settings.channels
    outbox = Outbox(runtime)
    outbox.senders["email"] = EmailSender(SmtpTransport(settings.email), settings.email)
    base = (settings.public_base_url or runtime.settings.base_url).rstrip("/")
    sms = SmsSender(
        TwilioRest(settings.twilio), settings.twilio, f"{base}/v1/channels/twilio/status"
    )
    outbox.senders["sms"] = sms
    outbox.senders["whatsapp"] = sms
    outbox.senders["social"] = SocialSender(settings, clock=runtime.clock)
    runtime.services["outbox"] = outbox
    runtime.services["outbound"] = OutboundApi(runtime)
    runtime.pipeline.add_handler("act", outbox.queue_from_stage)
    runtime.on_start.append(outbox.start)
    runtime.on_stop.append(outbox.stop)
    if settings.email.inbound_enabled:
        server = InboundServer(runtime)
        runtime.services["email_server"] = server
        runtime.on_start.append(server.start)
        runtime.on_stop.append(server.stop)
