"""Email: an inbound SMTP server (aiosmtpd), MIME parsing, threading, reply stripping, and
outbound SMTP with threading headers."""

from __future__ import annotations

import asyncio
import email.policy
import hashlib
import logging
import re
import smtplib
from email.message import EmailMessage
from email.utils import formatdate, getaddresses, parseaddr
from html.parser import HTMLParser
from typing import Any

from aiosmtpd.smtp import SMTP, Envelope, Session

from onestory.app_state import Runtime
from onestory.channels.base import MailTransport, OutboundMessage, SendResult
from onestory.channels.inbound import Inbound
from onestory.channels.settings import EmailSettings
from onestory.conversations import repository as conv_repo
from onestory.customers import repository as customers_repo
from onestory.customers.identity import normalize_email

log = logging.getLogger(__name__)

MAX_TEXT = 50_000


# --- parsing ------------------------------------------------------------------------------
class _Text(HTMLParser):
    BLOCK = frozenset({"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "blockquote"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0
        self._quote = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        classes = " ".join(v or "" for k, v in attrs if k == "class")
        if tag in ("script", "style", "head"):
            self._skip += 1
        elif tag == "blockquote" or "gmail_quote" in classes:
            self._quote += 1
        if tag in self.BLOCK:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style", "head") and self._skip:
            self._skip -= 1
        elif tag == "blockquote" and self._quote:
            self._quote -= 1
        if tag in self.BLOCK:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._skip and not self._quote:
            self.parts.append(data)


def html_to_text(html: str) -> str:
    """Readable text of an HTML body (quoted blocks and scripts left out)."""
    p = _Text()
    p.feed(html)
    p.close()
    text = "".join(p.parts)
    text = re.sub(r"[ \t\r\f\v]+", " ", text)
    return re.sub(r"\n\s*\n+", "\n\n", text).strip()


_QUOTE_HEADERS = (
    re.compile(r"^On .{0,300}wrote:\s*$", re.S),
    re.compile(r"^-{2,}\s*Original Message\s*-{2,}", re.I),
    re.compile(r"^_{10,}\s*$"),
    re.compile(r"^From:\s.+", re.I),
    re.compile(r"^Am .{0,200} schrieb .{0,200}:\s*$"),
    re.compile(r"^Le .{0,200} a écrit\s*:\s*$"),
)
_SIGNATURE = (
    re.compile(r"^--\s?$"),
    re.compile(r"^Sent from my \w+", re.I),
    re.compile(r"^Get Outlook for ", re.I),
)


def strip_reply(text: str) -> str:
    """The new part of a reply: without the quoted original and without the signature."""
    lines = text.replace("\r\n", "\n").split("\n")
    out: list[str] = []
    for i, line in enumerate(lines):
        stripped = line.strip()
        # "On Tue, ... wrote:" is often wrapped over two lines.
        joined = f"{stripped} {lines[i + 1].strip()}" if i + 1 < len(lines) else stripped
        if any(p.match(stripped) for p in _QUOTE_HEADERS) or (
            stripped.startswith("On ") and _QUOTE_HEADERS[0].match(joined)
        ):
            break
        if stripped.startswith(">"):
            # A quoted block; keep going only if new text follows (inline replies).
            if all(not s.strip() or s.strip().startswith(">") for s in lines[i:]):
                break
            continue
        if any(p.match(line.rstrip() if p is _SIGNATURE[0] else stripped) for p in _SIGNATURE):
            break
        out.append(line)
    return "\n".join(out).strip()


def _message_ids(value: str | None) -> list[str]:
    return re.findall(r"<[^<>\s]{1,490}>", value or "")


class MailRejected(Exception):
    """The message cannot be accepted; ``code`` and ``reason`` go back to the SMTP client."""

    def __init__(self, code: int, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason


def parse(raw: bytes, settings: EmailSettings) -> dict[str, Any]:
    """A raw RFC 5322 message as the parts we record. Raises ``MailRejected``."""
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    if not isinstance(msg, EmailMessage):  # pragma: no cover - the policy guarantees it
        raise MailRejected(554, "5.6.0 the message could not be parsed")
    try:
        from_header = str(msg.get("From", "") or "")
    except Exception:
        from_header = ""
    name, address = parseaddr(from_header)
    if not address or "@" not in address:
        raise MailRejected(550, "5.1.7 the message has no valid From address")
    defects = [type(d).__name__ for d in msg.defects]
    plain: str | None = None
    html: str | None = None
    attachments: list[dict[str, Any]] = []
    for part in msg.walk() if msg.is_multipart() else [msg]:
        defects.extend(type(d).__name__ for d in getattr(part, "defects", []))
        if part.is_multipart():
            continue
        disposition = part.get_content_disposition()
        ctype = part.get_content_type()
        filename = part.get_filename()
        if (
            disposition == "attachment"
            or (filename and disposition != "inline")
            or (not ctype.startswith("text/") and disposition != "inline")
        ):
            payload = part.get_payload(decode=True)
            size = len(payload) if isinstance(payload, bytes) else 0
            info: dict[str, Any] = {
                "filename": (filename or f"part-{len(attachments) + 1}")[:300],
                "content_type": ctype[:200],
                "size": size,
            }
            if size > settings.max_attachment_bytes:
                info["too_large"] = True
            attachments.append(info)
            continue
        try:
            content = part.get_content()
        except (LookupError, UnicodeError, ValueError, AssertionError):
            raw_payload = part.get_payload(decode=True)
            content = (
                raw_payload.decode("utf-8", "replace") if isinstance(raw_payload, bytes) else ""
            )
            defects.append("UndecodableText")
        if not isinstance(content, str):
            continue
        if ctype == "text/html" and html is None:
            html = content
        elif ctype == "text/plain" and plain is None:
            plain = content
    body = plain if plain is not None else html_to_text(html) if html is not None else ""
    text = strip_reply(body) or body.strip()
    subject = str(msg.get("Subject", "") or "").strip()[:1000]
    own_ids = _message_ids(str(msg.get("Message-ID", "") or ""))
    message_id = own_ids[0] if own_ids else None
    in_reply_to = _message_ids(str(msg.get("In-Reply-To", "") or ""))
    references = _message_ids(str(msg.get("References", "") or ""))
    return {
        "from_name": name[:200] or None,
        "from": address.lower()[:320],
        "to": [a for _n, a in getaddresses([str(msg.get("To", "") or "")]) if a][:20],
        "subject": subject or None,
        "text": text[:MAX_TEXT],
        "html": html is not None,
        "message_id": message_id,
        "in_reply_to": in_reply_to[0] if in_reply_to else None,
        "references": references[-20:],
        "attachments": attachments[:50],
        "defects": sorted(set(defects))[:20],
    }


def _lookup(runtime: Runtime, parsed: dict[str, Any]) -> tuple[str | None, bool]:
    """(conversation id the mail replies to, whether the sender is a known customer)."""
    thread_ids = [x for x in [parsed["in_reply_to"], *reversed(parsed["references"])] if x]
    with runtime.db.transaction() as s:
        conversation_id = None
        for m in conv_repo.by_external_ids(s, thread_ids):
            conversation_id = m.conversation_id
            break
        try:
            key = f"email:{normalize_email(parsed['from'])}"
        except Exception:
            key = f"email:{parsed['from']}"
        known = bool(customers_repo.identities_by_key(s, [key]))
    return conversation_id, known


async def receive_mail(runtime: Runtime, inbound: Inbound, raw: bytes) -> dict[str, Any]:
    """Record one inbound email; answers ``{"id", "customer_id", "duplicate"}``."""
    settings = runtime.settings.channels.email
    parsed = await asyncio.to_thread(parse, raw, settings)
    conversation_id, known = await asyncio.to_thread(_lookup, runtime, parsed)
    if not known and conversation_id is None and not settings.accept_unknown_senders:
        raise MailRejected(550, "5.7.1 unknown sender: only customers we know may write here")
    payload: dict[str, Any] = {
        "text": parsed["text"] or "(no text)",
        "author": "customer",
        "message_id": parsed["message_id"],
        "in_reply_to": parsed["in_reply_to"],
        "references": parsed["references"],
        "attachments": parsed["attachments"],
        "to": parsed["to"],
    }
    if parsed["subject"]:
        payload["subject"] = parsed["subject"]
    if conversation_id:
        payload["conversation_id"] = conversation_id
    if parsed["defects"]:
        payload["mime_defects"] = parsed["defects"]
    if parsed["html"]:
        payload["html"] = True
    key = parsed["message_id"] or "sha256:" + hashlib.sha256(raw).hexdigest()
    customer: dict[str, Any] = {"email": parsed["from"]}
    if parsed["from_name"]:
        customer["name"] = parsed["from_name"]
    envelope = {
        "type": "message.received",
        "source": "email",
        "channel": "email",
        "occurred_at": runtime.clock.now().isoformat(),
        "customer": customer,
        "payload": {k: v for k, v in payload.items() if v is not None},
        "idempotency_key": f"mid:{key}"[:200],
    }
    (outcome,) = await inbound.receive([envelope])
    if outcome.status >= 400:
        reasons = "; ".join(f"{e['field']}: {e['reason']}" for e in outcome.errors)[:300]
        code = 552 if outcome.status == 413 else 550
        raise MailRejected(code, f"5.6.0 the message was refused: {reasons}")
    return {"id": outcome.id, "customer_id": outcome.customer_id, "duplicate": outcome.duplicate}


# --- inbound server ----------------------------------------------------------------------
class InboundHandler:
    """aiosmtpd handler: each accepted message becomes a ``message.received`` event."""

    def __init__(self, runtime: Runtime, inbound: Inbound) -> None:
        self.runtime = runtime
        self.inbound = inbound

    async def handle_RCPT(
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        address: str,
        rcpt_options: list[str],
    ) -> str:
        domains = self.runtime.settings.channels.email.accept_domains
        if domains and address.rsplit("@", 1)[-1].lower() not in [d.lower() for d in domains]:
            return "550 5.1.1 we do not accept mail for this address"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or envelope.content
        if not isinstance(raw, bytes):
            raw = str(raw or "").encode()
        try:
            result = await receive_mail(self.runtime, self.inbound, raw)
        except MailRejected as exc:
            return f"{exc.code} {exc.reason}"
        except Exception:
            log.exception("email: recording an inbound message failed")
            return "451 4.3.0 temporary failure, try again later"
        return f"250 2.0.0 {'duplicate ' if result['duplicate'] else ''}accepted as {result['id']}"


class InboundServer:
    """The inbound SMTP server on the app's event loop (a background service)."""

    name = "email-inbound"

    def __init__(self, runtime: Runtime, inbound: Inbound) -> None:
        self.runtime = runtime
        self.inbound = inbound
        self.server: asyncio.base_events.Server | None = None
        self.port: int | None = None

    async def start(self) -> None:
        s = self.runtime.settings.channels.email
        handler = InboundHandler(self.runtime, self.inbound)
        loop = asyncio.get_running_loop()
        self.server = await loop.create_server(
            lambda: SMTP(
                handler,
                data_size_limit=s.max_message_bytes,
                hostname="onestory",
                ident="OneStory inbound mail",
            ),
            host=s.inbound_host,
            port=s.inbound_port,
        )
        self.port = self.server.sockets[0].getsockname()[1]
        log.info("inbound SMTP listening on %s:%s", s.inbound_host, self.port)

    async def stop(self) -> None:
        if self.server is not None:
            self.server.close()
            await self.server.wait_closed()
            self.server = None


# --- outbound ----------------------------------------------------------------------------
class SmtpTransport:
    """The default ``MailTransport``: ``smtplib`` to the configured relay."""

    def __init__(self, settings: EmailSettings) -> None:
        self.settings = settings

    def send_mail(self, sender: str, recipients: list[str], message: bytes) -> None:
        s = self.settings
        with smtplib.SMTP(s.smtp_host, s.smtp_port, timeout=s.smtp_timeout_seconds) as smtp:
            if s.smtp_starttls:
                smtp.starttls()
            if s.smtp_username:
                smtp.login(s.smtp_username, s.smtp_password)
            smtp.sendmail(sender, recipients, message)


class EmailSender:
    """``Sender`` for the email channel: threading headers so replies land in the thread."""

    def __init__(self, transport: MailTransport, settings: EmailSettings) -> None:
        self.transport = transport
        self.settings = settings

    def build(self, message: OutboundMessage) -> EmailMessage:
        domain = self.settings.from_address.rsplit("@", 1)[-1] or "onestory.local"
        mail = EmailMessage()
        mail["From"] = self.settings.from_address
        mail["To"] = message.address or ""
        mail["Subject"] = message.subject or "Your conversation with us"
        mail["Date"] = formatdate(localtime=False, usegmt=True)
        mail["Message-ID"] = f"<{message.event_id}@{domain}>"
        for name in ("In-Reply-To", "References"):
            if message.headers.get(name):
                mail[name] = message.headers[name]
        if message.conversation_id:
            mail["X-OneStory-Conversation"] = message.conversation_id
        mail.set_content(message.text)
        return mail

    def send(self, message: OutboundMessage) -> SendResult:
        if not message.address:
            return SendResult(False, error="the customer has no email address")
        mail = self.build(message)
        try:
            self.transport.send_mail(self.settings.from_address, [message.address], bytes(mail))
        except (smtplib.SMTPException, OSError) as exc:
            return SendResult(False, error=f"{type(exc).__name__}: {exc}"[:500])
        return SendResult(True, provider_id=str(mail["Message-ID"]), status="sent")
