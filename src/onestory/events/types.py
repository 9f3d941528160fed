"""Payload schemas of the event types OneStory knows.

Known types are validated (wrong field types get a clear 422); extra payload fields are kept,
because back-end systems always know more than we model. Unknown types are accepted as
generic events with any JSON object payload.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class _Payload(BaseModel):
    model_config = ConfigDict(extra="allow")


class Attachment(BaseModel):
    model_config = ConfigDict(extra="allow")
    filename: str = Field(max_length=300)
    content_type: str | None = Field(default=None, max_length=200)
    size: int | None = Field(default=None, ge=0)


class MessagePayload(_Payload):
    text: str = Field(max_length=50_000)
    subject: str | None = Field(default=None, max_length=1000)
    author: Literal["customer", "agent", "ai", "system"] = "customer"
    author_id: str | None = Field(default=None, max_length=200)
    conversation_id: str | None = Field(default=None, max_length=40)
    message_id: str | None = Field(default=None, max_length=500)
    in_reply_to: str | None = Field(default=None, max_length=500)
    attachments: list[Attachment] = Field(default_factory=list, max_length=50)
    # Outbound messages: a ``message.sent`` recorded with status "queued" is delivered by the
    # channels layer, which then records the delivery outcome as a story event.
    status: Literal["queued", "sent", "delivered", "read", "failed"] | None = None


class MoneyPayload(_Payload):
    amount: float | None = None
    currency: str | None = Field(default=None, min_length=3, max_length=3)


class PaymentFailedPayload(MoneyPayload):
    reason: str | None = Field(default=None, max_length=500)
    invoice_id: str | None = Field(default=None, max_length=100)
    attempt: int | None = Field(default=None, ge=1)


class PaymentSucceededPayload(MoneyPayload):
    invoice_id: str | None = Field(default=None, max_length=100)


class OrderPayload(MoneyPayload):
    order_id: str = Field(max_length=100)
    items: list[dict[str, Any]] = Field(default_factory=list, max_length=500)


class DeliveryPayload(_Payload):
    order_id: str = Field(max_length=100)
    carrier: str | None = Field(default=None, max_length=100)
    expected_at: str | None = Field(default=None, max_length=40)
    delay_days: int | None = Field(default=None, ge=0)


class PlanChangedPayload(_Payload):
    from_plan: str | None = Field(default=None, max_length=100)
    to_plan: str = Field(max_length=100)
    mrr_change: float | None = None


class SurveyAnsweredPayload(_Payload):
    survey: Literal["nps", "csat", "ces", "other"] = "other"
    score: float | None = None
    comment: str | None = Field(default=None, max_length=20_000)
    question: str | None = Field(default=None, max_length=1000)


class CallPayload(_Payload):
    call_id: str = Field(max_length=200)
    duration_seconds: int | None = Field(default=None, ge=0)
    direction: Literal["inbound", "outbound"] | None = None
    transcript: str | None = Field(default=None, max_length=200_000)


class VisitPayload(_Payload):
    visit_id: str = Field(max_length=100)
    window_start: str | None = Field(default=None, max_length=40)
    window_end: str | None = Field(default=None, max_length=40)
    technician: str | None = Field(default=None, max_length=200)
    status: str | None = Field(default=None, max_length=40)
    notes: str | None = Field(default=None, max_length=20_000)


class AppSessionPayload(_Payload):
    session_id: str | None = Field(default=None, max_length=200)
    duration_seconds: int | None = Field(default=None, ge=0)
    screens: list[str] = Field(default_factory=list, max_length=500)
    errors: int | None = Field(default=None, ge=0)


class UsagePayload(_Payload):
    metric: str = Field(max_length=100)
    value: float


class SocialPayload(_Payload):
    text: str = Field(max_length=50_000)
    network: str | None = Field(default=None, max_length=60)
    url: str | None = Field(default=None, max_length=2000)
    rating: float | None = None


PAYLOAD_SCHEMAS: dict[str, type[BaseModel]] = {
    "message.received": MessagePayload,
    "message.sent": MessagePayload,
    "payment.failed": PaymentFailedPayload,
    "payment.succeeded": PaymentSucceededPayload,
    "order.placed": OrderPayload,
    "order.shipped": DeliveryPayload,
    "order.delivered": DeliveryPayload,
    "delivery.delayed": DeliveryPayload,
    "plan.changed": PlanChangedPayload,
    "survey.answered": SurveyAnsweredPayload,
    "call.started": CallPayload,
    "call.ended": CallPayload,
    "visit.scheduled": VisitPayload,
    "visit.completed": VisitPayload,
    "app.session": AppSessionPayload,
    "usage.reported": UsagePayload,
    "social.posted": SocialPayload,
    "review.posted": SocialPayload,
}

# Payload fields whose text is searchable and read by the AI enrichment stage.
TEXT_FIELDS = ("subject", "text", "comment", "transcript", "notes")


def extract_text(payload: dict[str, Any]) -> str | None:
    """The searchable text of a payload (its text-bearing fields, joined)."""
    parts = [v for k in TEXT_FIELDS if isinstance(v := payload.get(k), str) and v]
    return "\n".join(parts) if parts else None
