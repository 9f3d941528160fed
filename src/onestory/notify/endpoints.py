"""WebSocket: subscribe to a customer's story (or to all activity) and receive each new item.

Connect to ``/v1/live?customer_id=cus_...`` (repeatable) or ``/v1/live?all=true`` with the key
in ``Authorization: Bearer`` or, for browsers, ``?api_key=`` or the web UI's session cookie. Send
``{"subscribe": "customer:cus_..."}`` / ``{"unsubscribe": ...}`` to change subscriptions.
Messages: ``{"kind": "story.recorded" | "story.processed" | ..., "event": {...}}``.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Annotated, Any

from fastapi import APIRouter, Query, WebSocket, WebSocketDisconnect

from onestory.app_state import Runtime
from onestory.kit.errors import OneStoryError
from onestory.live.hub import ALL, customer_channel

router = APIRouter(tags=["live"])


@router.websocket("/live")
async def live(
    ws: WebSocket,
    customer_id: Annotated[list[str] | None, Query()] = None,
    conversation_id: Annotated[list[str] | None, Query()] = None,
    all: bool = False,
    api_key: str | None = None,
) -> None:
    runtime: Runtime = ws.app.state.runtime
    token = api_key
    auth = ws.headers.get("authorization", "")
    if auth.lower().startswith("bearer "):
        token = auth[7:].strip()
    try:
        principal = (
            getattr(ws.state, "principal", None)
            or (None if token else runtime.guard.session_principal(ws))
            or runtime.guard.principal(token)
        )
    except OneStoryError as exc:
        await ws.close(code=4401, reason=exc.detail[:120])
        return
    if not principal.allows("customers:read"):
        await ws.close(code=4403, reason="this key lacks the 'customers:read' scope")
        return
    await ws.accept()
    channels = {customer_channel(c) for c in customer_id or []}
    channels |= {f"conversation:{c}" for c in conversation_id or []}
    if all:
        channels.add(ALL)
    sub = runtime.live.subscribe(channels)
    await ws.send_json({"kind": "subscribed", "channels": sorted(sub.channels)})

    async def pump() -> None:
        while True:
            message = await sub.get()
            await ws.send_json(message)

    sender = asyncio.create_task(pump())
    try:
        while True:
            msg: Any = await ws.receive_json()
            if isinstance(msg, dict):
                if isinstance(target := msg.get("subscribe"), str) and len(target) < 100:
                    sub.add(target)
                elif isinstance(target := msg.get("unsubscribe"), str):
                    sub.remove(target)
                await ws.send_json({"kind": "subscribed", "channels": sorted(sub.channels)})
    except (WebSocketDisconnect, RuntimeError, ValueError):
        pass
    finally:
        sender.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await sender
        sub.close()
