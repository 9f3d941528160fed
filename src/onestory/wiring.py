"""Which domain handlers run at which pipeline stage. One place to read the whole flow."""

from __future__ import annotations

from typing import Any

from onestory.live import tasks as live_tasks
from onestory.pipeline.runner import Pipeline


def register_stages(pipeline: Pipeline, services: dict[str, Any]) -> None:
    pipeline.add_handler("notify", live_tasks.story_item_processed)
