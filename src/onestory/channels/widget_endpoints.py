"""The web chat widget's HTTP and WebSocket API (public: a visitor token, not an API key).

``GET /v1/widget/widget.js`` serves the embeddable script; see docs/channels.md.
"""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Query, WebSocket, WebSocketDisconnect
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from pydantic import BaseModel, Field

from onestory.app_state import Runtime
from onestory.channels.inbound import raise_for, receive
from onestory.channels.widget import (
    Tokens,
    Visitor,
    check_visitor_id,
    message_envelope,
    new_visitor_id,
    verify_user,
)
from onestory.channels.widget_limits import (
    MESSAGE_LIMITED,
    THROTTLED,
    identify_limit,
    message_limit,
    message_wait,
    session_limit,
)
from onestory.conversations import repository as conv_repo
from onestory.conversations.views import live_channels, message_view
from onestory.customers import repository as customers_repo
from onestory.customers.identity import IdentifierError, identity_keys
from onestory.deps import RuntimeDep
from onestory.events.schemas import Identifiers
from onestory.kit.errors import InvalidInput, OneStoryError, field_error
from onestory.kit.ids import new_id
from onestory.live.hub import customer_channel
from onestory.models import Customer
from onestory.web.sessions import load_secret

router = APIRouter(prefix="/widget", tags=["widget"])

WIDGET_JS = Path(__file__).parent / "static" / "widget.js"


class SessionIn(BaseModel):
    visitor_id: str | None = Field(default=None, max_length=64)
    user_id: str | None = Field(default=None, min_length=1, max_length=200)
    user_hash: str | None = Field(default=None, max_length=128)
    email: str | None = Field(default=None, max_length=320)
    name: str | None = Field(default=None, max_length=200)


class IdentifyIn(BaseModel):
    email: str = Field(min_length=3, max_length=320)
    name: str | None = Field(default=None, max_length=200)


class MessageIn(BaseModel):
    text: str = Field(min_length=1, max_length=20_000)
    id: str | None = Field(default=None, min_length=1, max_length=100)


def tokens(runtime: Runtime) -> Tokens:
    t: Tokens | None = runtime.services.get("widget_tokens")
    if t is None:
        t = Tokens(load_secret(runtime.settings), runtime.settings.channels.widget_token_hours)
        runtime.services["widget_tokens"] = t
    return t


def _check_email(runtime: Runtime, email: str) -> None:
    try:
        identity_keys(Identifiers(email=email), runtime.settings.ingest.default_phone_region)
    except (IdentifierError, ValueError) as exc:
        raise InvalidInput(
            "that email address is not valid", errors=[field_error("email", str(exc))]
        ) from exc


def find_customer(runtime: Runtime, v: Visitor) -> tuple[str | None, str | None]:
    """The customer (and open conversation) a visitor already is, without creating anything."""
    keys = [
        k.key
        for k in identity_keys(
            Identifiers.model_validate(v.identifiers()),
            runtime.settings.ingest.default_phone_region,
        )
    ]
    with runtime.db.transaction() as s:
        owners = customers_repo.identities_by_key(s, keys)
        owner = next((owners[k] for k in keys if k in owners), None)
        if owner is None:
            return None, None
        customer = s.get(Customer, owner)
        root = customer.merged_into if customer and customer.merged_into else owner
        conv = conv_repo.open_for_customer(s, root)
        return root, conv.id if conv else None


def history(runtime: Runtime, customer_id: str | None) -> list[dict[str, Any]]:
    if not customer_id:
        return []
    with runtime.db.transaction() as s:
        conv = conv_repo.open_for_customer(s, customer_id)
        if conv is None:
            return []
        return [
            _visible(message_view(m))
            for m in conv_repo.messages_of(s, conv.id, 200)
            if m.kind == "message"
        ]


def _visible(m: dict[str, Any]) -> dict[str, Any]:
    """What a visitor may see of a message (no internal ids of agents)."""
    return {
        "event_id": m["event_id"],
        "direction": m["direction"],
        "author": m["author"],
        "text": m["text"],
        "status": m["status"],
        "channel": m["channel"],
        "occurred_at": m["occurred_at"],
    }


@router.get("/widget.js", summary="The embeddable chat widget script", include_in_schema=False)
def widget_js() -> Response:
    return Response(
        WIDGET_JS.read_bytes(),
        media_type="application/javascript",
        headers={"Cache-Control": "public, max-age=300"},
    )


@router.post(
    "/session",
    summary="Start a visitor session (anonymous, email or signed user)",
    dependencies=[Depends(session_limit)],
    responses=THROTTLED,
)
async def start_session(body: SessionIn, runtime: RuntimeDep) -> dict[str, Any]:
    settings = runtime.settings.channels
    if body.user_id is not None:
        verify_user(settings.widget_secret, body.user_id, body.user_hash)
    elif body.user_hash is not None:
        raise InvalidInput("user_hash needs a user_id", errors=[field_error("user_id", "missing")])
    if body.email:
        _check_email(runtime, body.email)
    vid = check_visitor_id(body.visitor_id) if body.visitor_id else new_visitor_id()
    v = Visitor(vid, body.user_id, body.email, body.name)
    customer_id, conversation_id = await run_in_threadpool(find_customer, runtime, v)
    return {
        "token": tokens(runtime).issue(v),
        "visitor_id": vid,
        "identified": bool(v.user_id or v.email),
        "customer_id": customer_id,
        "conversation_id": conversation_id,
        "ws_path": "/v1/widget/ws",
    }


