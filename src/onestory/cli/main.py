"""The ``onestory`` command line (Typer): one module per command group."""

from __future__ import annotations

import typer

from onestory.cli import channels, churn, core, intents, keys, playbooks, users

app = typer.Typer(
    name="onestory",
    help="OneStory: every customer has one story.",
    no_args_is_help=True,
    add_completion=False,
)
app.command("init")(core.init)
app.command("serve")(core.serve)
app.command("worker")(core.worker)
app.command("demo")(core.demo)
app.command("import")(core.import_file)
app.add_typer(keys.app, name="keys")
app.add_typer(users.app, name="users")
app.add_typer(intents.app, name="intents")
app.add_typer(intents.ai_app, name="ai")
app.add_typer(channels.app, name="channels")
app.add_typer(playbooks.app, name="playbooks")
app.add_typer(churn.app, name="churn")
