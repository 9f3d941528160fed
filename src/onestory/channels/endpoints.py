"""HTTP API of the channels domain (mounted under /v1): provider webhooks and the widget.

Twilio webhooks are authenticated by ``X-Twilio-Signature`` (which covers the full URL); the
voice, social, app and raw email webhooks by ``X-OneStory-Timestamp`` + ``X-OneStory-Signature``
(kit/signing.py: method, path, timestamp and body under ``webhook_secret``) or an API key with
``events:write``. A replayed webhook answers 200 with ``"duplicate": true``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit
from xml.sax.saxutils import escape

from fastapi import APIRouter, Path, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from onestory.app_state import Runtime
from onestory.auth.guard import bearer_token
from onestory.channels import repository, twilio
from onestory.channels.email import MailRejected, receive_mail
from onestory.channels.inbound import Inbound, raise_for
from onestory.deps import RuntimeDep
from onestory.events.schemas import Identifiers
from onestory.events.service import ItemOutcome
from onestory.kit import signing
from onestory.kit.errors import (
    BadRequest,
    Forbidden,
    InvalidInput,
    NotFound,
    PayloadTooLarge,
    field_error,
)
from onestory.kit.http import ORJSONResponse
from onestory.kit.jsonutil import loads

MAX_WEBHOOK_BYTES = 2 * 1024 * 1024
TWIML_OK = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'


async def _body(request: Request, limit: int = MAX_WEBHOOK_BYTES) -> bytes:
    body = bytearray()
    async for chunk in request.stream():
        body.extend(chunk)
        if len(body) > limit:
            raise PayloadTooLarge(f"the webhook body exceeds {limit} bytes")
    return bytes(body)


def _public_url(runtime: Runtime, request: Request) -> str:
    base = runtime.settings.channels.public_base_url.rstrip("/")
    if not base:
        return str(request.url)
    query = f"?{request.url.query}" if request.url.query else ""
    return f"{base}{request.url.path}{query}"


def _signed_target(runtime: Runtime, request: Request) -> str:
    """The path (and query) the sender addressed: behind a proxy that strips a prefix, the
    prefix of ``public_base_url`` is put back, as it is for Twilio's full-URL signatures."""
    prefix = urlsplit(runtime.settings.channels.public_base_url).path.rstrip("/")
    query = f"?{request.url.query}" if request.url.query else ""
    return f"{prefix}{request.url.path}{query}"


def _authorize(runtime: Runtime, request: Request, body: bytes) -> None:
    channels = runtime.settings.channels
    headers = request.headers
    signed = signing.SIGNATURE_HEADER in headers or signing.TIMESTAMP_HEADER in headers
    if channels.webhook_secret and signed:
        signing.verify(
            channels.webhook_secret,
            headers,
            method=request.method,
            path=_signed_target(runtime, request),
            body=body,
            now=runtime.clock.now(),
            tolerance_seconds=channels.signature_tolerance_seconds,
        )
        return
    principal = runtime.guard.principal(bearer_token(request))
    if not principal.allows("events:write"):
        raise Forbidden("this key lacks the 'events:write' scope")


def _json(body: bytes) -> Any:
    try:
        return loads(body)
    except ValueError as exc:
        raise BadRequest(f"the body is not valid JSON: {exc}") from exc


def _result(outcomes: list[ItemOutcome]) -> Response:
    for o in outcomes:
        raise_for(o)
    items = [{"id": o.id, "customer_id": o.customer_id, "duplicate": o.duplicate} for o in outcomes]
    dup = all(o.duplicate for o in outcomes)
    return ORJSONResponse(
        {"accepted": len(items), "duplicate": dup, "items": items}, status_code=200 if dup else 201
    )


# --- Twilio: SMS and WhatsApp ----------------------------------------------------------------
async def _twilio_params(runtime: Runtime, request: Request) -> dict[str, str]:
    form = await request.form()
    params = {k: str(v) for k, v in form.multi_items() if isinstance(v, str)}
    settings = runtime.settings.channels.twilio
    if settings.validate_signatures:
        url = _public_url(runtime, request)
        if not twilio.signature_ok(
            settings.auth_token, url, params, request.headers.get("x-twilio-signature")
        ):
            raise Forbidden("the X-Twilio-Signature is missing or does not match this request")
    return params


