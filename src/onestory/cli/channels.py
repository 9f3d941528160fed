"""``onestory channels`` commands."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy import func, select

from onestory.channels.twilio import signature
from onestory.channels.widget import email_hash, user_hash
from onestory.cli.common import open_store
from onestory.config import get_settings, with_generated_secrets
from onestory.conversations.models import OutboxItem
from onestory.kit import signing
from onestory.kit.clock import SystemClock

app = typer.Typer(
    help=(
        "Channels: widget snippet and user signing, webhook and Twilio signatures, outbox status."
    ),
    no_args_is_help=True,
)
console = Console()


@app.command("widget-snippet")
def widget_snippet(
    user_id: Annotated[str | None, typer.Option(help="Sign this user id (host-site login)")] = None,
) -> None:
    """Print the <script> tag that embeds the chat widget on a web page."""
    settings = with_generated_secrets(get_settings())
    base = (settings.channels.public_base_url or settings.base_url).rstrip("/")
    attrs = ""
    if user_id:
        digest = user_hash(settings.channels.widget_secret, user_id)
        attrs = f' data-user-id="{user_id}" data-user-hash="{digest}"'
    typer.echo(f'<script src="{base}/v1/widget/widget.js" defer{attrs}></script>')


@app.command("sign-user")
def sign_user(
    user_id: str,
    email: Annotated[
        bool, typer.Option("--email", help="The value is an email: print its data-email-hash")
    ] = False,
) -> None:
    """Print HMAC-SHA256(widget_secret, user_id) in hex, as a host site must compute it
    (with --email: HMAC-SHA256(widget_secret, "email:" + email), the widget's email_hash)."""
    secret = with_generated_secrets(get_settings()).channels.widget_secret
    typer.echo(email_hash(secret, user_id) if email else user_hash(secret, user_id))


@app.command("sign-webhook")
def sign_webhook(
    url: Annotated[str, typer.Argument(help="The URL (or path) the request is sent to")],
    body: Annotated[
        Path, typer.Option("--body", "-b", help="File with the exact body bytes; - for stdin")
    ] = Path("-"),
    method: Annotated[str, typer.Option(help="HTTP method")] = "POST",
) -> None:
    """Print the X-OneStory-Timestamp and X-OneStory-Signature headers for a webhook request
    signed now with the webhook secret (valid for the signature window, 300 s by default)."""
    raw = sys.stdin.buffer.read() if str(body) == "-" else body.read_bytes()
    secret = with_generated_secrets(get_settings()).channels.webhook_secret
    for name, value in signing.sign_headers(secret, method, url, raw, SystemClock().now()).items():
        typer.echo(f"{name}: {value}")


@app.command("twilio-signature")
def twilio_signature(
    url: str,
    param: Annotated[
        list[str] | None, typer.Option("--param", "-p", help="name=value; repeat")
    ] = None,
) -> None:
    """Compute the X-Twilio-Signature for a webhook URL and POST parameters (debugging)."""
    token = get_settings().channels.twilio.auth_token
    if not token:
        raise typer.BadParameter("set ONESTORY_CHANNELS__TWILIO__AUTH_TOKEN first")
    params = dict(p.split("=", 1) for p in param or [])
    typer.echo(signature(token, url, params))


@app.command("outbox")
def outbox() -> None:
    """Outbound delivery: how many messages are pending, sending, sent or failed."""
    db = open_store()
    table = Table("channel", "status", "count")
    with db.transaction() as s:
        rows = s.execute(
            select(OutboxItem.channel, OutboxItem.status, func.count())
            .group_by(OutboxItem.channel, OutboxItem.status)
            .order_by(OutboxItem.channel, OutboxItem.status)
        ).all()
    for channel, status, n in rows:
        table.add_row(channel, status, str(n))
    console.print(table)
    db.dispose()
