"""``onestory playbooks`` commands."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import typer

from onestory.cli.common import open_store
from onestory.config import get_settings
from onestory.db import Database
from onestory.kit.clock import SystemClock, ensure_utc
from onestory.kit.errors import InvalidInput
from onestory.proactive import playbooks
from onestory.proactive.simulate import parse_since, simulate

app = typer.Typer(help="Proactive playbooks: list, validate, simulate.", no_args_is_help=True)


def _synced_store() -> Database:
    settings = get_settings()
    db = open_store()
    with db.transaction(write=True) as session:
        playbooks.sync_files(
            session, now=SystemClock().now(), extra_dir=settings.proactive.playbooks_dir
        )
    return db


@app.command("list")
def list_() -> None:
    """The stored playbooks (after loading the YAML files)."""
    db = _synced_store()
    try:
        with db.transaction() as session:
            for row in playbooks.all_rows(session):
                when = row.spec.get("when", {})
                triggers = ", ".join([*when.get("signals", []), *when.get("events", [])])
                state = "on " if row.enabled else "off"
                typer.echo(
                    f"{state} {row.name} v{row.version} [{row.spec.get('purpose')}] "
                    f"when {triggers} -> "
                    + ", ".join(a["type"] for a in row.spec.get("actions", []))
                )
    finally:
        db.dispose()


@app.command()
def validate(
    files: list[Path] = typer.Argument(
        None, help="YAML files (default: the shipped ones and ONESTORY_PROACTIVE__PLAYBOOKS_DIR)."
    ),
) -> None:
    """Check playbook files; exits 1 when one is invalid."""
    if files:
        items = [(str(f), f.read_text(encoding="utf-8")) for f in files]
    else:
        items = playbooks.shipped_files(get_settings().proactive.playbooks_dir)
    bad = 0
    for name, text in items:
        try:
            spec = playbooks.parse(text)
            typer.echo(f"ok      {name}: {spec.name} v{spec.version}")
        except InvalidInput as exc:
            bad += 1
            typer.echo(f"invalid {name}: {exc.detail}")
            for err in exc.errors:
                typer.echo(f"        {err['field']}: {err['reason']}")
    if bad:
        raise typer.Exit(1)


@app.command("simulate")
def simulate_cmd(
    since: str = typer.Option("30d", "--since", help="How far back to replay: 30d, 12h, 2w."),
    until: str | None = typer.Option(None, "--until", help="End of the replay (ISO; default now)."),
    playbook: list[str] = typer.Option(
        None, "--playbook", "-p", help="Only these playbooks (default: all, on or off)."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the whole report as JSON."),
) -> None:
    """Replay history: whom each playbook would have contacted, and why (nothing is sent)."""
    try:
        span = parse_since(since)
        end = ensure_utc(datetime.fromisoformat(until)) if until else SystemClock().now()
    except ValueError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    db = _synced_store()
    try:
        with db.transaction() as session:
            report = simulate(
                session,
                since=end - span,
                until=end,
                settings=get_settings().proactive,
                names=playbook or None,
            )
    finally:
        db.dispose()
    if as_json:
        typer.echo(json.dumps(report, default=str))
        return
    typer.echo(f"replayed {report['since']} .. {report['until']}")
    for name, s in report["playbooks"].items():
        typer.echo(
            f"{name} ({'on' if s['enabled'] else 'off'}): {s['triggers']} triggers, "
            f"would contact {s['would_contact']} times / {s['customers']} customers; "
            f"held back: {s['suppressed'] or 'none'}; other actions: {s['other_actions'] or 'none'}"
        )
    for item in report["items"]:
        verdict = f"contact via {item['channel']}" if item["would_contact"] else "skip"
        typer.echo(
            f"  {item['at']} {item['playbook']} -> {item['customer_name'] or item['customer_id']}: "
            f"{verdict} ({item['reason']}; signal {item['signal_kind'] or item['event_id']})"
        )
