"""HTTP API of the cases, promises and tasks domain (mounted under /v1)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
