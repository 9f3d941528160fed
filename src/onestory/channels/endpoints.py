"""HTTP API of the channels (webhooks, widget) domain (mounted under /v1)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
