"""The playbook engine (act stage): signals and events in, guardrailed actions out.

Each action is a ``proactive_actions`` row (unique per trigger, playbook and action, so a
re-run stage does nothing twice) and a ``proactive.action`` story event naming the signal,
the playbook and the evidence. A message is recorded as a queued ``message.sent`` on the
chosen channel; the channels layer delivers it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from onestory.cases import case as case_rules
from onestory.cases import task as task_rules
from onestory.events.service import EventDraft
from onestory.kit.ids import new_id
from onestory.live import messages
from onestory.live.hub import LiveHub
from onestory.models import Event, Signal
from onestory.pipeline.stages import StageContext, StoredEvent
from onestory.proactive import guardrails
from onestory.proactive.models import ProactiveAction
from onestory.proactive.playbooks import Action, PlaybookSpec, render, specs
from onestory.proactive.settings import ProactiveSettings
from onestory.proactive.signals import SOURCE_TYPES


@dataclass
class Trigger:
    """What a playbook reacts to: a signal (with the event that raised it) or an event."""

    id: str
    customer_id: str
    event_id: str
    event_type: str
    at: datetime
    signal: Signal | None

    @property
    def evidence(self) -> dict[str, Any]:
        return dict(self.signal.evidence) if self.signal else {"event_id": self.event_id}


def _values(aud: guardrails.Audience, trig: Trigger) -> dict[str, Any]:
    values: dict[str, Any] = {}
    zone = ZoneInfo(aud.timezone)
    for k, v in trig.evidence.items():
        if isinstance(v, str) and len(v) >= 19 and v[4:5] == "-" and "T" in v:
            try:
                v = datetime.fromisoformat(v).astimezone(zone).strftime("%a %d %b %H:%M")
            except ValueError:
                pass
        if isinstance(v, str | int | float):
            values[k] = v
    name = aud.name or ""
    values.update(name=name or "there", first_name=name.split(" ")[0] if name else "there")
    if trig.signal:
        values.update(signal=trig.signal.kind, severity=trig.signal.severity)
    return values


def pick_template(templates: dict[str, str], language: str) -> tuple[str, str]:
    for lang in (language, "en"):
        if lang in templates:
            return lang, templates[lang]
    lang = next(iter(templates))
    return lang, templates[lang]


class Run:
    """One act-stage pass: caches customers' audiences and counts within the transaction."""

    def __init__(
        self,
        session: Session,
        ctx: StageContext | None,
        settings: ProactiveSettings,
        now: datetime,
        live: LiveHub | None = None,
    ) -> None:
        self.session = session
        self.ctx = ctx
        self.live = live
        self.settings = settings
        self.now = now
        self.audiences: dict[str, guardrails.Audience] = {}
        self.sent: dict[str, int] = {}
        self.contacted_triggers: set[str] = set()

    def audience(self, cid: str) -> guardrails.Audience:
        if cid not in self.audiences:
            self.audiences[cid] = guardrails.audience(self.session, cid, self.settings)
        return self.audiences[cid]

    def sent_this_week(self, cid: str) -> int:
        if cid not in self.sent:
            self.sent[cid] = guardrails.contacts_this_week(self.session, cid, self.now)
        return self.sent[cid]

    def already_contacted(self, trig: Trigger) -> bool:
        if trig.id in self.contacted_triggers:
            return True
        col = ProactiveAction.signal_id if trig.signal else ProactiveAction.trigger_event_id
        found = self.session.scalar(
            select(ProactiveAction.id)
            .where(
                col == trig.id,
                ProactiveAction.action == "message",
                ProactiveAction.status.in_(("done", "dry_run", "deferred")),
            )
            .limit(1)
        )
        return found is not None

    def decide(self, pb: PlaybookSpec, act: Action, trig: Trigger) -> guardrails.Decision:
        aud = self.audience(trig.customer_id)
        cap = self.settings.weekly_contact_cap
        if pb.guardrails.weekly_cap is not None:
            cap = min(cap, pb.guardrails.weekly_cap)
        return guardrails.check_contact(
            aud,
            purpose=pb.purpose,
            channels=act.channels,
            quiet_hours=pb.guardrails.quiet_hours,
            cap=cap,
            sent_this_week=self.sent_this_week(trig.customer_id),
            already_for_signal=self.already_contacted(trig),
            now=self.now,
            settings=self.settings,
        )

    def note_contact(self, trig: Trigger, *, really: bool) -> None:
        self.contacted_triggers.add(trig.id)
        if really:
            self.sent[trig.customer_id] = self.sent_this_week(trig.customer_id) + 1