@router.post(
    "/identify",
    summary="An anonymous visitor gives their email",
    dependencies=[Depends(identify_limit)],
    responses=THROTTLED,
)
async def identify(
    body: IdentifyIn, runtime: RuntimeDep, x_widget_token: Annotated[str | None, Header()] = None
) -> dict[str, Any]:
    v = tokens(runtime).read(x_widget_token)
    _check_email(runtime, body.email)
    nv = Visitor(v.visitor_id, v.user_id, body.email, body.name or v.name)
    return {"token": tokens(runtime).issue(nv), "visitor_id": nv.visitor_id, "identified": True}


@router.post(
    "/messages",
    status_code=201,
    summary="Send a visitor message (without WebSocket)",
    dependencies=[Depends(message_limit)],
    responses=MESSAGE_LIMITED,
)
async def post_message(
    body: MessageIn, runtime: RuntimeDep, x_widget_token: Annotated[str | None, Header()] = None
) -> dict[str, Any]:
    v = tokens(runtime).read(x_widget_token)
    env = message_envelope(v, body.text, body.id or new_id("wm"), runtime.clock.now(), [])
    (outcome,) = await receive(runtime, [env])
    raise_for(outcome)
    return {"id": outcome.id, "customer_id": outcome.customer_id, "duplicate": outcome.duplicate}


@router.get("/messages", summary="The visitor's open conversation (after a page reload)")
async def get_messages(
    runtime: RuntimeDep, x_widget_token: Annotated[str | None, Header()] = None
) -> dict[str, Any]:
    v = tokens(runtime).read(x_widget_token)
    customer_id, _conv = await run_in_threadpool(find_customer, runtime, v)
    return {"items": await run_in_threadpool(history, runtime, customer_id)}


@router.websocket("/ws")
async def widget_ws(ws: WebSocket, token: Annotated[str | None, Query()] = None) -> None:
    runtime: Runtime = ws.app.state.runtime
    try:
        v = tokens(runtime).read(token)
    except OneStoryError as exc:
        await ws.close(code=4401, reason=exc.detail[:120])
        return
    await ws.accept()
    customer_id, conversation_id = await run_in_threadpool(find_customer, runtime, v)
    sub = runtime.live.subscribe({customer_channel(customer_id)} if customer_id else set())
    state: dict[str, Any] = {"customer_id": customer_id, "visitor": v}
    await ws.send_json(
        {
            "type": "ready",
            "visitor_id": v.visitor_id,
            "customer_id": customer_id,
            "conversation_id": conversation_id,
        }
    )

    async def pump() -> None:
        while True:
            m = await sub.get()
            kind = m.get("kind")
            if kind == "conversation.message":
                msg = m["message"]
                if msg.get("direction") == "outbound" and msg.get("status") != "failed":
                    await ws.send_json({"type": "message", "message": _visible(msg)})
            elif kind == "conversation.typing" and m.get("who") != "customer":
                await ws.send_json(
                    {
                        "type": "typing",
                        "who": m.get("who"),
                        "name": m.get("name"),
                        "typing": bool(m.get("typing")),
                    }
                )

    def follow(cid: str | None) -> None:
        if cid and cid != state["customer_id"]:
            if state["customer_id"]:
                sub.remove(customer_channel(state["customer_id"]))
            sub.add(customer_channel(cid))
            state["customer_id"] = cid

    sender = asyncio.create_task(pump())
    try:
        while True:
            data: Any = await ws.receive_json()
            if not isinstance(data, dict):
                continue
            kind = data.get("type")
            if kind == "message":
                text = data.get("text")
                client_id = str(data.get("id") or new_id("wm"))[:100]
                if wait := message_wait(runtime, ws, token):
                    detail = f"too many messages; try again in {wait} s"
                    await ws.send_json(
                        {"type": "error", "id": client_id, "detail": detail, "retry_after": wait}
                    )
                    continue
                if not isinstance(text, str) or not text.strip() or len(text) > 20_000:
                    await ws.send_json(
                        {
                            "type": "error",
                            "id": client_id,
                            "detail": "text must be 1-20000 characters",
                        }
                    )
                    continue
                env = message_envelope(state["visitor"], text, client_id, runtime.clock.now(), [])
                (outcome,) = await receive(runtime, [env])
                if outcome.status >= 400:
                    await ws.send_json(
                        {
                            "type": "error",
                            "id": client_id,
                            "detail": "the message was refused",
                            "errors": outcome.errors,
                        }
                    )
                    continue
                follow(outcome.customer_id)
                await ws.send_json(
                    {
                        "type": "ack",
                        "id": client_id,
                        "event_id": outcome.id,
                        "duplicate": outcome.duplicate,
                        "customer_id": outcome.customer_id,
                    }
                )
            elif kind == "typing" and state["customer_id"]:
                cid = state["customer_id"]
                conv = await run_in_threadpool(_open_conversation, runtime, cid)
                if conv is not None:
                    await runtime.live.publish(
                        live_channels(conv),
                        {
                            "kind": "conversation.typing",
                            "conversation_id": conv.id,
                            "who": "customer",
                            "name": state["visitor"].name,
                            "typing": bool(data.get("typing", True)),
                        },
                    )
            elif kind == "identify" and isinstance(email := data.get("email"), str):
                try:
                    _check_email(runtime, email)
                except OneStoryError as exc:
                    await ws.send_json({"type": "error", "detail": exc.detail})
                    continue
                old: Visitor = state["visitor"]
                state["visitor"] = Visitor(old.visitor_id, old.user_id, email, old.name)
                await ws.send_json(
                    {"type": "token", "token": tokens(runtime).issue(state["visitor"])}
                )
    except (WebSocketDisconnect, RuntimeError, ValueError):
        pass
    finally:
        sender.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await sender
        sub.close()


def _open_conversation(runtime: Runtime, customer_id: str) -> Any:
    with runtime.db.transaction() as s:
        conv = conv_repo.open_for_customer(s, customer_id)
        if conv is not None:
            s.expunge(conv)
        return conv
