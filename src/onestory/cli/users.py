"""``onestory users`` commands."""

from __future__ import annotations

import typer

app = typer.Typer(help="Users of the web UI: create, list, disable.", no_args_is_help=True)