# --- Voice ---------------------------------------------------------------------------------
class Segment(BaseModel):
    model_config = ConfigDict(extra="forbid")
    index: int = Field(ge=0, le=100_000)
    speaker: Literal["customer", "agent", "ai", "system"]
    text: str = Field(min_length=1, max_length=20_000)
    start_seconds: float | None = Field(default=None, ge=0)
    end_seconds: float | None = Field(default=None, ge=0)
    speaker_id: str | None = Field(default=None, max_length=200)


class VoiceEvent(BaseModel):
    model_config = ConfigDict(extra="forbid")
    call_id: str = Field(min_length=1, max_length=200)
    event: Literal["started", "answered", "ended", "recording", "transcript"]
    occurred_at: datetime
    customer: Identifiers
    direction: Literal["inbound", "outbound"] | None = None
    agent_id: str | None = Field(default=None, max_length=200)
    duration_seconds: int | None = Field(default=None, ge=0)
    recording_url: str | None = Field(default=None, max_length=2000)
    segments: list[Segment] = Field(default_factory=list, max_length=2000)


def voice_envelopes(ev: VoiceEvent) -> list[dict[str, Any]]:
    base: dict[str, Any] = {
        "source": "voice",
        "channel": "voice",
        "occurred_at": ev.occurred_at.isoformat(),
        "customer": ev.customer.model_dump(exclude_defaults=True),
    }
    if ev.event == "transcript":
        return [
            {
                **base,
                "type": "call.segment",
                "payload": {
                    "call_id": ev.call_id,
                    "speaker": s.speaker,
                    "author": s.speaker,
                    "text": s.text,
                    "index": s.index,
                    **({"start_seconds": s.start_seconds} if s.start_seconds is not None else {}),
                    **({"end_seconds": s.end_seconds} if s.end_seconds is not None else {}),
                    **(
                        {"author_id": s.speaker_id or ev.agent_id}
                        if s.speaker != "customer" and (s.speaker_id or ev.agent_id)
                        else {}
                    ),
                },
                "idempotency_key": f"call:{ev.call_id}:seg:{s.index}",
            }
            for s in ev.segments
        ]
    payload: dict[str, Any] = {"call_id": ev.call_id}
    for k in ("direction", "agent_id", "duration_seconds", "recording_url"):
        if (v := getattr(ev, k)) is not None:
            payload[k] = v
    return [
        {
            **base,
            "type": f"call.{ev.event}",
            "payload": payload,
            "idempotency_key": f"call:{ev.call_id}:{ev.event}",
        }
    ]


# --- Social, in-app / API, raw email --------------------------------------------------------
class SocialIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str = Field(min_length=1, max_length=200, description="The network's post/message id")
    handle: str = Field(min_length=1, max_length=200)
    name: str | None = Field(default=None, max_length=200)
    text: str = Field(min_length=1, max_length=20_000)
    url: str | None = Field(default=None, max_length=2000)
    occurred_at: datetime
    public: bool = False


class AppMessageIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    message_id: str = Field(min_length=1, max_length=200)
    customer: Identifiers
    text: str = Field(min_length=1, max_length=20_000)
    occurred_at: datetime
    channel: Literal["app", "api"] = "app"
    attachments: list[dict[str, Any]] = Field(default_factory=list, max_length=20)


