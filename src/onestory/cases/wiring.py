"""How this domain plugs into the running app: stage handlers, services, start/stop."""

from __future__ import annotations

from typing import TYPE_CHECKING

from onestory.cases.checker import PromiseChecker
from onestory.cases.handlers import cases_projected

if TYPE_CHECKING:
    from onestory.app_state import Runtime


def setup(runtime: Runtime) -> None:
    """Register this domain's pipeline handlers and services on ``runtime``."""
    runtime.pipeline.add_handler("project", cases_projected)
    checker = PromiseChecker(runtime, runtime.settings.proactive.promise_check_seconds)
    runtime.services["promise_checker"] = checker
    runtime.on_start.append(checker.start)
    runtime.on_stop.append(checker.stop)
