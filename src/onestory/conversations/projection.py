"""Project stage: build and update conversations from ``message.*`` and ``call.*`` events,
and route them into queues (``settings.routing`` rules; ``conversation.route_requested``).

Idempotent: a message row is keyed by its event id, so an event seen again after a crash
changes nothing; conversation events emitted here carry idempotency keys derived from the
event that caused them.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from onestory.conversations import repository as repo
from onestory.conversations.facts import capture
from onestory.conversations.models import Conversation, ConversationMessage
from onestory.conversations.settings import ConversationSettings
from onestory.conversations.views import conversation_view, live_channels, message_view
from onestory.events import repository as events_repo
from onestory.events.service import EventDraft
from onestory.kit.ids import new_id
from onestory.live.hub import LiveHub
from onestory.pipeline.stages import StageContext, StoredEvent

log = logging.getLogger(__name__)

ROUTE_REQUESTED = "conversation.route_requested"
STATUS_EVENTS = ("message.delivered", "message.failed", "message.status")
CALL_LABELS = {
    "call.started": "Call started",
    "call.answered": "Call answered",
    "call.ended": "Call ended",
    "call.recording": "Call recording available",
}


@dataclass
class Effects:
    """What a change produced: story events to record and live messages to push after commit."""

    drafts: list[EventDraft] = field(default_factory=list)
    live: list[tuple[list[str], dict[str, Any]]] = field(default_factory=list)

    def updated(self, conv: Conversation, change: str, now: datetime) -> None:
        self.live.append(
            (
                live_channels(conv),
                {
                    "kind": "conversation.updated",
                    "change": change,
                    "conversation": conversation_view(conv, now),
                },
            )
        )

    def message(self, conv: Conversation, msg: ConversationMessage) -> None:
        self.live.append(
            (
                live_channels(conv),
                {
                    "kind": "conversation.message",
                    "conversation_id": conv.id,
                    "customer_id": conv.customer_id,
                    "message": message_view(msg),
                },
            )
        )


def conversation_event(
    conv: Conversation, type_: str, payload: dict[str, Any], when: datetime, key: str
) -> EventDraft:
    return EventDraft(
        type=type_,
        customer_id=conv.customer_id,
        payload={"conversation_id": conv.id, **payload},
        occurred_at=when,
        channel=conv.channel,
        idempotency_key=key,
    )


def new_conversation(
    customer_id: str,
    when: datetime,
    settings: ConversationSettings,
    now: datetime,
    queue: str | None = None,
) -> Conversation:
    return Conversation(
        id=new_id("cnv"),
        customer_id=customer_id,
        status="open",
        channel=None,
        channels=[],
        subject=None,
        assignee=None,
        queue=queue or settings.default_queue,
        priority="normal",
        opened_at=when,
        message_count=0,
        facts={},
        notes=[],
        updated_at=now,
    )


def set_status(
    conv: Conversation, status: str, when: datetime, fx: Effects, key: str, **extra: Any
) -> None:
    if conv.status == status:
        return
    previous = conv.status
    conv.status = status
    fx.drafts.append(
        conversation_event(
            conv,
            "conversation.status_changed",
            {"from": previous, "to": status, **extra},
            when,
            key,
        )
    )


class Projector:
    def __init__(self, session: Session, ctx: StageContext, settings: ConversationSettings):
        self.session = session
        self.ctx = ctx
        self.settings = settings
        self.now = ctx.clock.now()
        self.fx = Effects()

    # --- finding the thread -------------------------------------------------------------
    def thread_for(self, ev: StoredEvent, intent: str | None = None) -> Conversation:
        """The conversation an event of this customer belongs to, opening one if needed
        (in the queue the routing rules pick for the event's channel and intent)."""
        assert ev.customer_id is not None
        wanted = ev.payload.get("conversation_id")
        conv: Conversation | None = None
        if isinstance(wanted, str):
            found = self.session.get(Conversation, wanted)
            if found is not None and found.customer_id == ev.customer_id:
                conv = found
        if conv is None:
            conv = repo.latest_for_customer(self.session, ev.customer_id)
        when = ev.occurred_at
        if conv is not None and conv.status != "resolved":
            stale = timedelta(days=self.settings.stale_after_days)
            if conv.last_message_at is not None and when - conv.last_message_at > stale:
                conv.resolved_at = conv.last_message_at
                conv.waiting_since = None
                set_status(conv, "resolved", when, self.fx, f"{ev.id}:stale", reason="inactive")
                self.fx.drafts.append(
                    conversation_event(
                        conv, "conversation.resolved", {"reason": "inactive"}, when, f"{ev.id}:rs"
                    )
                )
                conv = None
        if conv is not None and conv.status == "resolved":
            quiet = timedelta(minutes=self.settings.quiet_period_minutes)
            inbound = ev.type == "message.received" or ev.type.startswith("call.")
            # A reply threaded to this conversation (email In-Reply-To) reopens it whenever.
            threaded = conv.id == wanted
            if (
                not inbound
                or threaded
                or conv.resolved_at is None
                or when - conv.resolved_at <= quiet
            ):
                if inbound:
                    self.reopen(conv, when, f"{ev.id}:reopened", by="customer")
                return conv
            conv = None
        if conv is None:
            rule = self.settings.route(ev.channel, intent)
            conv = new_conversation(
                ev.customer_id, when, self.settings, self.now, rule.queue if rule else None
            )
            self.session.add(conv)
            opened: dict[str, Any] = {"channel": ev.channel, "trigger_event_id": ev.id}
            opened["queue"] = conv.queue
            if rule is not None:
                opened["routing_rule"] = rule.label
                opened["intent"] = intent
            self.fx.drafts.append(
                conversation_event(conv, "conversation.opened", opened, when, f"{ev.id}:opened")
            )
            self.fx.updated(conv, "opened", self.now)
        return conv

    def reopen(self, conv: Conversation, when: datetime, key: str, *, by: str) -> None:
        conv.resolved_at = None
        set_status(conv, "waiting_on_us", when, self.fx, key + ":st")
        self.fx.drafts.append(
            conversation_event(conv, "conversation.reopened", {"by": by}, when, key)
        )

    # --- events ------------------------------------------------------------------------------
    def run(self, events: list[StoredEvent]) -> None:
        relevant = [e for e in events if e.customer_id and _relevant(e.type)]
        if not relevant:
            return
        known = repo.message_by_event(self.session, [e.id for e in relevant])
        intents = self._intents([e.id for e in relevant if e.type == "message.received"])
        for ev in relevant:
            if ev.type == "customer.merged":
                self.merged(ev)
            elif ev.type == ROUTE_REQUESTED:
                self.route_requested(ev)
            elif ev.type in STATUS_EVENTS:
                self.status_report(ev)
            elif ev.id not in known:
                self.message(ev, intents.get(ev.id))

    def _intents(self, event_ids: list[str]) -> dict[str, str]:
        out: dict[str, str] = {}
        for eid, rows in events_repo.insights_for(self.session, event_ids).items():
            for row in rows:
                if row.kind == "intent" and isinstance(row.value, dict):
                    label = row.value.get("label")
                    if isinstance(label, str) and not row.value.get("out_of_scope"):
                        out[eid] = label
        return out

    def merged(self, ev: StoredEvent) -> None:
        merged_id = ev.payload.get("merged_id")
        survivor = ev.payload.get("survivor_id")
        if isinstance(merged_id, str) and isinstance(survivor, str):
            repo.repoint_customer(self.session, merged_id, survivor)

    def status_report(self, ev: StoredEvent) -> None:
        target = ev.payload.get("message_event_id")
        if not isinstance(target, str):
            return
        msg = repo.message_by_event(self.session, [target]).get(target)
        if msg is None:
            return
        status = {"message.delivered": "delivered", "message.failed": "failed"}.get(
            ev.type, str(ev.payload.get("status") or msg.status)
        )
        if msg.status == "failed" or (msg.status == "read" and status != "failed"):
            return
        msg.status = status
        if isinstance(ch := ev.payload.get("channel"), str):
            msg.channel = ch
        if isinstance(pid := ev.payload.get("provider_id"), str) and not msg.external_id:
            msg.external_id = pid[:500]
        if isinstance(err := ev.payload.get("error"), str):
            msg.meta = {**(msg.meta or {}), "error": err[:500]}
        conv = self.session.get(Conversation, msg.conversation_id)
        if conv is not None:
            self.fx.message(conv, msg)

    def route_requested(self, ev: StoredEvent) -> None:
        """A playbook (or any system) asks for the customer's conversation to move to a
        queue: like a transfer to a team, with a hand-off note, a ``conversation.routed``
        story event and a live update. A resolved or missing conversation is left alone."""
        assert ev.customer_id is not None
        p = ev.payload
        queue = p.get("queue")
        if not isinstance(queue, str) or not usable_queue(queue):
            log.warning("route request %s names no usable queue; ignored", ev.id)
            return
        conv: Conversation | None = None
        wanted = p.get("conversation_id")
        if isinstance(wanted, str):
            found = self.session.get(Conversation, wanted)
            if found is not None and found.customer_id == ev.customer_id:
                conv = found
        if conv is None:
            conv = repo.latest_for_customer(self.session, ev.customer_id)
        if conv is None or conv.status == "resolved":
            return
        if any(n.get("event_id") == ev.id for n in conv.notes or []):
            return  # applied already
        reason = str(p.get("reason") or "route requested")[:1000]
        extra: dict[str, Any] = {"event_id": ev.id, "source": ev.source}
        if isinstance(sig := p.get("signal_id"), str):
            extra["signal_id"] = sig
        self.move(conv, ev, queue.strip(), kind="routing", who=ev.source, why=reason, extra=extra)

    def move(
        self,
        conv: Conversation,
        ev: StoredEvent,
        queue: str,
        *,
        kind: str,
        who: str,
        why: str,
        extra: dict[str, Any],
    ) -> None:
        """Move ``conv`` to ``queue`` the way a transfer to a team does: the assignee is
        cleared (the queue's members pick it up) and a context note says why."""
        if conv.queue == queue:
            return
        note = handoff_note(
            conv,
            kind=kind,
            who=who,
            why=why,
            when=ev.occurred_at,
            extra={
                "from_assignee": conv.assignee,
                "from_queue": conv.queue,
                "to_assignee": None,
                "to_queue": queue,
                **extra,
            },
        )
        conv.notes = [*(conv.notes or []), note]
        conv.queue = queue
        conv.assignee = None
        conv.updated_at = self.now
        self.fx.drafts.append(
            conversation_event(conv, "conversation.routed", note, ev.occurred_at, f"{ev.id}:rt")
        )
        self.fx.updated(conv, "routed", self.now)

    def message(self, ev: StoredEvent, intent: str | None) -> None:
        conv = self.thread_for(ev, intent if ev.type == "message.received" else None)
        p = ev.payload
        is_call = ev.type.startswith("call.")
        author = str(p.get("author") or ("customer" if ev.type == "message.received" else "agent"))
        if is_call:
            author = str(p.get("speaker") or "system")
        if author not in ("customer", "agent", "ai", "system"):
            author = "system"
        direction = "inbound" if author == "customer" else "outbound"
        if is_call and ev.type != "call.segment":
            direction = "internal"
        text = p.get("text") if isinstance(p.get("text"), str) else None
        if is_call and ev.type != "call.segment":
            label = CALL_LABELS.get(ev.type, ev.type)
            extra = f" ({p['duration_seconds']}s)" if p.get("duration_seconds") else ""
            text = f"{label}{extra}"
            if isinstance(tr := p.get("transcript"), str) and tr:
                text = f"{text}\n{tr}"
        status = p.get("status") if isinstance(p.get("status"), str) else None
        if status is None and direction == "outbound" and not is_call:
            status = "sent"
        channel = ev.channel or ("voice" if is_call else None)
        external = p.get("message_id") or p.get("call_sid") or p.get("provider_id")
        if is_call and not external:
            external = p.get("call_id")
        msg = ConversationMessage(
            conversation_id=conv.id,
            event_id=ev.id,
            direction=direction,
            channel=channel,
            author=author,
            author_id=str(p["author_id"])[:200] if p.get("author_id") else None,
            kind="call" if is_call else "message",
            text=text,
            subject=str(p["subject"])[:1000] if p.get("subject") else None,
            status=status,
            attachments=[a for a in p.get("attachments") or [] if isinstance(a, dict)][:50],
            external_id=str(external)[:500] if external else None,
            meta={k: p[k] for k in ("call_id", "speaker", "in_reply_to") if k in p},
            occurred_at=ev.occurred_at,
        )
        self.session.add(msg)
        conv.message_count += 1
        conv.last_message_at = max(conv.last_message_at or ev.occurred_at, ev.occurred_at)
        conv.updated_at = self.now
        if msg.subject and not conv.subject:
            conv.subject = msg.subject
        if direction == "inbound":
            self.inbound(conv, ev, msg, intent)
        elif direction == "outbound":
            self.outbound(conv, ev, msg)
        elif channel and channel not in (conv.channels or []):
            conv.channels = [*(conv.channels or []), channel]
        self.fx.message(conv, msg)
        self.fx.updated(conv, "message", self.now)

    def inbound(
        self, conv: Conversation, ev: StoredEvent, msg: ConversationMessage, intent: str | None
    ) -> None:
        channel = msg.channel
        if channel and conv.channel and channel != conv.channel:
            self.handoff(
                conv,
                ev,
                kind="channel_switch",
                who="customer",
                why=f"the customer moved from {conv.channel} to {channel}",
                extra={"from_channel": conv.channel, "to_channel": channel},
            )
        if channel:
            conv.channel = channel
            if channel not in (conv.channels or []):
                conv.channels = [*(conv.channels or []), channel]
        if conv.waiting_since is None:
            conv.waiting_since = ev.occurred_at
        set_status(conv, "waiting_on_us", ev.occurred_at, self.fx, f"{ev.id}:st")
        # A thread still unassigned in the default queue (opened by our own message, or its
        # first customer messages had no recognised intent) is routed when a rule matches now.
        if conv.queue == self.settings.default_queue and conv.assignee is None:
            rule = self.settings.route(channel, intent)
            if rule is not None and rule.queue != conv.queue:
                self.move(
                    conv,
                    ev,
                    rule.queue,
                    kind="routing",
                    who="routing rules",
                    why=f"routing rule {rule.label}",
                    extra={"routing_rule": rule.label, "intent": intent, "event_id": ev.id},
                )
        if self.settings.capture_facts and msg.text:
            conv.facts = capture(conv.facts or {}, msg.text, event_id=ev.id, intent=intent)

    def outbound(self, conv: Conversation, ev: StoredEvent, msg: ConversationMessage) -> None:
        if msg.author in ("agent", "ai") and conv.first_response_at is None:
            conv.first_response_at = ev.occurred_at
        if msg.author == "agent" and msg.author_id and conv.assignee is None:
            conv.assignee = msg.author_id
        last_ai = any(
            n.get("kind") == "ai_to_human" for n in conv.notes or []
        )  # one AI→human note per conversation is enough context
        if msg.author == "agent" and not last_ai and _ai_spoke(self.session, conv.id):
            self.handoff(
                conv,
                ev,
                kind="ai_to_human",
                who=msg.author_id or "agent",
                why="a human agent took over from the AI agent",
                extra={},
            )
        if msg.author in ("agent", "ai") and conv.status != "resolved":
            # (A follow-up note after resolution does not reopen the conversation.)
            conv.waiting_since = None
            set_status(conv, "waiting_on_customer", ev.occurred_at, self.fx, f"{ev.id}:st")

    def handoff(
        self,
        conv: Conversation,
        ev: StoredEvent,
        *,
        kind: str,
        who: str,
        why: str,
        extra: dict[str, Any],
    ) -> None:
        note = handoff_note(conv, kind=kind, who=who, why=why, when=ev.occurred_at, extra=extra)
        conv.notes = [*(conv.notes or []), note]
        self.fx.drafts.append(
            conversation_event(conv, "conversation.handoff", note, ev.occurred_at, f"{ev.id}:ho")
        )


def handoff_note(
    conv: Conversation, *, kind: str, who: str, why: str, when: datetime, extra: dict[str, Any]
) -> dict[str, Any]:
    """A hand-off context note: who, why, what is known, what is still open."""
    facts = conv.facts or {}
    known = {k: v.get("value", v.get("text")) for k, v in facts.items() if isinstance(v, dict)}
    open_items = []
    if conv.status == "waiting_on_us":
        open_items.append("the customer is waiting for our answer")
    if "problem" in facts and conv.resolved_at is None:
        open_items.append("the customer's problem is not resolved yet")
    return {
        "kind": kind,
        "who": who,
        "why": why,
        "known": known,
        "open": open_items,
        "at": when.isoformat(),
        **extra,
    }


def usable_queue(name: str) -> bool:
    """Stored queue names are trimmed, 1-100 printable characters (as users.queues checks)."""
    name = name.strip()
    return 0 < len(name) <= 100 and name.isprintable()


def _ai_spoke(session: Session, conversation_id: str) -> bool:
    return (
        session.scalar(
            select(ConversationMessage.id)
            .where(
                ConversationMessage.conversation_id == conversation_id,
                ConversationMessage.author == "ai",
            )
            .limit(1)
        )
        is not None
    )


def _relevant(type_: str) -> bool:
    return (
        type_ in ("message.received", "message.sent", "customer.merged", ROUTE_REQUESTED)
        or type_ in STATUS_EVENTS
        or type_ in CALL_LABELS
        or type_ == "call.segment"
    )


class ConversationsStage:
    """The project-stage handler of conversations, bound to its settings and the live hub."""

    def __init__(self, settings: ConversationSettings, hub: LiveHub) -> None:
        self.settings = settings
        self.hub = hub

    def project(self, session: Session, events: list[StoredEvent], ctx: StageContext) -> None:
        project(session, events, ctx, self.settings, self.hub)


def project(
    session: Session,
    events: list[StoredEvent],
    ctx: StageContext,
    settings: ConversationSettings,
    hub: LiveHub,
) -> None:
    projector = Projector(session, ctx, settings)
    projector.run(events)
    session.flush()
    for d in projector.fx.drafts:
        ctx.emit(d)
    live = projector.fx.live
    if live:

        async def push() -> None:
            for channels, message in live:
                await hub.publish(channels, message)

        ctx.on_commit(push)
