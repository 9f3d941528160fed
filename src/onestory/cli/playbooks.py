"""``onestory playbooks`` commands."""

from __future__ import annotations

import typer

app = typer.Typer(help="Proactive playbooks: list, validate, simulate.", no_args_is_help=True)
