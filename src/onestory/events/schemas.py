"""The event envelope accepted by the ingestion API, and what the API answers."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from onestory.kit.inputs import AwareUtcDateTime

EVENT_TYPE_PATTERN = r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$"


class Channel(StrEnum):
    chat = "chat"
    email = "email"
    sms = "sms"
    whatsapp = "whatsapp"
    voice = "voice"
    app = "app"
    web = "web"
    social = "social"
    survey = "survey"
    api = "api"
    field = "field"
    billing = "billing"
    orders = "orders"
    system = "system"


class Identifiers(BaseModel):
    """How the sender knows the customer. At least one identifier is required."""

    model_config = ConfigDict(extra="forbid")

    customer_id: str | None = Field(
        default=None, max_length=40, description="A OneStory customer id"
    )
    email: str | None = Field(default=None, max_length=320)
    phone: str | None = Field(
        default=None, max_length=40, description="Any format; stored as E.164"
    )
    external_ids: dict[str, str] = Field(
        default_factory=dict, description="System name to id, e.g. {'billing': 'AC-1'}"
    )
    social: dict[str, str] = Field(default_factory=dict, description="Network to handle")
    device_id: str | None = Field(default=None, max_length=200, description="Weak: never merges")
    cookie_id: str | None = Field(default=None, max_length=200, description="Weak: never merges")
    name: str | None = Field(default=None, max_length=200, description="Display name (a trait)")

    @field_validator("external_ids", "social")
    @classmethod
    def _bounded_map(cls, value: dict[str, str]) -> dict[str, str]:
        if len(value) > 20:
            raise ValueError("at most 20 entries")
        for k, v in value.items():
            if not k or len(k) > 60:
                raise ValueError(f"system name {k[:60]!r} must be 1-60 characters")
            if not v or len(v) > 200:
                raise ValueError(f"id for {k!r} must be 1-200 characters")
        return value


class EventIn(BaseModel):
    """One event as sent by a channel or a back-end system."""

    model_config = ConfigDict(extra="forbid")

    type: str = Field(
        max_length=100, pattern=EVENT_TYPE_PATTERN, description="Dotted, e.g. payment.failed"
    )
    source: str = Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9_.:\-/]+$")
    channel: Channel | None = None
    occurred_at: AwareUtcDateTime
    customer: Identifiers
    payload: dict[str, Any] = Field(default_factory=dict)
    idempotency_key: str | None = Field(default=None, min_length=1, max_length=200)

    @field_validator("occurred_at", mode="before")
    @classmethod
    def _iso_string(cls, value: Any) -> Any:
        # Numbers would be read as Unix seconds; an envelope must say what it means.
        if not isinstance(value, str | datetime):
            raise ValueError("must be an ISO-8601 date-time string, e.g. 2026-01-31T12:00:00Z")
        return value


class EventOut(BaseModel):
    id: str
    type: str
    source: str
    channel: str | None
    occurred_at: datetime
    received_at: datetime
    customer_id: str | None
    idempotency_key: str | None
    payload: dict[str, Any]
    insights: list[InsightOut] = Field(default_factory=list)


class InsightOut(BaseModel):
    kind: str
    value: Any
    confidence: float | None
    explanation: str | None
    model: str
    model_version: str


class IngestResult(BaseModel):
    id: str
    customer_id: str | None
    duplicate: bool = Field(description="True when this (source, idempotency_key) was seen before")


class BatchItemResult(BaseModel):
    index: int
    status: int
    id: str | None = None
    customer_id: str | None = None
    duplicate: bool = False
    errors: list[dict[str, Any]] = Field(default_factory=list)


class BatchResult(BaseModel):
    accepted: int
    duplicates: int
    rejected: int
    items: list[BatchItemResult]


EventOut.model_rebuild()
