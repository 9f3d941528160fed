"""The versioned HTTP API: one router per domain under /v1."""

from __future__ import annotations

from fastapi import APIRouter

from onestory.customers.endpoints import router as customers_router
from onestory.events.endpoints import router as events_router
from onestory.live.endpoints import router as live_router

router = APIRouter(prefix="/v1")
router.include_router(events_router)
router.include_router(customers_router)
router.include_router(live_router)
