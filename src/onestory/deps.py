"""FastAPI dependencies: the runtime, a transaction per request, the calling principal
(``runtime.guard``: API keys and browser sessions)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from onestory.app_state import Runtime
from onestory.auth.guard import bearer_token
from onestory.auth.service import Principal
from onestory.kit.errors import Forbidden
from onestory.kit.openapi import API_KEY_SCHEMES


def get_runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


def get_session(runtime: RuntimeDep) -> Iterator[Session]:
    """A read transaction per request (writes go through services with their own)."""
    with runtime.db.transaction() as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session)]


def _documented_credentials(
    _bearer: object = Depends(API_KEY_SCHEMES[0]),
    _header: object = Depends(API_KEY_SCHEMES[1]),
    _cookie: object = Depends(API_KEY_SCHEMES[2]),
) -> None:
    """Puts the accepted credentials into the OpenAPI document (checked by `require`)."""


def require(scope: str) -> Callable[[Request], Principal]:
    """Dependency factory: the caller must hold ``scope`` (or ``admin``)."""

    def check(request: Request, _: None = Depends(_documented_credentials)) -> Principal:
        guard = get_runtime(request).guard
        principal = (
            getattr(request.state, "principal", None)
            or guard.session_principal(request)
            or guard.principal(bearer_token(request))
        )
        if not principal.allows(scope):
            raise Forbidden(f"this key lacks the '{scope}' scope")
        return principal

    return check
