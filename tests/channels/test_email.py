"""Email: MIME parsing, reply stripping, threading, and the inbound SMTP server's answers."""

from __future__ import annotations

import email.policy
import re
import smtplib
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path

import pytest

from onestory.channels.email import MailRejected, html_to_text, parse, strip_reply
from onestory.channels.settings import EmailSettings
from onestory.conversations.models import Conversation
from tests.channels.conftest import Channels, channel_settings
from tests.conftest import make_settings, open_api

SETTINGS = EmailSettings(max_attachment_bytes=1000)


def test_strip_reply_drops_quotes_and_signatures() -> None:
    text = (
        "Thanks, that fixed it.\n\nBest\n-- \nAda Lovelace\nAnalytical Engines Ltd\n\n"
        "On Mon, 2 Nov 2026 at 09:00, Support <s@brand.example>\nwrote:\n> Try restarting\n"
    )
    assert strip_reply(text) == "Thanks, that fixed it.\n\nBest"
    assert strip_reply("Yes please\n\nSent from my iPhone\n") == "Yes please"
    outlook = "Fine.\n\n-----Original Message-----\nFrom: Support\nSubject: x\n\nOld text"
    assert strip_reply(outlook) == "Fine."
    inline = "> Can you confirm the address?\n12 Baker Street\n> And the date?\nFriday"
    assert strip_reply(inline) == "12 Baker Street\nFriday"


def test_html_only_mail_becomes_text_without_quoted_block() -> None:
    html = (
        "<html><head><style>p{}</style></head><body><p>My invoice is <b>wrong</b>.</p>"
        "<div class='gmail_quote'>On Monday you wrote: old stuff</div><script>x()</script>"
        "</body></html>"
    )
    assert html_to_text(html) == "My invoice is wrong."
    mail = EmailMessage()
    mail["From"] = "bob@example.com"
    mail["Subject"] = "Invoice"
    mail["Message-ID"] = "<m1@example.com>"
    mail["In-Reply-To"] = "<ours-1@brand.example>"
    mail["References"] = "<ours-0@brand.example> <ours-1@brand.example>"
    mail.set_content(html, subtype="html")
    mail.add_attachment(b"x" * 2000, maintype="application", subtype="pdf", filename="big.pdf")
    mail.add_attachment(b"y" * 10, maintype="image", subtype="png", filename="small.png")
    p = parse(bytes(mail), SETTINGS)
    assert p["text"] == "My invoice is wrong."
    assert p["html"] is True
    assert p["in_reply_to"] == "<ours-1@brand.example>"
    assert p["references"] == ["<ours-0@brand.example>", "<ours-1@brand.example>"]
    assert p["attachments"] == [
        {"filename": "big.pdf", "content_type": "application/pdf", "size": 2000, "too_large": True},
        {"filename": "small.png", "content_type": "image/png", "size": 10},
    ]


def test_malformed_mime_is_refused_or_recorded_with_defects() -> None:
    with pytest.raises(MailRejected) as exc:
        parse(b"this is not an email at all\x00\xff", SETTINGS)
    assert exc.value.code == 550
    broken = (
        b"From: carol@example.com\r\nSubject: broken\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: multipart/mixed; boundary="zzz"\r\n\r\n'
        b"--zzz\r\nContent-Type: text/plain; charset=bogus-charset\r\n\r\nhello there\r\n"
    )
    p = parse(broken, SETTINGS)
    assert p["text"] == "hello there"
    assert p["defects"]  # the missing closing boundary is reported, not fatal


def smtp_send(port: int, mail: EmailMessage | bytes, sender: str = "ada@example.com") -> str:
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as smtp:
        smtp.ehlo()
        raw = mail if isinstance(mail, bytes) else mail.as_bytes(policy=email.policy.SMTP)
        code, reply = smtp.docmd("MAIL", f"FROM:<{sender}>")
        assert code == 250
        code, reply = smtp.docmd("RCPT", "TO:<support@brand.example>")
        assert code == 250
        code, reply = smtp.data(raw)
        return f"{code} {reply.decode()}"


def mail(mid: str, text: str, sender: str = "ada@example.com") -> EmailMessage:
    m = EmailMessage()
    m["From"] = sender
    m["To"] = "support@brand.example"
    m["Subject"] = "Help"
    m["Message-ID"] = mid
    m.set_content(text)
    return m


