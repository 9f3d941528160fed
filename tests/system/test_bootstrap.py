"""The composition root: one plugin per domain in flow order, handlers registered in that order,
the services each domain offers reachable typed, and background services chosen per process."""

from __future__ import annotations

from pathlib import Path

from onestory import bootstrap
from onestory.channels.outbox import Outbox
from tests.conftest import make_settings


def test_plugins_in_flow_order_register_their_handlers_in_that_order(tmp_path: Path) -> None:
    app = bootstrap.build(make_settings(tmp_path, f"sqlite:///{tmp_path / 'b.db'}"))
    names = [p.name for p in app.plugins]
    assert names.index("enrich") < names.index("conversations") < names.index("cases")
    assert names.index("cases") < names.index("proactive") < names.index("notify")
    handlers = app.core.pipeline.handlers
    project = [getattr(h, "__qualname__", "") for h in handlers["project"]]
    assert project == ["ConversationsStage.project", "cases_projected"]
    act = [getattr(h, "__qualname__", "") for h in handlers["act"]]
    assert act == ["Outbox.queue_from_stage", "Playbooks.act"]
    assert [getattr(h, "__qualname__", "") for h in handlers["notify"]] == [
        "StoryPushes.story_item_processed"
    ]
    assert isinstance(app.channels.outbox, Outbox)
    # The guard accepts the web UI's signed-in browsers.
    assert app.core.guard.sessions == app.web.sessions.principal
    app.core.db.dispose()


def test_a_process_runs_only_the_background_services_it_names(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'b.db'}"
    every = bootstrap.build(make_settings(tmp_path, url))
    names = [b.name for b in every.background]
    for expected in ("wal-checkpoint", "outbox", "promise-checker", "proactive-deferred"):
        assert expected in names
    assert len(names) == len(set(names))
    only = bootstrap.build(make_settings(tmp_path, url, background=["outbox", "playbooks"]))
    assert [b.name for b in only.background] == ["outbox", "playbooks"]
    every.core.db.dispose()
    only.core.db.dispose()
