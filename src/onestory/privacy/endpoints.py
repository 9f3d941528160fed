"""HTTP API of the privacy domain: consents and contact preferences (mounted under /v1)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from onestory.auth.service import Principal
from onestory.customers.service import get_root
from onestory.deps import RuntimeDep, SessionDep, require
from onestory.pipeline.uow import UnitOfWork
from onestory.privacy import service
from onestory.privacy.schemas import ConsentIn, ConsentOut, PreferencesIn, PreferencesOut

router = APIRouter(tags=["privacy"])

CustomerWriter = Annotated[Principal, Depends(require("customers:write"))]
CustomerReader = Annotated[Principal, Depends(require("customers:read"))]


@router.get(
    "/customers/{customer_id}/consents",
    response_model=list[ConsentOut],
    summary="Consents per purpose and channel",
)
def get_consents(customer_id: str, session: SessionDep, _: CustomerReader) -> list[ConsentOut]:
    root = get_root(session, customer_id)
    return [ConsentOut.model_validate(c) for c in service.consents_of(session, root.id)]


@router.put(
    "/customers/{customer_id}/consents",
    response_model=ConsentOut,
    summary="Grant or withdraw consent for a purpose on a channel",
)
async def put_consent(
    customer_id: str, body: ConsentIn, runtime: RuntimeDep, _: CustomerWriter
) -> ConsentOut:
    def work(uow: UnitOfWork) -> ConsentOut:
        root = get_root(uow.session, customer_id)
        change = service.set_consent(uow.session, root.id, **body.model_dump(), now=uow.now)
        uow.session.flush()
        uow.record(change.drafts)
        return ConsentOut.model_validate(change.obj)

    return await runtime.work.run(work)


@router.get(
    "/customers/{customer_id}/contact-preferences",
    response_model=PreferencesOut | None,
    summary="Preferred channel, language and time zone",
)
def get_preferences(
    customer_id: str, session: SessionDep, _: CustomerReader
) -> PreferencesOut | None:
    row = service.preferences_of(session, get_root(session, customer_id).id)
    return PreferencesOut.model_validate(row) if row else None


@router.put(
    "/customers/{customer_id}/contact-preferences",
    response_model=PreferencesOut,
    summary="Set the preferred channel, language and time zone",
)
async def put_preferences(
    customer_id: str, body: PreferencesIn, runtime: RuntimeDep, _: CustomerWriter
) -> PreferencesOut:
    def work(uow: UnitOfWork) -> PreferencesOut:
        root = get_root(uow.session, customer_id)
        change = service.set_preferences(
            uow.session, root.id, body.model_dump(exclude_unset=True), now=uow.now
        )
        uow.session.flush()
        uow.record(change.drafts)
        return PreferencesOut.model_validate(change.obj)

    return await runtime.work.run(work)
