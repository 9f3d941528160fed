"""``onestory init | serve | worker | demo | import``."""

from __future__ import annotations

import asyncio
import csv
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any

import typer
import uvicorn
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from sqlalchemy import func, select

from onestory import bootstrap
from onestory.app import create_app
from onestory.auth import service as auth_service
from onestory.cli.common import open_store, setup_logging
from onestory.config import get_settings
from onestory.ingest.service import ingest_with_retry
from onestory.kit import gctune
from onestory.kit.clock import SystemClock
from onestory.models import ApiKey, Event

console = Console()
err_console = Console(stderr=True)


def init() -> None:
    """Create the data directory and the database schema (idempotent)."""
    settings = get_settings()
    db = open_store()
    with db.transaction() as session:
        has_key = session.scalar(select(func.count()).select_from(ApiKey))
        if not has_key:
            _key, secret = auth_service.create_key(
                session, "bootstrap admin", ["admin"], clock=SystemClock()
            )
            key_file = settings.data_dir / "admin-api-key.txt"
            key_file.write_text(secret + "\n")
            key_file.chmod(0o600)
            console.print(f"created an admin API key; its secret is in [bold]{key_file}[/]")
    console.print(f"store ready: {db.engine.url.render_as_string(hide_password=True)}")
    db.dispose()


def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port")] = 8000,
) -> None:
    """Serve the API, live updates and the web UI (with the pipeline workers in-process)."""
    setup_logging()
    gctune.enable()
    settings = get_settings()
    console.print(
        f"OneStory is serving at [bold]http://{host}:{port}/[/]  (API docs: http://{host}:{port}/docs)"
    )
    # log_config=None: uvicorn's loggers propagate to the root handlers set up above, which
    # carry the personal-data filter.
    uvicorn.run(
        create_app(settings),
        host=host,
        port=port,
        log_level=settings.log_level.lower(),
        log_config=None,
    )


def worker() -> None:
    """Run the pipeline stage workers without the API (scale-out: ONESTORY_BUS=redis)."""
    setup_logging()
    gctune.enable()
    settings = get_settings()

    async def main() -> None:
        application = bootstrap.build(settings)
        await bootstrap.start(application, workers=True)
        console.print(f"worker consuming the {application.core.bus.name} bus; Ctrl-C to stop")
        try:
            await asyncio.Event().wait()
        finally:
            await bootstrap.stop(application)

    asyncio.run(main())


def _record_all(
    events: Iterator[dict[str, Any]], total: int, label: str, batch: int = 1000
) -> tuple[int, int]:
    gctune.enable()
    settings = get_settings()
    # The whole application: its core records through the personal-data filter.
    runtime = bootstrap.build(settings).core
    accepted = rejected = 0
    chunk: list[dict[str, Any]] = []
    with Progress(
        TextColumn(label), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(), console=console
    ) as progress:
        task = progress.add_task(label, total=total)

        def flush() -> None:
            nonlocal accepted, rejected
            outcomes, _recorded = ingest_with_retry(runtime, chunk)
            accepted += sum(1 for o in outcomes if o.status < 400)
            rejected += sum(1 for o in outcomes if o.status >= 400)
            progress.advance(task, len(chunk))
            chunk.clear()

        for ev in events:
            chunk.append(ev)
            if len(chunk) >= batch:
                flush()
        if chunk:
            flush()
    runtime.db.dispose()
    return accepted, rejected


def demo(
    customers: Annotated[int, typer.Option(help="How many customers")] = 500,
    days: Annotated[int, typer.Option(help="Days of history")] = 90,
    seed: Annotated[int, typer.Option(help="Random seed (same seed, same world)")] = 7,
    if_empty: Annotated[
        bool, typer.Option("--if-empty", help="Do nothing if the store has events")
    ] = False,
) -> None:
    """Load a realistic, seeded demo world (customers, journeys across every channel)."""
    from onestory.demo.generator import generate_world

    db = open_store()
    with db.transaction() as session:
        existing = session.scalar(select(func.count()).select_from(Event)) or 0
    db.dispose()
    if if_empty and existing:
        console.print(f"store already holds {existing} events; demo not loaded")
        return
    now = SystemClock().now()
    events = list(generate_world(customers=customers, days=days, seed=seed, now=now))
    accepted, rejected = _record_all(iter(events), len(events), "demo")
    console.print(
        f"demo world recorded: {accepted} events ({rejected} rejected); the server processes them"
    )
    users_file = create_demo_users(get_settings().data_dir)
    if users_file is not None:
        console.print(f"demo users (one per role) can sign in; passwords in [bold]{users_file}[/]")


DEMO_USERS = (
    ("amy", "agent", "Amy (agent)"),
    ("tom", "technician", "Tom (technician)"),
    ("bea", "backoffice", "Bea (back office)"),
    ("sue", "supervisor", "Sue (supervisor)"),
)
# The queues demo users work ("general" is where new conversations land).
DEMO_QUEUES = {"amy": ("general", "billing"), "sue": ("general", "billing", "field")}


