"""How cases plug in: the project stage opens cases, promises and tasks from the story, the
promise checker breaks what was not kept in time, and the case routes."""

from __future__ import annotations

from dataclasses import dataclass

from onestory.app_state import Runtime
from onestory.cases.checker import PromiseChecker
from onestory.cases.endpoints import router
from onestory.cases.handlers import cases_projected
from onestory.plugin import Plugin


@dataclass(kw_only=True)
class CasesPlugin(Plugin):
    checker: PromiseChecker


def plugin(core: Runtime) -> CasesPlugin:
    checker = PromiseChecker(core, core.settings.proactive.promise_check_seconds)
    return CasesPlugin(
        name="cases",
        checker=checker,
        handlers=[("project", cases_projected)],
        api=[router],
        background=[checker],
    )
