"""The web UI (pages, static assets, sessions), mounted at the root, not under /v1."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
