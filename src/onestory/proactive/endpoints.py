"""HTTP API of the proactive service (signals, playbooks) domain (mounted under /v1)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
