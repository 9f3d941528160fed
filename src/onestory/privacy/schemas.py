"""API shapes for consents and contact preferences."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field


class _Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class ConsentIn(BaseModel):
    purpose: str = Field(description="service | proactive | marketing")
    channel: str = Field(default="*", max_length=40, description="a channel or * for all")
    granted: bool
    source: str | None = Field(default=None, max_length=100)


class ConsentOut(_Out):
    purpose: str
    channel: str
    granted: bool
    source: str | None
    updated_at: datetime


class PreferencesIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    preferred_channel: str | None = Field(default=None, max_length=40)
    language: str | None = Field(default=None, max_length=10)
    timezone: str | None = Field(default=None, max_length=60)


class PreferencesOut(_Out):
    customer_id: str
    preferred_channel: str | None
    language: str | None
    timezone: str | None
    updated_at: datetime