def create_demo_users(data_dir: Path) -> Path | None:
    """One user per role for a demo store that has none; random passwords written to
    ``<data_dir>/demo-users.txt`` (mode 0600). Returns None when users exist already."""
    import secrets

    from onestory.users.models import User
    from onestory.users.queues import add_member
    from onestory.users.service import create_user

    db = open_store()
    try:
        with db.transaction(write=True) as session:
            if session.scalar(select(func.count()).select_from(User)):
                return None
            lines = []
            for username, role, name in DEMO_USERS:
                password = secrets.token_urlsafe(12)
                create_user(
                    session, username, password, role, clock=SystemClock(), display_name=name
                )
                for queue in DEMO_QUEUES.get(username, ()):
                    add_member(session, username, queue, by="demo", clock=SystemClock())
                lines.append(f"{username}\t{role}\t{password}")
    finally:
        db.dispose()
    path = data_dir / "demo-users.txt"
    path.write_text("username\trole\tpassword\n" + "\n".join(lines) + "\n")
    path.chmod(0o600)
    return path


def _read_lines(path: Path, start: int) -> Iterator[tuple[int, Any]]:
    """(line number, parsed item or an error string) from a JSONL or CSV file."""
    if path.suffix.lower() == ".csv":
        with path.open(newline="", encoding="utf-8") as fh:
            for n, row in enumerate(csv.DictReader(fh), start=2):
                if n <= start:
                    continue
                yield n, _csv_event(row)
        return
    with path.open(encoding="utf-8") as fh:
        for n, line in enumerate(fh, start=1):
            if n <= start or not line.strip():
                continue
            try:
                yield n, json.loads(line)
            except json.JSONDecodeError as exc:
                yield n, f"malformed JSON: {exc}"


def _csv_event(row: dict[str, str]) -> dict[str, Any] | str:
    """CSV columns: type, source, channel, occurred_at, idempotency_key, email, phone,
    customer_id, name, external.<system>, and payload (JSON) or payload.<field> columns."""
    try:
        payload: dict[str, Any] = json.loads(row["payload"]) if row.get("payload") else {}
    except json.JSONDecodeError as exc:
        return f"payload column is not JSON: {exc}"
    customer: dict[str, Any] = {}
    external: dict[str, str] = {}
    for k, v in row.items():
        if v in (None, ""):
            continue
        if k in {"email", "phone", "customer_id", "name", "device_id", "cookie_id"}:
            customer[k] = v
        elif k.startswith("external."):
            external[k.split(".", 1)[1]] = v
        elif k.startswith("payload."):
            payload[k.split(".", 1)[1]] = v
    if external:
        customer["external_ids"] = external
    ev: dict[str, Any] = {k: row[k] for k in ("type", "source", "occurred_at") if row.get(k)}
    if row.get("channel"):
        ev["channel"] = row["channel"]
    if row.get("idempotency_key"):
        ev["idempotency_key"] = row["idempotency_key"]
    ev["customer"] = customer
    ev["payload"] = payload
    return ev


def import_file(
    path: Annotated[
        Path, typer.Argument(exists=True, dir_okay=False, help="events.jsonl or events.csv")
    ],
    batch: Annotated[int, typer.Option(help="Events per transaction")] = 1000,
    restart: Annotated[bool, typer.Option(help="Ignore the saved position and start over")] = False,
) -> None:
    """Import events; resumable (a re-run continues after the last committed line), every bad
    line reported with its reason and skipped — never silently."""
    settings = get_settings()
    open_store().dispose()  # a fresh store gets its schema first, as ``init`` would
    # The whole application: its core records through the personal-data filter.
    runtime = bootstrap.build(settings).core
    checkpoint = path.with_name(path.name + ".onestory-progress")
    errors_path = path.with_name(path.name + ".errors.jsonl")
    start = 0 if restart or not checkpoint.exists() else int(checkpoint.read_text().strip() or 0)
    with path.open("rb") as fh:
        total = sum(1 for _ in fh)
    accepted = duplicates = rejected = 0
    if start:
        console.print(f"resuming after line {start}")
    with (
        Progress(
            TextColumn("import"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeRemainingColumn(),
            console=console,
        ) as progress,
        errors_path.open("a", encoding="utf-8") as errs,
    ):
        task = progress.add_task("import", total=total, completed=start)
        chunk: list[tuple[int, Any]] = []

        def report(line: int, errors: list[dict[str, Any]]) -> None:
            nonlocal rejected
            rejected += 1
            errs.write(json.dumps({"line": line, "errors": errors}) + "\n")
            reasons = "; ".join(f"{e.get('field')}: {e.get('reason')}" for e in errors)
            err_console.print(f"[red]line {line}[/]: {reasons}")

        def flush() -> None:
            nonlocal accepted, duplicates
            items = [item for _, item in chunk]
            outcomes, _recorded = ingest_with_retry(runtime, items)
            for o in outcomes:
                line = chunk[o.index][0]
                if o.status >= 400:
                    report(line, o.errors)
                elif o.duplicate:
                    duplicates += 1
                else:
                    accepted += 1
            # The checkpoint moves only after the batch committed: a crash re-reads at most one
            # batch, and idempotency keys make that re-read harmless.
            checkpoint.write_text(str(chunk[-1][0]))
            progress.update(task, completed=chunk[-1][0])
            chunk.clear()

        for line, item in _read_lines(path, start):
            if isinstance(item, str):
                report(line, [{"field": "line", "reason": item}])
                continue
            chunk.append((line, item))
            if len(chunk) >= batch:
                flush()
        if chunk:
            flush()
    checkpoint.unlink(missing_ok=True)
    runtime.db.dispose()
    console.print(
        f"imported {accepted} events, {duplicates} already present, {rejected} rejected"
        + (f" (details in {errors_path})" if rejected else "")
    )
    if rejected:
        raise typer.Exit(code=1 if accepted == 0 else 0)
