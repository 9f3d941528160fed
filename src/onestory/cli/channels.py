"""``onestory channels`` commands."""

from __future__ import annotations

import typer

app = typer.Typer(
    help="Channels: run the inbound SMTP server, show widget snippet.", no_args_is_help=True
)
