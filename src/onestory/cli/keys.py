"""``onestory keys``: create, list and revoke API keys."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from onestory.auth import service
from onestory.cli.common import open_store
from onestory.kit.clock import SystemClock

app = typer.Typer(
    help="Manage API keys (stored hashed; the secret is shown once).", no_args_is_help=True
)
console = Console()


@app.command("create")
def create(
    name: Annotated[str, typer.Option(help="Who or what uses the key")] = "default",
    scope: Annotated[
        list[str] | None, typer.Option("--scope", "-s", help="Repeat for several; default admin")
    ] = None,
) -> None:
    """Create a key and print its secret (only now)."""
    db = open_store()
    with db.transaction() as session:
        key, secret = service.create_key(session, name, scope or ["admin"], clock=SystemClock())
        key_id, scopes = key.id, key.scopes
    console.print(f"[green]created[/] {key_id} ({', '.join(scopes)})")
    typer.echo(secret)


@app.command("list")
def list_() -> None:
    """List keys (never their secrets)."""
    db = open_store()
    table = Table("id", "name", "prefix", "scopes", "created", "revoked")
    with db.transaction() as session:
        for k in service.list_keys(session):
            table.add_row(
                k.id,
                k.name,
                k.prefix + "…",
                ", ".join(k.scopes),
                k.created_at.isoformat(timespec="seconds"),
                k.revoked_at.isoformat(timespec="seconds") if k.revoked_at else "",
            )
    console.print(table)


@app.command("revoke")
def revoke(key_id: str) -> None:
    """Revoke a key: its next request is refused (401) by every running process."""
    db = open_store()
    with db.transaction() as session:
        service.revoke_key(session, key_id, clock=SystemClock())
    console.print(f"revoked {key_id}")


@app.command("scopes")
def scopes() -> None:
    """List the scopes a key can hold."""
    for name, what in service.SCOPES.items():
        console.print(f"[bold]{name}[/]: {what}")