def _message_draft(
    customer_id: str,
    channel: str | None,
    text: str,
    language: str,
    key: str,
    now: datetime,
    proactive: dict[str, Any],
) -> EventDraft:
    return EventDraft(
        type="message.sent",
        customer_id=customer_id,
        channel=channel,
        occurred_at=now,
        idempotency_key=f"proactive:{key}",
        payload={
            "text": text,
            "author": "ai",
            "status": "queued",
            "language": language,
            "proactive": proactive,
        },
    )


def send_deferred(session: Session, settings: ProactiveSettings, now: datetime) -> list[EventDraft]:
    """Queue the messages held back by quiet hours whose quiet hours are over, checking consent
    and the weekly cap again at sending time. Returns the story events to record."""
    run = Run(session, None, settings, now)
    drafts: list[EventDraft] = []
    rows = session.scalars(
        select(ProactiveAction)
        .where(ProactiveAction.status == "deferred", ProactiveAction.action == "message")
        .order_by(ProactiveAction.created_at)
        .limit(1000)
    )
    for row in rows:
        d = row.details or {}
        until = d.get("quiet_until")
        if not isinstance(until, str) or datetime.fromisoformat(until) > now:
            continue
        aud = run.audience(row.customer_id)
        cap = settings.weekly_contact_cap
        decision = guardrails.check_contact(
            aud,
            purpose=str(d.get("purpose") or "service"),
            channels=list(d.get("channels") or ["preferred", "last_inbound"]),
            quiet_hours=True,
            cap=cap,
            sent_this_week=run.sent_this_week(row.customer_id),
            already_for_signal=False,
            now=now,
            settings=settings,
        )
        if decision.reason == "quiet_hours":
            row.details = {**d, "quiet_until": decision.details["quiet_until"]}
            continue
        row.status = "done" if decision.allowed else "suppressed"
        row.reason = None if decision.allowed else decision.reason
        row.channel = decision.channel
        row.details = {**d, "sent_at": now.isoformat()} if decision.allowed else d
        if decision.allowed:
            run.sent[row.customer_id] = run.sent_this_week(row.customer_id) + 1
            drafts.append(
                _message_draft(
                    row.customer_id,
                    decision.channel,
                    str(d.get("text") or ""),
                    str(d.get("language") or "en"),
                    row.dedupe_key,
                    now,
                    {
                        "playbook": row.playbook,
                        "version": row.playbook_version,
                        "signal_id": row.signal_id,
                        "signal_kind": row.signal_kind,
                        "evidence": d.get("evidence") or {},
                        "deferred_by_quiet_hours": True,
                    },
                )
            )
        drafts.append(
            EventDraft(
                type="proactive.action",
                customer_id=row.customer_id,
                occurred_at=now,
                idempotency_key=f"proactive.action:{row.dedupe_key}:released",
                payload={
                    "action_id": row.id,
                    "playbook": row.playbook,
                    "playbook_version": row.playbook_version,
                    "action": "message",
                    "status": row.status,
                    "reason": row.reason or "quiet hours over",
                    "channel": row.channel,
                    "dry_run": False,
                    "signal": {"id": row.signal_id, "kind": row.signal_kind}
                    if row.signal_id
                    else None,
                    "trigger_event_id": row.trigger_event_id,
                    "evidence": d.get("evidence") or {},
                    "details": {"released_from": "quiet_hours"},
                },
            )
        )
    return drafts


