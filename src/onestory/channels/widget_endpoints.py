"""The web chat widget's HTTP and WebSocket API (public: a visitor token, not an API key).

``GET /v1/widget/widget.js`` serves the embeddable script; see docs/channels.md. A visitor's
token carries only what is proven (a host-signed user id or email, or an email verified with a
one-time code) as identity; a typed email is a claim that reads and writes nothing of the
customer who owns it until ``POST /v1/widget/verify`` succeeds.
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
from onestory.channels import verification, visitors
from onestory.channels.cors import WidgetOrigins, origin_refused
from onestory.channels.inbound import Inbound, raise_for
from onestory.channels.outbox import Outbox
from onestory.channels.verification import checked_email
from onestory.channels.widget import (
    Tokens,
    Visitor,
    check_visitor_id,
    message_envelope,
    new_visitor_id,
    verify_email_signature,
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
from onestory.conversations.views import live_channels
from onestory.deps import RuntimeDep
from onestory.kit.errors import InvalidInput, OneStoryError, field_error
from onestory.kit.ids import new_id
from onestory.live import messages
from onestory.live.hub import customer_channel

WIDGET_JS = Path(__file__).parent / "static" / "widget.js"


class SessionIn(BaseModel):
    visitor_id: str | None = Field(default=None, max_length=64)
    user_id: str | None = Field(default=None, min_length=1, max_length=200)
    user_hash: str | None = Field(default=None, max_length=128)
    email: str | None = Field(default=None, max_length=320)
    email_hash: str | None = Field(
        default=None,
        max_length=128,
        description="hex HMAC-SHA256(widget_secret, 'email:' + email): the host vouches for it",
    )
    name: str | None = Field(default=None, max_length=200)


class IdentifyIn(BaseModel):
    email: str = Field(min_length=3, max_length=320)
    name: str | None = Field(default=None, max_length=200)


class VerifyStartIn(BaseModel):
    email: str | None = Field(
        default=None, min_length=3, max_length=320, description="Default: the claimed email"
    )


class VerifyIn(BaseModel):
    code: str = Field(min_length=1, max_length=20, description="The code from the email")


class MessageIn(BaseModel):
    text: str = Field(min_length=1, max_length=20_000)
    id: str | None = Field(default=None, min_length=1, max_length=100)


def _identity(v: Visitor) -> dict[str, Any]:
    return {
        "visitor_id": v.visitor_id,
        "identified": v.verified,
        "verified": v.verified,
        "claimed_email": v.claimed_email,
    }


def build_router(
    inbound: Inbound, tokens: Tokens, origins: WidgetOrigins, outbox: Outbox, code_key: bytes
) -> APIRouter:
    """The widget's routes, bound to this application's inbound path, token signer, allowed
    origins and the outbox that mails verification codes."""
    router = APIRouter(prefix="/widget", tags=["widget"])

    @router.get("/widget.js", summary="The embeddable chat widget script", include_in_schema=False)
    def widget_js() -> Response:
        return Response(
            WIDGET_JS.read_bytes(),
            media_type="application/javascript",
            headers={"Cache-Control": "public, max-age=300"},
        )

    @router.post(
        "/session",
        summary="Start a visitor session (anonymous, email claim or signed)",
        dependencies=[Depends(session_limit)],
        responses=THROTTLED,
    )
    async def start_session(body: SessionIn, runtime: RuntimeDep) -> dict[str, Any]:
        """An email without a valid ``email_hash`` is a claim: the session is the visitor's own
        (no history) until the address is verified with ``POST /v1/widget/verify``."""
        settings = runtime.settings.channels
        if body.user_id is not None:
            verify_user(settings.widget_secret, body.user_id, body.user_hash)
        elif body.user_hash is not None:
            raise InvalidInput(
                "user_hash needs a user_id", errors=[field_error("user_id", "missing")]
            )
        if body.email_hash is not None and not body.email:
            raise InvalidInput(
                "email_hash needs an email", errors=[field_error("email", "missing")]
            )
        vid = check_visitor_id(body.visitor_id) if body.visitor_id else new_visitor_id()
        v = Visitor(vid, body.user_id, None, body.name)
        if body.email:
            email = checked_email(body.email)
            if body.email_hash is not None:
                verify_email_signature(settings.widget_secret, email, body.email_hash)
                v = Visitor(vid, body.user_id, email, body.name)
            else:
                v = await run_in_threadpool(verification.claim, runtime, v, email)
        customer_id, conversation_id = await run_in_threadpool(visitors.find_customer, runtime, v)
        return {
            "token": tokens.issue(v),
            **_identity(v),
            "customer_id": customer_id,
            "conversation_id": conversation_id,
            "ws_path": "/v1/widget/ws",
        }

    @router.post(
        "/identify",
        summary="A visitor gives their email (a claim, still unverified)",
        dependencies=[Depends(identify_limit)],
        responses=THROTTLED,
    )
    async def identify(
        body: IdentifyIn,
        runtime: RuntimeDep,
        x_widget_token: Annotated[str | None, Header()] = None,
    ) -> dict[str, Any]:
        v = tokens.read(x_widget_token)
        email = checked_email(body.email)
        named = Visitor(v.visitor_id, v.user_id, v.email, body.name or v.name, v.claimed_email)
        nv = await run_in_threadpool(verification.claim, runtime, named, email)
        return {"token": tokens.issue(nv), **_identity(nv)}

    @router.post(
        "/verify/start",
        status_code=202,
        summary="Email the visitor a one-time code for their email",
        # Each code is an email sent on the visitor's behalf: counted like an email claim.
        dependencies=[Depends(identify_limit)],
        responses=THROTTLED,
    )
    async def verify_start(
        body: VerifyStartIn,
        runtime: RuntimeDep,
        x_widget_token: Annotated[str | None, Header()] = None,
    ) -> dict[str, Any]:
        v = tokens.read(x_widget_token)
        raw = body.email or v.claimed_email
        if not raw:
            raise InvalidInput(
                "give the email to verify", errors=[field_error("email", "missing (no claim yet)")]
            )
        nv = await verification.send_code(runtime, outbox, code_key, v, checked_email(raw))
        return {
            "token": tokens.issue(nv),
            **_identity(nv),
            "expires_in_seconds": runtime.settings.channels.widget_code_minutes * 60,
        }

    @router.post(
        "/verify",
        summary="Prove the claimed email with the code sent to it",
        dependencies=[Depends(identify_limit)],
        responses=THROTTLED,
    )
    async def verify(
        body: VerifyIn, runtime: RuntimeDep, x_widget_token: Annotated[str | None, Header()] = None
    ) -> dict[str, Any]:
        """On success the visitor's conversation joins the customer who owns the address; the new
        token sees their history (``GET /v1/widget/messages``) and live replies."""
        v = tokens.read(x_widget_token)
        nv, customer_id = await verification.verify(runtime, code_key, v, body.code)
        return {"token": tokens.issue(nv), **_identity(nv), "customer_id": customer_id}

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
        v = tokens.read(x_widget_token)
        env = message_envelope(v, body.text, body.id or new_id("wm"), runtime.clock.now(), [])
        (outcome,) = await inbound.receive([env])
        raise_for(outcome)
        return {
            "id": outcome.id,
            "customer_id": outcome.customer_id,
            "duplicate": outcome.duplicate,
        }

    @router.get("/messages", summary="The visitor's open conversation (after a page reload)")
    async def get_messages(
        runtime: RuntimeDep, x_widget_token: Annotated[str | None, Header()] = None
    ) -> dict[str, Any]:
        v = tokens.read(x_widget_token)
        customer_id, _conv = await run_in_threadpool(visitors.find_customer, runtime, v)
        return {"items": await run_in_threadpool(visitors.history, runtime, customer_id)}

    @router.websocket("/ws")
    async def widget_ws(ws: WebSocket, token: Annotated[str | None, Query()] = None) -> None:
        runtime: Runtime = ws.app.state.runtime
        refused = await origin_refused(ws.scope, origins)
        if refused is not None:
            await ws.close(code=4403, reason=refused[:120])
            return
        try:
            v = tokens.read(token)
        except OneStoryError as exc:
            await ws.close(code=4401, reason=exc.detail[:120])
            return
        await ws.accept()
        customer_id, conversation_id = await run_in_threadpool(visitors.find_customer, runtime, v)
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
                        await ws.send_json({"type": "message", "message": visitors.visible(msg)})
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
                            {
                                "type": "error",
                                "id": client_id,
                                "detail": detail,
                                "retry_after": wait,
                            }
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
                    env = message_envelope(
                        state["visitor"], text, client_id, runtime.clock.now(), []
                    )
                    (outcome,) = await inbound.receive([env])
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
                    conv = await run_in_threadpool(visitors.open_conversation, runtime, cid)
                    if conv is not None:
                        channels, message = messages.conversation_typing(
                            live_channels(conv),
                            conv.id,
                            who="customer",
                            name=state["visitor"].name,
                            typing=bool(data.get("typing", True)),
                        )
                        await runtime.live.publish(channels, message)
                elif kind == "identify" and isinstance(email := data.get("email"), str):
                    try:
                        claimed = checked_email(email)
                    except OneStoryError as exc:
                        await ws.send_json({"type": "error", "detail": exc.detail})
                        continue
                    # A claim only: the socket keeps following the visitor's own record.
                    state["visitor"] = await run_in_threadpool(
                        verification.claim, runtime, state["visitor"], claimed
                    )
                    await ws.send_json(
                        {
                            "type": "token",
                            "token": tokens.issue(state["visitor"]),
                            "verified": state["visitor"].verified,
                            "claimed_email": state["visitor"].claimed_email,
                        }
                    )
        except (WebSocketDisconnect, RuntimeError, ValueError):
            pass
        finally:
            sender.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await sender
            sub.close()

    return router
