"""Channel fixtures: the app with every channel switched on, fake providers at the edges,
and a WebSocket reader that never blocks a test forever."""

from __future__ import annotations

import asyncio
import queue
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from onestory.channels.email import EmailSender
from onestory.channels.settings import ChannelSettings, EmailSettings, TwilioSettings
from onestory.channels.twilio import SmsSender
from tests.conftest import Api, make_settings, open_api

TWILIO_TOKEN = "test-twilio-auth-token"
WIDGET_SECRET = "s3cr3t-widget-key"
WEBHOOK_SECRET = "hook-secret"
BASE = "http://testserver"


class FakeSms:
    """An SmsProvider that remembers what it was asked to send."""

    def __init__(self) -> None:
        self.sent: list[dict[str, Any]] = []
        self.fail_with: str | None = None

    def send_sms(
        self, *, to: str, from_: str, body: str, status_callback: str | None
    ) -> dict[str, Any]:
        if self.fail_with:
            raise RuntimeError(self.fail_with)
        self.sent.append({"to": to, "from": from_, "body": body, "cb": status_callback})
        return {"sid": f"SM{len(self.sent):032d}", "status": "queued"}


class FakeMail:
    """A MailTransport that keeps the bytes it would have sent."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, list[str], bytes]] = []

    def send_mail(self, sender: str, recipients: list[str], message: bytes) -> None:
        self.sent.append((sender, recipients, message))


class Channels:
    def __init__(self, api: Api) -> None:
        self.api = api
        self.sms = FakeSms()
        self.mail = FakeMail()
        runtime = api.runtime
        settings = runtime.settings.channels
        outbox = api.application.channels.outbox
        outbox.senders["email"] = EmailSender(self.mail, settings.email)
        sms = SmsSender(self.sms, settings.twilio, f"{BASE}/v1/channels/twilio/status")
        outbox.senders["sms"] = sms
        outbox.senders["whatsapp"] = sms
        # The AI models load in the background at start-up (slow only once per process);
        # waiting here keeps the live-latency waits below honest.
        warm_up = api.application.enrich.warm_up
        warm = warm_up.task if warm_up is not None else None
        if warm is not None:

            async def loaded() -> None:
                await asyncio.wait_for(asyncio.shield(warm), 180)

            api.client.portal.call(loaded)  # type: ignore[union-attr]

    @property
    def smtp_port(self) -> int:
        server = self.api.application.channels.email_server
        assert server is not None and server.port is not None
        return server.port

    def settle(self) -> None:
        """Drain the pipeline and the outbox until both are idle."""
        for _ in range(4):
            self.api.drain()
            outbox = self.api.application.channels.outbox
            self.api.client.portal.call(outbox.idle, 10.0)  # type: ignore[union-attr]
        self.api.drain()


def channel_settings(**email: Any) -> ChannelSettings:
    return ChannelSettings(
        public_base_url=BASE,
        widget_secret=WIDGET_SECRET,
        webhook_secret=WEBHOOK_SECRET,
        email=EmailSettings(
            inbound_enabled=True,
            inbound_port=0,
            max_message_bytes=200_000,
            max_attachment_bytes=50_000,
            from_address="support@brand.example",
            **email,
        ),
        twilio=TwilioSettings(
            account_sid="AC123", auth_token=TWILIO_TOKEN, sms_from="+15550001111"
        ),
    )


@pytest.fixture
def chan(tmp_path: Path, database_url: str) -> Iterator[Channels]:
    settings = make_settings(tmp_path, database_url, channels=channel_settings())
    for api in open_api(settings):
        yield Channels(api)


class WsReader:
    """Reads a test WebSocket on a thread so waits can time out."""

    def __init__(self, ws: Any) -> None:
        self.ws = ws
        self.q: queue.Queue[Any] = queue.Queue()
        self._t = threading.Thread(target=self._run, daemon=True)
        self._t.start()

    def _run(self) -> None:
        try:
            while True:
                self.q.put(self.ws.receive_json())
        except Exception as exc:
            self.q.put(exc)

    def until(
        self, pred: Callable[[dict[str, Any]], bool], timeout: float = 10.0
    ) -> dict[str, Any]:
        while True:
            item = self.q.get(timeout=timeout)
            if isinstance(item, Exception):
                raise item
            if pred(item):
                out: dict[str, Any] = item
                return out
