"""The versioned HTTP API: one router per domain under /v1."""

from __future__ import annotations

from fastapi import APIRouter

from onestory.cases.endpoints import router as cases_router
from onestory.channels.endpoints import router as channels_router
from onestory.conversations.endpoints import router as conversations_router
from onestory.customers.endpoints import router as customers_router
from onestory.enrich.endpoints import router as enrich_router
from onestory.events.endpoints import router as events_router
from onestory.live.endpoints import router as live_router
from onestory.privacy.endpoints import router as privacy_router
from onestory.proactive.endpoints import router as proactive_router
from onestory.users.endpoints import router as users_router

router = APIRouter(prefix="/v1")
router.include_router(events_router)
router.include_router(customers_router)
router.include_router(live_router)
router.include_router(enrich_router)
router.include_router(conversations_router)
router.include_router(channels_router)
router.include_router(cases_router)
router.include_router(proactive_router)
router.include_router(privacy_router)
router.include_router(users_router)