def build_router(inbound: Inbound) -> APIRouter:
    """The channel webhooks, recording through this application's inbound path."""
    router = APIRouter(tags=["channels"])

    @router.post(
        "/channels/twilio/messages",
        summary="Twilio inbound SMS/WhatsApp webhook (signed)",
        response_class=Response,
    )
    async def twilio_inbound(request: Request, runtime: RuntimeDep) -> Response:
        params = await _twilio_params(runtime, request)
        if not params.get("From") or not (params.get("MessageSid") or params.get("SmsSid")):
            raise InvalidInput(
                "not a Twilio message webhook",
                errors=[field_error("From", "From and MessageSid are required")],
            )
        env = twilio.inbound_envelope(params, runtime.clock.now())
        (outcome,) = await inbound.receive([env])
        raise_for(outcome)
        return Response(
            TWIML_OK,
            media_type="text/xml",
            headers={
                "X-OneStory-Event": escape(outcome.id or ""),
                "X-OneStory-Duplicate": "true" if outcome.duplicate else "false",
            },
        )

    @router.post("/channels/twilio/status", summary="Twilio delivery status callback (signed)")
    async def twilio_status(request: Request, runtime: RuntimeDep) -> Response:
        params = await _twilio_params(runtime, request)
        sid = params.get("MessageSid") or params.get("SmsSid") or ""
        found = None
        if sid:
            found = await runtime.work.run(
                lambda uow: repository.outbound_by_provider_id(uow.session, sid), write=False
            )
        if found is None:
            raise NotFound(f"no outbound message with provider id {sid!r}")
        env = twilio.status_envelope(params, runtime.clock.now(), found[0], found[1])
        return _result(await inbound.receive([env]))

    @router.post("/channels/voice/events", summary="Call lifecycle and transcript segments")
    async def voice_events(request: Request, runtime: RuntimeDep) -> Response:
        body = await _body(request)
        _authorize(runtime, request, body)
        try:
            ev = VoiceEvent.model_validate(_json(body))
        except ValidationError as exc:
            raise InvalidInput(
                "the voice event is invalid",
                errors=[field_error(".".join(map(str, e["loc"])), e["msg"]) for e in exc.errors()],
            ) from exc
        if ev.event == "transcript" and not ev.segments:
            raise InvalidInput(
                "a transcript needs segments", errors=[field_error("segments", "empty")]
            )
        return _result(await inbound.receive(voice_envelopes(ev)))

    @router.post("/channels/social/{network}", summary="Generic social webhook")
    async def social(
        network: Annotated[str, Path(pattern=r"^[a-z0-9_-]{1,40}$")],
        request: Request,
        runtime: RuntimeDep,
    ) -> Response:
        body = await _body(request)
        _authorize(runtime, request, body)
        try:
            post = SocialIn.model_validate(_json(body))
        except ValidationError as exc:
            raise InvalidInput(
                "the social message is invalid",
                errors=[field_error(".".join(map(str, e["loc"])), e["msg"]) for e in exc.errors()],
            ) from exc
        customer: dict[str, Any] = {"social": {network: post.handle}}
        if post.name:
            customer["name"] = post.name
        env = {
            "type": "message.received",
            "source": f"social.{network}",
            "channel": "social",
            "occurred_at": post.occurred_at.isoformat(),
            "customer": customer,
            "payload": {
                "text": post.text,
                "author": "customer",
                "message_id": post.id,
                "network": network,
                "public": post.public,
                **({"url": post.url} if post.url else {}),
            },
            "idempotency_key": f"post:{post.id}",
        }
        return _result(await inbound.receive([env]))

    @router.post("/channels/app/messages", summary="In-app / API message from a customer")
    async def app_message(request: Request, runtime: RuntimeDep) -> Response:
        body = await _body(request)
        _authorize(runtime, request, body)
        try:
            m = AppMessageIn.model_validate(_json(body))
        except ValidationError as exc:
            raise InvalidInput(
                "the message is invalid",
                errors=[field_error(".".join(map(str, e["loc"])), e["msg"]) for e in exc.errors()],
            ) from exc
        env = {
            "type": "message.received",
            "source": m.channel,
            "channel": m.channel,
            "occurred_at": m.occurred_at.isoformat(),
            "customer": m.customer.model_dump(exclude_defaults=True),
            "payload": {
                "text": m.text,
                "author": "customer",
                "message_id": m.message_id,
                "attachments": m.attachments,
            },
            "idempotency_key": f"msg:{m.message_id}",
        }
        return _result(await inbound.receive([env]))

    @router.post("/channels/email/inbound", summary="Raw RFC 5322 message (for mail providers)")
    async def email_inbound(request: Request, runtime: RuntimeDep) -> dict[str, Any]:
        limit = runtime.settings.channels.email.max_message_bytes
        body = await _body(request, limit)
        _authorize(runtime, request, body)
        try:
            return await receive_mail(runtime, inbound, body)
        except MailRejected as exc:
            raise InvalidInput(exc.reason, errors=[field_error("message", exc.reason)]) from exc

    return router
