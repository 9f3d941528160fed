"""Request and response bodies of the cases, tasks and promises API."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class _Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class CaseIn(BaseModel):
    customer_id: str = Field(max_length=40)
    title: str = Field(min_length=1, max_length=300)
    description: str | None = Field(default=None, max_length=20_000)
    priority: str = "normal"
    team: str | None = Field(default=None, max_length=100)
    conversation_id: str | None = Field(default=None, max_length=60)
    event_id: str | None = Field(default=None, max_length=40)
    signal_id: str | None = Field(default=None, max_length=40)


class CasePatch(BaseModel):
    status: str | None = None
    priority: str | None = None
    team: str | None = Field(default=None, max_length=100)
    link_conversation: str | None = Field(default=None, max_length=60)
    link_event: str | None = Field(default=None, max_length=40)


class CaseOut(_Out):
    id: str
    customer_id: str
    title: str
    description: str | None
    status: str
    priority: str
    team: str | None
    origin: str
    conversation_ids: list[str]
    event_ids: list[str]
    created_at: datetime
    updated_at: datetime
    closed_at: datetime | None


class TaskIn(BaseModel):
    customer_id: str = Field(max_length=40)
    kind: str = Field(description="visit | refund | replacement | callback | other")
    title: str = Field(min_length=1, max_length=300)
    case_id: str | None = Field(default=None, max_length=40)
    team: str | None = Field(default=None, max_length=100)
    assignee: str | None = Field(default=None, max_length=200)
    window_start: datetime | None = None
    window_end: datetime | None = None
    due_at: datetime | None = None
    external_id: str | None = Field(default=None, max_length=100)
    details: dict[str, Any] = Field(default_factory=dict)
    promise_id: str | None = Field(default=None, description="link an existing promise")
    promise: str | None = Field(
        default=None,
        max_length=500,
        description="also record a promise to the customer, due at the window end / due time",
    )


class TaskStatusIn(BaseModel):
    status: str = Field(description="open|scheduled|en_route|in_progress|done|failed|cancelled")
    note: str | None = Field(default=None, max_length=20_000)
    assignee: str | None = Field(default=None, max_length=200)
    occurred_at: datetime | None = None
    source: str = Field(default="api", max_length=100)


class TaskOut(_Out):
    id: str
    customer_id: str
    case_id: str | None
    kind: str
    title: str
    team: str | None
    assignee: str | None
    status: str
    window_start: datetime | None
    window_end: datetime | None
    due_at: datetime | None
    external_id: str | None
    details: dict[str, Any]
    history: list[dict[str, Any]]
    created_at: datetime
    updated_at: datetime
    completed_at: datetime | None
    overdue: bool = False


class PromiseIn(BaseModel):
    customer_id: str = Field(max_length=40)
    what: str = Field(min_length=1, max_length=500)
    who: str = Field(default="agent", max_length=100)
    kind: str = Field(default="other", description="refund | callback | visit | shipment | other")
    due_by: datetime
    window_start: datetime | None = None
    window_end: datetime | None = None
    case_id: str | None = Field(default=None, max_length=40)
    task_id: str | None = Field(default=None, max_length=100)


class PromiseOut(_Out):
    id: str
    customer_id: str
    case_id: str | None
    task_id: str | None
    what: str
    who: str
    kind: str
    due_by: datetime
    window_start: datetime | None
    window_end: datetime | None
    status: str
    origin: str
    source_event_id: str | None
    text: str | None
    confidence: float | None
    evidence: dict[str, Any]
    created_at: datetime
    resolved_at: datetime | None


class KeyEvent(BaseModel):
    id: str
    type: str
    channel: str | None
    occurred_at: datetime
    summary: str


class SignalBrief(BaseModel):
    id: str
    kind: str
    severity: str
    detected_at: datetime
    evidence: dict[str, Any]


class WhatHappened(BaseModel):
    open_cases: list[CaseOut]
    recent_key_events: list[KeyEvent]
    recent_signals: list[SignalBrief]


class WhatWasPromised(BaseModel):
    open: list[PromiseOut]
    kept: list[PromiseOut]
    broken: list[PromiseOut]
    kept_rate: float | None = Field(description="kept / (kept + broken); null when none resolved")


class NextStep(BaseModel):
    action: str
    reason: str
    due_at: datetime | None = None
    ref: dict[str, str] = Field(default_factory=dict)


class WhatNext(BaseModel):
    open_tasks: list[TaskOut]
    next_step: NextStep


class StorySummary(BaseModel):
    customer_id: str
    generated_at: datetime
    what_happened: WhatHappened
    what_was_promised: WhatWasPromised
    what_next: WhatNext


class CaseList(BaseModel):
    items: list[CaseOut]


class TaskList(BaseModel):
    items: list[TaskOut]


class PromiseList(BaseModel):
    items: list[PromiseOut]
