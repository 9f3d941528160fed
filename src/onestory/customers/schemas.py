"""API shapes for customers and their story."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel

from onestory.events.schemas import EventOut


class IdentityOut(BaseModel):
    kind: str
    value: str
    strong: bool
    customer_id: str
    created_at: datetime


class MergeOut(BaseModel):
    id: str
    survivor_id: str
    merged_id: str
    reason: str
    evidence: dict[str, Any]
    created_at: datetime
    reverted_at: datetime | None


class CustomerSummary(BaseModel):
    id: str
    display_name: str | None
    first_seen: datetime | None
    last_seen: datetime | None
    identities: list[IdentityOut] = []


class Profile(BaseModel):
    id: str
    display_name: str | None
    traits: dict[str, Any]
    identities: list[IdentityOut]
    first_seen: datetime | None
    last_seen: datetime | None
    counts_by_channel: dict[str, int]
    total_events: int
    merged_ids: list[str]
    merges: list[MergeOut]


class StoryPage(BaseModel):
    customer_id: str
    requested_id: str
    # The profile comes with the first page only (later pages are about events).
    profile: Profile | None
    items: list[EventOut]
    next_cursor: str | None


class CustomerList(BaseModel):
    items: list[CustomerSummary]


class SearchHit(BaseModel):
    event: EventOut
    customer_id: str | None


class SearchResult(BaseModel):
    items: list[SearchHit]
