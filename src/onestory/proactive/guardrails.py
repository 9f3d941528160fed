"""Who may be contacted, where, and when: consent per purpose and channel, quiet hours in the
customer's own time zone, a weekly contact cap, and the customer's language and channel."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from onestory.customers import repository as customers_repo
from onestory.models import Customer, Event, Insight
from onestory.privacy import service as privacy
from onestory.proactive.models import ProactiveAction
from onestory.proactive.settings import ProactiveSettings

INBOUND_TYPES = ("message.received", "call.started", "call.ended")


@dataclass
class Audience:
    """What the guardrails need to know about one customer."""

    customer_id: str
    ids: list[str]
    name: str | None
    language: str
    timezone: str
    preferred_channel: str | None
    last_inbound_channel: str | None
    consents: dict[tuple[str, str], bool] = field(default_factory=dict)

    def consented(self, purpose: str, channel: str) -> bool:
        return privacy.answer(self.consents, purpose, channel)


def audience(session: Session, customer_id: str, settings: ProactiveSettings) -> Audience:
    ids = customers_repo.group_ids(session, customer_id)
    cust = session.get(Customer, customer_id)
    traits = (cust.traits or {}) if cust else {}
    pref = privacy.preferences_of(session, customer_id)
    lang_insight = session.scalar(
        select(Insight.value)
        .where(Insight.customer_id.in_(ids), Insight.kind == "language")
        .order_by(Insight.created_at.desc(), Insight.id.desc())
        .limit(1)
    )
    language = (
        (pref.language if pref and pref.language else None)
        or (lang_insight.get("code") if isinstance(lang_insight, dict) else None)
        or traits.get("language")
        or "en"
    )
    last_inbound = session.scalar(
        select(Event.channel)
        .where(
            Event.customer_id.in_(ids),
            Event.type.in_(INBOUND_TYPES),
            Event.channel.is_not(None),
        )
        .order_by(Event.occurred_at.desc())
        .limit(1)
    )
    consents = privacy.consent_answers(session, customer_id)
    return Audience(
        customer_id=customer_id,
        ids=ids,
        name=cust.display_name if cust else None,
        language=str(language).split("-")[0].lower(),
        timezone=privacy.known_zone(
            (pref.timezone if pref else None) or traits.get("timezone"),
            settings.default_timezone,
        ),
        preferred_channel=(pref.preferred_channel if pref else None)
        or traits.get("preferred_channel"),
        last_inbound_channel=last_inbound,
        consents=consents,
    )


def choose_channel(aud: Audience, purpose: str, order: list[str]) -> tuple[str | None, str]:
    """The first channel in ``order`` ("preferred", "last_inbound" or a channel name) the
    customer consented to for ``purpose``; (None, why) when there is none."""
    tried: list[str] = []
    for entry in order:
        channel = {
            "preferred": aud.preferred_channel,
            "last_inbound": aud.last_inbound_channel,
        }.get(entry, entry)
        if not channel or channel in tried or channel == "system":
            continue
        tried.append(channel)
        if aud.consented(purpose, channel):
            return channel, f"{entry}: {channel}"
    if not tried:
        return None, "no known channel for this customer"
    return None, f"no consent for {purpose} on {', '.join(tried)}"


def _hm(value: str) -> time:
    h, m = value.split(":")
    return time(int(h), int(m))


def quiet_until(aud: Audience, now: datetime, settings: ProactiveSettings) -> datetime | None:
    """When quiet hours end if ``now`` is inside them in the customer's zone, else None."""
    local = now.astimezone(ZoneInfo(aud.timezone))
    start, end = _hm(settings.quiet_start), _hm(settings.quiet_end)
    t = local.time()
    inside = (start <= t or t < end) if start > end else (start <= t < end)
    if not inside:
        return None
    day = local.date() if t < end else local.date() + timedelta(days=1)
    return datetime.combine(day, end, tzinfo=local.tzinfo)


def contacts_this_week(session: Session, customer_id: str, now: datetime) -> int:
    return int(
        session.scalar(
            select(func.count())
            .select_from(ProactiveAction)
            .where(
                ProactiveAction.customer_id == customer_id,
                ProactiveAction.action == "message",
                ProactiveAction.status == "done",
                ProactiveAction.created_at > now - timedelta(days=7),
            )
        )
        or 0
    )


@dataclass
class Decision:
    allowed: bool
    reason: str
    channel: str | None = None
    details: dict[str, str] = field(default_factory=dict)


def check_contact(
    aud: Audience,
    *,
    purpose: str,
    channels: list[str],
    quiet_hours: bool,
    cap: int,
    sent_this_week: int,
    already_for_signal: bool,
    now: datetime,
    settings: ProactiveSettings,
) -> Decision:
    """Every guardrail of one contact, in order: one per signal, consent, quiet hours, cap."""
    if already_for_signal:
        return Decision(False, "duplicate_signal")
    channel, why = choose_channel(aud, purpose, channels)
    if channel is None:
        return Decision(False, "no_consent", details={"why": why})
    if quiet_hours:
        until = quiet_until(aud, now, settings)
        if until is not None:
            return Decision(
                False,
                "quiet_hours",
                channel,
                {"timezone": aud.timezone, "quiet_until": until.isoformat()},
            )
    if sent_this_week >= cap:
        return Decision(False, "cap_reached", channel, {"cap": str(cap)})
    return Decision(True, "allowed", channel, {"channel_choice": why})
