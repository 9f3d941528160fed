"""How the channels layer plugs in: delivery of queued outbound messages (the outbox), the
inbound path every channel records through, the widget, and the inbound SMTP server.

Offers others ``outbox`` (tests swap its ``senders``), ``outbound`` (queue a message to a
customer from any domain), ``inbound`` and ``origins`` (the widget's CORS middleware)."""

from __future__ import annotations

from dataclasses import dataclass

from onestory.app_state import Runtime
from onestory.channels import endpoints, widget_admin, widget_endpoints
from onestory.channels.cors import WidgetOrigins
from onestory.channels.email import EmailSender, InboundServer, SmtpTransport
from onestory.channels.inbound import Inbound
from onestory.channels.outbox import OutboundApi, Outbox
from onestory.channels.social import SocialSender
from onestory.channels.twilio import SmsSender, TwilioRest
from onestory.channels.verification import code_key
from onestory.channels.widget import Tokens
from onestory.config import load_secret
from onestory.plugin import Plugin


@dataclass(kw_only=True)
class ChannelsPlugin(Plugin):
    outbox: Outbox
    outbound: OutboundApi
    inbound: Inbound
    origins: WidgetOrigins
    email_server: InboundServer | None = None


def plugin(core: Runtime) -> ChannelsPlugin:
    settings = core.settings.channels
    outbox = Outbox(core)
    outbox.senders["email"] = EmailSender(SmtpTransport(settings.email), settings.email)
    base = (settings.public_base_url or core.settings.base_url).rstrip("/")
    sms = SmsSender(
        TwilioRest(settings.twilio), settings.twilio, f"{base}/v1/channels/twilio/status"
    )
    outbox.senders["sms"] = sms
    outbox.senders["whatsapp"] = sms
    outbox.senders["social"] = SocialSender(settings, clock=core.clock)
    inbound = Inbound(core)
    origins = WidgetOrigins(core)
    tokens = Tokens(load_secret(core.settings), settings.widget_token_hours, core.clock)
    server = InboundServer(core, inbound) if settings.email.inbound_enabled else None
    return ChannelsPlugin(
        name="channels",
        outbox=outbox,
        outbound=OutboundApi(core),
        inbound=inbound,
        origins=origins,
        email_server=server,
        handlers=[("act", outbox.queue_from_stage)],
        api=[
            widget_endpoints.build_router(
                inbound, tokens, origins, outbox, code_key(core.settings)
            ),
            widget_admin.build_router(origins),
            endpoints.build_router(inbound),
        ],
        background=[outbox, *([server] if server else [])],
    )
