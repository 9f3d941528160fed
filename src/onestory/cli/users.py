"""``onestory users``: create, list and disable users of the web UI."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from onestory.cli.common import open_store
from onestory.kit.clock import SystemClock
from onestory.kit.errors import OneStoryError
from onestory.users import queues, service
from onestory.users.models import User

app = typer.Typer(
    help="Users of the web UI: create, list, disable; their conversation queues.",
    no_args_is_help=True,
)
queues_app = typer.Typer(
    help="Queue membership: the conversations of a user's queues fill their 'My queues' inbox.",
    no_args_is_help=True,
)
app.add_typer(queues_app, name="queues")
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
    table = Table("id", "username", "name", "role", "queues", "created", "last sign-in", "disabled")

    def when(u: User) -> tuple[str, str, str]:
        return (
            u.created_at.isoformat(timespec="seconds"),
            u.last_login_at.isoformat(timespec="seconds") if u.last_login_at else "",
            u.disabled_at.isoformat(timespec="seconds") if u.disabled_at else "",
        )

    with db.transaction(write=True) as session:
        for u in service.list_users(session):
            member_of = ", ".join(queues.queues_of(session, u.id))
            table.add_row(u.id, u.username, u.display_name, u.role, member_of, *when(u))
    console.print(table)


@app.command("disable")
def disable(username: str) -> None:
    """Disable a user and sign them out everywhere."""
    db = open_store()
    with db.transaction(write=True) as session:
        service.disable_user(session, username, clock=SystemClock())
    console.print(f"disabled {username}")


@contextmanager
def _refused() -> Iterator[None]:
    """A refused change (unknown user, not a member, ...) is one red line, exit code 1."""
    try:
        yield
    except OneStoryError as exc:
        console.print(f"[red]{exc.detail}[/]")
        raise typer.Exit(1) from exc


@queues_app.command("add")
def queues_add(
    username: str,
    queue_names: Annotated[list[str], typer.Argument(metavar="QUEUE...", help="Queue names")],
) -> None:
    """Add a user to one or more queues (adding twice changes nothing)."""
    db = open_store()
    with _refused(), db.transaction(write=True) as session:
        added = [
            queues.add_member(session, username, q, by="cli", clock=SystemClock())
            for q in queue_names
        ]
    for row, created in added:
        console.print(f"{username} {'added to' if created else 'already in'} {row.queue}")


@queues_app.command("remove")
def queues_remove(
    username: str,
    queue_names: Annotated[list[str], typer.Argument(metavar="QUEUE...", help="Queue names")],
) -> None:
    """Remove a user from one or more queues."""
    db = open_store()
    with _refused(), db.transaction(write=True) as session:
        for q in queue_names:
            queues.remove_member(session, username, q)
    console.print(f"{username} removed from {', '.join(queue_names)}")


@queues_app.command("list")
def queues_list(
    queue: Annotated[str | None, typer.Option(help="Only this queue")] = None,
    username: Annotated[str | None, typer.Option(help="Only this user")] = None,
) -> None:
    """Who works which queue."""
    db = open_store()
    table = Table("queue", "username", "name", "role", "added", "by")
    with _refused(), db.transaction() as session:
        for m in queues.memberships(session, queue=queue, username=username):
            who = m.username + (" (disabled)" if m.disabled else "")
            added = m.added_at.isoformat(timespec="seconds")
            table.add_row(m.queue, who, m.display_name, m.role, added, m.added_by)
    console.print(table)
