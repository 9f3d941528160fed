"""Agent- and admin-facing widget API: allowed origins (admin) and visitors' email claims."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, Field

from onestory.auth.service import Principal
from onestory.channels.cors import MAX_ORIGINS, WidgetOrigins, checked_origins
from onestory.channels.verification import claims_of_customer
from onestory.deps import RuntimeDep, require

Admin = Annotated[Principal, Depends(require("admin"))]
CustomerReader = Annotated[Principal, Depends(require("customers:read"))]


class OriginsIn(BaseModel):
    origins: list[str] = Field(max_length=MAX_ORIGINS, description="e.g. https://www.brand.example")


class OriginsOut(BaseModel):
    configured: list[str] = Field(description="From ONESTORY_CHANNELS__WIDGET_ORIGINS")
    stored: list[str] = Field(description="Set through this API")
    allowed: list[str] = Field(description="Both together: who may embed the widget")


class Claim(BaseModel):
    email: str
    verified: bool
    verified_at: datetime | None
    claimed_at: datetime


class ClaimsOut(BaseModel):
    customer_id: str
    items: list[Claim]


def _origins(origins: WidgetOrigins, stored: list[str]) -> OriginsOut:
    configured = origins.configured()
    return OriginsOut(
        configured=configured, stored=stored, allowed=sorted(set(configured) | set(stored))
    )


def build_router(allowed: WidgetOrigins) -> APIRouter:
    """The admin routes of the widget, bound to this application's allowed origins."""
    router = APIRouter(prefix="/channels/widget", tags=["channels"])

    @router.get(
        "/origins", response_model=OriginsOut, summary="Origins allowed to embed the widget"
    )
    async def get_origins(_who: Admin) -> OriginsOut:
        return _origins(allowed, await run_in_threadpool(allowed.stored))

    @router.put("/origins", response_model=OriginsOut, summary="Replace the stored widget origins")
    async def put_origins(body: OriginsIn, who: Admin) -> OriginsOut:
        origins = checked_origins(body.origins)
        stored = await run_in_threadpool(allowed.replace, origins, who.name)
        return _origins(allowed, stored)

    @router.get(
        "/claims", response_model=ClaimsOut, summary="Emails a customer's widget visitors claimed"
    )
    async def get_claims(
        runtime: RuntimeDep,
        _who: CustomerReader,
        customer_id: Annotated[str, Query(min_length=1, max_length=40)],
    ) -> dict[str, Any]:
        items = await runtime.work.run(
            lambda uow: claims_of_customer(uow.session, customer_id), write=False
        )
        return {"customer_id": customer_id, "items": items}

    return router
