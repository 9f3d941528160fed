"""What a domain hands the composition root (``bootstrap.py``): one ``Plugin``.

A domain exports ``plugin(core, ...) -> <Its>Plugin``, a subclass of ``Plugin`` that adds the
services it offers others as typed attributes. The root passes those on, typed, to the domains
that need them; nothing looks a service up by name.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from fastapi import APIRouter

from onestory.kit.background import Background
from onestory.pipeline.stages import StageHandler


@dataclass(kw_only=True)
class Plugin:
    name: str
    # Stage handlers (bound objects holding their dependencies), run in the root's order.
    handlers: list[tuple[str, StageHandler]] = field(default_factory=list)
    # Read-only work before a stage's write transaction (AI models), see Pipeline.add_preparer.
    preparers: list[tuple[str, StageHandler]] = field(default_factory=list)
    # Event types a worker behind on its backlog runs first.
    urgent: list[str] = field(default_factory=list)
    # Mounted under /v1 (``api``) or at the root (``pages``: the web UI).
    api: list[APIRouter] = field(default_factory=list)
    pages: list[APIRouter] = field(default_factory=list)
    background: list[Background] = field(default_factory=list)

    def handle(self, stage: str, *handlers: StageHandler) -> None:
        self.handlers.extend((stage, h) for h in handlers)

    def prioritise(self, types: Iterable[str]) -> None:
        self.urgent.extend(types)
