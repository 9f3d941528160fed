"""``onestory churn`` commands."""

from __future__ import annotations

import typer

app = typer.Typer(help="Churn-risk model: train, score.", no_args_is_help=True)
