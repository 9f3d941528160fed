"""``onestory users``: create, list and disable users of the web UI."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from onestory.cli.common import open_store
from onestory.kit.clock import SystemClock
from onestory.users import service
from onestory.users.models import User

app = typer.Typer(help="Users of the web UI: create, list, disable.", no_args_is_help=True)
console = Console()


@app.command("create")
def create(
    username: Annotated[str, typer.Argument(help="Sign-in name (case-insensitive)")],
    role: Annotated[
        str, typer.Option(help="agent | technician | backoffice | supervisor | admin")
    ] = "agent",
    name: Annotated[str | None, typer.Option(help="Display name")] = None,
    password: Annotated[
        str | None,
        typer.Option(
            envvar="ONESTORY_USER_PASSWORD",
            help="Asked for (hidden) when not given; at least 10 characters",
        ),
    ] = None,
) -> None:
    """Create a user (the password is stored as an argon2id hash)."""
    if password is None:
        password = typer.prompt("password", hide_input=True, confirmation_prompt=True)
    db = open_store()
    with db.transaction(write=True) as session:
        user = service.create_user(
            session, username, password, role, clock=SystemClock(), display_name=name
        )
        uid, uname = user.id, user.username
    console.print(f"[green]created[/] {uid} {uname} ({role})")


@app.command("list")
def list_() -> None:
    """List users (never their password hashes)."""
    db = open_store()
    table = Table("id", "username", "name", "role", "created", "last sign-in", "disabled")

    def when(u: User) -> tuple[str, str, str]:
        return (
            u.created_at.isoformat(timespec="seconds"),
            u.last_login_at.isoformat(timespec="seconds") if u.last_login_at else "",
            u.disabled_at.isoformat(timespec="seconds") if u.disabled_at else "",
        )

    with db.transaction(write=True) as session:
        for u in service.list_users(session):
            table.add_row(u.id, u.username, u.display_name, u.role, *when(u))
    console.print(table)


@app.command("disable")
def disable(username: str) -> None:
    """Disable a user and sign them out everywhere."""
    db = open_store()
    with db.transaction(write=True) as session:
        service.disable_user(session, username, clock=SystemClock())
    console.print(f"disabled {username}")