def test_smtp_server_answers_clearly_and_never_duplicates(chan: Channels) -> None:
    port = chan.smtp_port
    assert smtp_send(port, mail("<a1@example.com>", "My router is broken")).startswith("250")
    replay = smtp_send(port, mail("<a1@example.com>", "My router is broken"))
    assert replay.startswith("250") and "duplicate" in replay
    assert smtp_send(port, b"Subject: no sender\r\n\r\nbody").startswith("550")
    huge = mail("<a2@example.com>", "see attachment")
    huge.add_attachment(b"z" * 300_000, maintype="application", subtype="zip", filename="x.zip")
    assert smtp_send(port, huge).startswith("552")
    big_att = mail("<a3@example.com>", "photo attached")
    big_att.add_attachment(b"p" * 60_000, maintype="image", subtype="jpeg", filename="p.jpg")
    assert smtp_send(port, big_att).startswith("250")
    chan.settle()
    convs = chan.api.get("/v1/conversations", params={"channel": "email"}).json()
    assert convs["total"] == 1
    conv = chan.api.get(f"/v1/conversations/{convs['items'][0]['id']}").json()
    assert [m["text"] for m in conv["messages"]] == ["My router is broken", "photo attached"]
    assert conv["messages"][1]["attachments"][0]["too_large"] is True
    assert conv["messages"][0]["external_id"] == "<a1@example.com>"

    # An agent answers by email: threading headers point at the customer's message...
    r = chan.api.post(f"/v1/conversations/{conv['id']}/reply", json={"text": "Try a restart"})
    assert r.status_code == 202, r.text
    chan.settle()
    [(_sender, rcpts, raw)] = chan.mail.sent
    assert rcpts == ["ada@example.com"]
    assert b"In-Reply-To: <a3@example.com>" in raw
    assert b"References: <a1@example.com> <a3@example.com>" in raw
    assert b"Subject: Re: Help" in raw
    found = re.search(rb"Message-ID: (<[^>]+>)", raw)
    assert found is not None
    our_id = found.group(1).decode()
    # The conversation is resolved long ago; a reply threaded to our message reopens it
    # (a message without threading would start a new conversation after the quiet period).
    r = chan.api.post(f"/v1/conversations/{conv['id']}/resolve", json={})
    assert r.json()["status"] == "resolved"
    with chan.api.runtime.db.transaction(write=True) as s:
        row = s.get(Conversation, conv["id"])
        assert row is not None
        row.resolved_at = datetime.now(UTC) - timedelta(days=30)
    answer = mail("<b1@example.com>", "It broke again.\n\nOn Mon, Support wrote:\n> Try a restart")
    answer["In-Reply-To"] = our_id
    assert smtp_send(port, answer).startswith("250")
    chan.settle()
    conv = chan.api.get(f"/v1/conversations/{conv['id']}").json()
    assert conv["status"] == "waiting_on_us"
    assert [m["text"] for m in conv["messages"]][-2:] == ["Try a restart", "It broke again."]
    assert conv["messages"][-2]["status"] == "sent"
    # Someone else replying to our message does not join Ada's conversation.
    other = mail("<c1@example.org>", "I am her colleague", sender="bob@example.org")
    other["In-Reply-To"] = our_id
    assert smtp_send(port, other, "bob@example.org").startswith("250")
    chan.settle()
    assert chan.api.get(f"/v1/conversations/{conv['id']}").json()["message_count"] == 4
    assert chan.api.get("/v1/conversations").json()["total"] == 2


@pytest.fixture
def strict(tmp_path: Path, database_url: str) -> Iterator[Channels]:
    settings = make_settings(
        tmp_path, database_url, channels=channel_settings(accept_unknown_senders=False)
    )
    for api in open_api(settings):
        yield Channels(api)


def test_unknown_senders_can_be_refused(strict: Channels) -> None:
    reply = smtp_send(
        strict.smtp_port,
        mail("<u1@example.com>", "hi", "stranger@example.com"),
        "stranger@example.com",
    )
    assert reply.startswith("550") and "unknown sender" in reply
    r = strict.api.post(
        "/v1/events",
        json={
            "type": "profile.updated",
            "source": "crm",
            "occurred_at": "2026-11-25T10:00:00Z",
            "customer": {"email": "known@example.com"},
            "payload": {},
        },
    )
    assert r.status_code == 201
    ok = smtp_send(
        strict.smtp_port,
        mail("<k1@example.com>", "hello", "known@example.com"),
        "known@example.com",
    )
    assert ok.startswith("250")