def triggers_for(
    session: Session, events: list[StoredEvent], event_types: set[str]
) -> list[Trigger]:
    by_id = {e.id: e for e in events if e.customer_id}
    out: list[Trigger] = []
    if not by_id:
        return out
    # Only the detect stage's source types carry signals: skip the lookup for the rest.
    sources = [eid for eid, e in by_id.items() if e.type in SOURCE_TYPES]
    if sources:
        for sig in session.scalars(
            select(Signal).where(Signal.source_event_id.in_(sources)).order_by(Signal.detected_at)
        ):
            e = by_id[sig.source_event_id]
            out.append(Trigger(sig.id, sig.customer_id, e.id, e.type, e.occurred_at, sig))
    for e in by_id.values():
        if e.type in event_types:
            assert e.customer_id is not None
            out.append(Trigger(e.id, e.customer_id, e.id, e.type, e.occurred_at, None))
    return out


class Playbooks:
    """The act-stage handler, bound to the proactive settings and the live hub (team
    notifications)."""

    def __init__(self, settings: ProactiveSettings, live: LiveHub) -> None:
        self.settings = settings
        self.live = live

    def act(self, session: Session, events: list[StoredEvent], ctx: StageContext) -> None:
        playbooks_acted(session, events, ctx, self.settings, self.live)


def playbooks_acted(
    session: Session,
    events: list[StoredEvent],
    ctx: StageContext,
    settings: ProactiveSettings,
    live: LiveHub | None = None,
) -> None:
    books = [pb for pb, _on in specs(session)]
    if not books:
        return
    event_types = {t for pb in books for t in pb.when.events}
    trigs = triggers_for(session, events, event_types)
    if not trigs:
        return
    run = Run(session, ctx, settings, ctx.clock.now(), live)
    keys = [f"{t.id}:{pb.name}:{i}" for t in trigs for pb in books for i in range(len(pb.actions))]
    done = set(
        session.scalars(
            select(ProactiveAction.dedupe_key).where(ProactiveAction.dedupe_key.in_(keys))
        )
    )
    for trig in trigs:
        for pb in books:
            sig = trig.signal
            if not pb.matches(
                signal_kind=sig.kind if sig else None,
                severity=sig.severity if sig else None,
                event_type=trig.event_type,
            ):
                continue
            for i, act in enumerate(pb.actions):
                key = f"{trig.id}:{pb.name}:{i}"
                if key in done:
                    continue
                done.add(key)
                _perform(run, ctx, pb, i, act, trig, key)


def _perform(
    run: Run, ctx: StageContext, pb: PlaybookSpec, index: int, act: Action, trig: Trigger, key: str
) -> None:
    session, now = run.session, run.now
    dry = run.settings.dry_run or pb.guardrails.dry_run
    aud = run.audience(trig.customer_id)
    values = _values(aud, trig)
    status, reason, channel = "done", None, None
    details: dict[str, Any] = {}
    drafts: list[EventDraft] = []
    if act.type == "message":
        decision = run.decide(pb, act, trig)
        channel, details = decision.channel, dict(decision.details)
        if not decision.allowed and decision.reason == "quiet_hours" and not dry:
            # Held, not dropped: the deferred sender queues it when quiet hours end.
            status, reason = "deferred", decision.reason
            lang, template = pick_template(act.templates, aud.language)
            details.update(
                language=lang,
                text=render(template, values),
                channels=act.channels,
                purpose=pb.purpose,
                evidence=trig.evidence,
            )
            run.note_contact(trig, really=False)
        elif not decision.allowed:
            status, reason = "suppressed", decision.reason
        else:
            lang, template = pick_template(act.templates, aud.language)
            text = render(template, values)
            details.update(language=lang, text=text)
            if dry:
                status = "dry_run"
            else:
                drafts.append(
                    EventDraft(
                        type="message.sent",
                        customer_id=trig.customer_id,
                        channel=channel,
                        occurred_at=now,
                        idempotency_key=f"proactive:{key}",
                        payload={
                            "text": text,
                            "author": "ai",
                            "status": "queued",
                            "language": lang,
                            "proactive": {
                                "playbook": pb.name,
                                "version": pb.version,
                                "signal_id": trig.signal.id if trig.signal else None,
                                "signal_kind": trig.signal.kind if trig.signal else None,
                                "evidence": trig.evidence,
                            },
                        },
                    )
                )
            run.note_contact(trig, really=not dry)
    elif dry:
        status = "dry_run"
    elif act.type == "open_case":
        change = case_rules.open_case(
            session,
            trig.customer_id,
            title=render(act.title or "", values),
            priority=act.priority,
            team=act.team,
            event_id=trig.event_id,
            signal_id=trig.signal.id if trig.signal else None,
            now=now,
        )
        drafts.extend(change.drafts)
        details["case_id"] = change.obj.id
    elif act.type == "open_task":
        change_t = task_rules.create_task(
            session,
            trig.customer_id,
            kind=act.kind if act.kind in task_rules.TASK_KINDS else "other",
            title=render(act.title or "", values),
            team=act.team,
            due_at=now + timedelta(hours=act.due_in_hours) if act.due_in_hours else None,
            details={"playbook": pb.name, "signal_id": trig.signal.id if trig.signal else None},
            now=now,
        )
        drafts.extend(change_t.drafts)
        details["task_id"] = change_t.obj.id
    elif act.type == "notify_team":
        team = act.team or "support"
        channels, message = messages.proactive_alert(
            team,
            customer_id=trig.customer_id,
            playbook=pb.name,
            signal={"id": trig.signal.id, "kind": trig.signal.kind} if trig.signal else None,
            text=render(act.text or "{signal} for {name}", values),
            evidence=trig.evidence,
        )
        live = run.live
        if live is not None:
            ctx.on_commit(partial(live.publish, channels, message))
        details["channel"] = f"team:{team}"
    elif act.type == "route_conversation":
        conv = session.scalar(
            select(Event.payload["conversation_id"].as_string())
            .where(Event.customer_id.in_(aud.ids), Event.type.like("message.%"))
            .order_by(Event.occurred_at.desc())
            .limit(1)
        )
        drafts.append(
            EventDraft(
                type="conversation.route_requested",
                customer_id=trig.customer_id,
                occurred_at=now,
                idempotency_key=f"route:{key}",
                payload={
                    "conversation_id": conv,
                    "queue": act.queue or act.team,
                    "reason": f"playbook {pb.name}",
                    "signal_id": trig.signal.id if trig.signal else None,
                    "evidence": trig.evidence,
                },
            )
        )
        details["conversation_id"] = conv
    elif act.type == "offer":
        drafts.append(
            EventDraft(
                type="offer.made",
                customer_id=trig.customer_id,
                occurred_at=now,
                idempotency_key=f"offer:{key}",
                payload={
                    "code": act.code,
                    "text": render(act.text or "", values),
                    "playbook": pb.name,
                    "signal_id": trig.signal.id if trig.signal else None,
                },
            )
        )
        details["code"] = act.code
    row = ProactiveAction(
        id=new_id("pact"),
        dedupe_key=key,
        customer_id=trig.customer_id,
        playbook=pb.name,
        playbook_version=pb.version,
        signal_id=trig.signal.id if trig.signal else None,
        signal_kind=trig.signal.kind if trig.signal else None,
        trigger_event_id=trig.event_id,
        action=act.type,
        status=status,
        reason=reason,
        channel=channel,
        details=details,
        created_at=now,
    )
    session.add(row)
    for d in drafts:
        ctx.emit(d)
    ctx.emit(
        EventDraft(
            type="proactive.action",
            customer_id=trig.customer_id,
            occurred_at=now,
            idempotency_key=f"proactive.action:{key}",
            payload={
                "action_id": row.id,
                "playbook": pb.name,
                "playbook_version": pb.version,
                "action": act.type,
                "status": status,
                "reason": reason,
                "channel": channel,
                "dry_run": dry,
                "signal": {
                    "id": trig.signal.id,
                    "kind": trig.signal.kind,
                    "severity": trig.signal.severity,
                }
                if trig.signal
                else None,
                "trigger_event_id": trig.event_id,
                "evidence": trig.evidence,
                "details": details,
            },
        )
    )
