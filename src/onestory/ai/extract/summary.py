"""Conversation summaries: structured by default, with an optional narrative from an LLM.

The structured summary needs no model: primary intent (voted from the labels the caller's
classifiers attached to customer messages), key facts (entities), the sentiment arc from the
first to the last customer message, the promises agents made, customer questions nobody has
answered yet, and the customer's effort. With a ``generator`` the summary also carries a short
narrative written by the LLM from a transcript whose personal data has been redacted first.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, tzinfo
from typing import Literal, Protocol

from onestory.ai.extract.effort import ContactContext, EffortScore, effort_score, message_effort
from onestory.ai.extract.entities import (
    MoneyMention,
    ProductCatalogue,
    ProductMention,
    ReferenceMention,
    extract_entities,
)
from onestory.ai.extract.pii import redact
from onestory.ai.extract.promises import PromiseDraft, extract_promises

__all__ = [
    "ConversationSummary",
    "KeyFacts",
    "OpenQuestion",
    "SentimentArc",
    "SummaryMessage",
    "build_prompt",
    "summarize",
]

log = logging.getLogger(__name__)

Trend = Literal["improved", "worsened", "stable", "unknown"]

_AGENT_ROLES = frozenset({"agent", "ai", "bot", "assistant", "human_agent", "ai_agent"})
_SENTIMENT_VALUES = {
    "very_negative": -1.0, "very negative": -1.0, "angry": -1.0, "negative": -0.6, "neg": -0.6,
    "frustrated": -0.7, "mixed": -0.1, "neutral": 0.0, "neu": 0.0, "positive": 0.6, "pos": 0.6,
    "very_positive": 1.0, "very positive": 1.0, "happy": 0.8, "satisfied": 0.6,
}  # fmt: skip
_MAX_PROMPT_CHARS = 8_000


class _Generator(Protocol):
    """Any text generator (an OpenAI-compatible client wrapper, a local model, a fake)."""

    def generate(self, prompt: str, *, max_tokens: int) -> str: ...


@dataclass(frozen=True, slots=True)
class SummaryMessage:
    """One message of the conversation as the summariser needs it.

    ``role`` is "customer", "agent", "ai" or "system"; ``intent``/``sentiment`` are labels the
    caller's classifiers produced for this message (optional).
    """

    text: str
    role: str
    at: datetime
    intent: str | None = None
    intent_confidence: float | None = None
    sentiment: str | None = None
    sentiment_score: float | None = None  # -1..1; used instead of the label when given


@dataclass(frozen=True, slots=True)
class SentimentArc:
    start: str | None = None
    end: str | None = None
    trend: Trend = "unknown"
    points: tuple[tuple[datetime, str], ...] = ()

    def to_dict(self) -> dict[str, object]:
        return {
            "start": self.start,
            "end": self.end,
            "trend": self.trend,
            "points": [[at.isoformat(), label] for at, label in self.points],
        }


@dataclass(frozen=True, slots=True)
class OpenQuestion:
    text: str
    at: datetime
    message_index: int

    def to_dict(self) -> dict[str, object]:
        return {"text": self.text, "at": self.at.isoformat(), "message_index": self.message_index}


@dataclass(frozen=True, slots=True)
class KeyFacts:
    references: tuple[ReferenceMention, ...] = ()
    money: tuple[MoneyMention, ...] = ()
    products: tuple[ProductMention, ...] = ()
    dates: tuple[tuple[str, date], ...] = ()  # (text as written, resolved day) from customers

    def to_dict(self) -> dict[str, object]:
        return {
            "references": [{"kind": r.kind, "value": r.value} for r in self.references],
            "money": [{"amount": str(m.amount), "currency": m.currency} for m in self.money],
            "products": sorted({p.name for p in self.products}),
            "dates": [{"text": t, "date": d.isoformat()} for t, d in self.dates],
        }


@dataclass(frozen=True, slots=True)
class ConversationSummary:
    primary_intent: str | None = None
    intent_confidence: float | None = None
    key_facts: KeyFacts = field(default_factory=KeyFacts)
    sentiment: SentimentArc = field(default_factory=SentimentArc)
    promises: tuple[PromiseDraft, ...] = ()
    open_questions: tuple[OpenQuestion, ...] = ()
    effort: EffortScore = field(default_factory=lambda: EffortScore(0.0, "low"))
    narrative: str | None = None

    def to_dict(self) -> dict[str, object]:
        return {
            "primary_intent": self.primary_intent,
            "intent_confidence": self.intent_confidence,
            "key_facts": self.key_facts.to_dict(),
            "sentiment": self.sentiment.to_dict(),
            "promises": [p.to_dict() for p in self.promises],
            "open_questions": [q.to_dict() for q in self.open_questions],
            "effort": self.effort.to_dict(),
            "narrative": self.narrative,
        }

    def to_text(self) -> str:
        """A few lines an agent can read at a glance (what the agent desktop shows)."""
        lines: list[str] = []
        if self.primary_intent:
            conf = f" ({self.intent_confidence:.2f})" if self.intent_confidence is not None else ""
            lines.append(f"Intent: {self.primary_intent}{conf}")
        facts = [f"{r.kind} {r.value}" for r in self.key_facts.references]
        facts += [f"{m.amount} {m.currency}" for m in self.key_facts.money]
        facts += sorted({p.name for p in self.key_facts.products})
        if facts:
            lines.append("Facts: " + "; ".join(facts))
        if self.sentiment.start is not None:
            arc = self.sentiment
            lines.append(f"Sentiment: {arc.start} -> {arc.end} ({arc.trend})")
        for p in self.promises:
            window = ""
            if p.window_start and p.window_end:
                window = f" {p.window_start:%H:%M}-{p.window_end:%H:%M}"
            lines.append(f"Promise ({p.who}, {p.kind}): {p.what} - due {p.due_by:%a %d %b}{window}")
        for q in self.open_questions:
            lines.append(f"Open question: {q.text}")
        if self.effort.score > 0:
            lines.append(f"Effort: {self.effort.level} ({self.effort.score:.2f})")
        if self.narrative:
            lines.append(f"Summary: {self.narrative}")
        return "\n".join(lines)


_SENTENCE = re.compile(r"(?:[^.!?\n]|[.!?](?=[^\s.!?]))+[.!?]*")
_QUESTION_START = re.compile(
    r"(?i)^\s*(?:can|could|would|will|when|what|why|how|where|which|who|is|are|do|does|did|"
    r"have|has|any\s(?:news|update)|kann|können|wann|warum|wie|wo|was|ist|gibt|pourquoi|quand|"
    r"comment|est-ce|où|pouvez|cuándo|cuando|por\squé|dónde|cómo|puede|pueden|quando|perché|"
    r"come|dove)\b"
)


def _questions(text: str) -> list[str]:
    out: list[str] = []
    for m in _SENTENCE.finditer(text):
        sentence = " ".join(m.group().split())
        if len(sentence) < 4:
            continue
        if sentence.endswith("?") or (
            _QUESTION_START.match(sentence) and not sentence.endswith((".", "!"))
        ):
            out.append(sentence)
    return out


def _sentiment_value(message: SummaryMessage) -> float | None:
    if message.sentiment_score is not None:
        return max(-1.0, min(1.0, message.sentiment_score))
    if message.sentiment is None:
        return None
    return _SENTIMENT_VALUES.get(message.sentiment.strip().lower())


def _arc(customer: Sequence[SummaryMessage]) -> SentimentArc:
    points: list[tuple[datetime, str, float]] = []
    for message in customer:
        value = _sentiment_value(message)
        if value is None:
            continue
        label = message.sentiment or (
            "positive" if value > 0.2 else "negative" if value < -0.2 else "neutral"
        )
        points.append((message.at, label, value))
    if not points:
        return SentimentArc()
    first, last = points[0], points[-1]
    delta = last[2] - first[2]
    trend: Trend = "stable"
    if len(points) >= 2 and delta > 0.25:
        trend = "improved"
    elif len(points) >= 2 and delta < -0.25:
        trend = "worsened"
    return SentimentArc(first[1], last[1], trend, tuple((at, label) for at, label, _ in points))


def _intent(customer: Sequence[SummaryMessage]) -> tuple[str | None, float | None]:
    votes: dict[str, float] = {}
    first_seen: dict[str, int] = {}
    for i, message in enumerate(customer):
        if not message.intent:
            continue
        weight = message.intent_confidence if message.intent_confidence is not None else 1.0
        votes[message.intent] = votes.get(message.intent, 0.0) + max(0.0, weight)
        first_seen.setdefault(message.intent, i)
    if not votes:
        return None, None
    best = max(votes, key=lambda k: (votes[k], -first_seen[k]))
    total = sum(votes.values())
    return best, round(votes[best] / total, 3) if total else None


def _dedupe_refs(refs: Iterable[ReferenceMention]) -> tuple[ReferenceMention, ...]:
    seen: dict[tuple[str, str], ReferenceMention] = {}
    for r in refs:
        seen.setdefault((r.kind, r.value.upper()), r)
    return tuple(seen.values())


def summarize(
    messages: Sequence[SummaryMessage],
    *,
    tz: str | tzinfo | None = "UTC",
    catalogue: ProductCatalogue | Iterable[str] | None = None,
    context: ContactContext | None = None,
    generator: _Generator | None = None,
    max_tokens: int = 200,
    default_region: str = "US",
) -> ConversationSummary:
    """Summarise a conversation (messages in any order; they are sorted by time). Never raises:
    bad input gives an empty summary, and a failing generator only leaves ``narrative`` empty."""
    if not messages:
        return ConversationSummary()
    try:
        return _summarize(messages, tz, catalogue, context, generator, max_tokens, default_region)
    except Exception:
        log.exception("conversation summary failed")
        return ConversationSummary()


def _summarize(
    messages: Sequence[SummaryMessage],
    tz: str | tzinfo | None,
    catalogue: ProductCatalogue | Iterable[str] | None,
    context: ContactContext | None,
    generator: _Generator | None,
    max_tokens: int,
    default_region: str,
) -> ConversationSummary:
    msgs = [
        m if m.at.tzinfo is not None else replace(m, at=m.at.replace(tzinfo=UTC))
        for m in messages
        if isinstance(m, SummaryMessage) and isinstance(m.text, str) and isinstance(m.role, str)
    ]
    if not msgs:
        return ConversationSummary()
    msgs.sort(key=lambda m: m.at)
    if catalogue is not None and not isinstance(catalogue, ProductCatalogue):
        catalogue = ProductCatalogue.build(catalogue)
    customer = [m for m in msgs if m.role.lower() == "customer"]
    intent, confidence = _intent(customer)

    references: list[ReferenceMention] = []
    money: list[MoneyMention] = []
    products: list[ProductMention] = []
    dates: list[tuple[str, date]] = []
    promises: list[PromiseDraft] = []
    questions: list[OpenQuestion] = []
    for index, message in enumerate(msgs):
        role = message.role.lower()
        entities = extract_entities(message.text, now=message.at, tz=tz, catalogue=catalogue)
        references.extend(entities.references)
        money.extend(entities.money)
        products.extend(entities.products)
        if role == "customer":
            dates.extend((d.text, d.end_at.date()) for d in entities.dates)
            questions.extend(OpenQuestion(q, message.at, index) for q in _questions(message.text))
        elif role in _AGENT_ROLES:
            promises.extend(extract_promises(message.text, now=message.at, tz=tz))
            # An agent reply after a question counts as addressing it (we cannot tell offline
            # whether it truly answered; the LLM narrative can be more precise).
            questions.clear()

    effort = effort_score([message_effort(m.text) for m in customer], context)
    summary = ConversationSummary(
        primary_intent=intent,
        intent_confidence=confidence,
        key_facts=KeyFacts(_dedupe_refs(references), tuple(money), tuple(products), tuple(dates)),
        sentiment=_arc(customer),
        promises=tuple(promises),
        open_questions=tuple(questions),
        effort=effort,
    )
    if generator is None:
        return summary
    narrative = _narrative(msgs, summary, generator, max_tokens, default_region)
    return ConversationSummary(
        summary.primary_intent,
        summary.intent_confidence,
        summary.key_facts,
        summary.sentiment,
        summary.promises,
        summary.open_questions,
        summary.effort,
        narrative,
    )


def build_prompt(
    messages: Sequence[SummaryMessage], summary: ConversationSummary, default_region: str = "US"
) -> str:
    """The prompt sent to the LLM: personal data is redacted before it leaves the process."""
    lines = [
        f"[{m.role}] {redact(' '.join(m.text.split()), default_region=default_region).text}"
        for m in messages
    ]
    transcript = "\n".join(lines)
    if len(transcript) > _MAX_PROMPT_CHARS:
        # Keep the end: the latest state of the conversation matters most for a handoff.
        transcript = "...\n" + transcript[-_MAX_PROMPT_CHARS:]
    structured = redact(summary.to_text(), default_region=default_region).text
    return (
        "Summarise this customer-service conversation for the next agent in at most three "
        "sentences: the customer's problem, what has been done or promised, and what is still "
        "open. Do not invent facts.\n\n"
        f"Known facts:\n{structured or '(none)'}\n\nConversation:\n{transcript}\n\nSummary:"
    )


def _narrative(
    messages: Sequence[SummaryMessage],
    summary: ConversationSummary,
    generator: _Generator,
    max_tokens: int,
    default_region: str,
) -> str | None:
    prompt = build_prompt(messages, summary, default_region)
    try:
        text = generator.generate(prompt, max_tokens=max_tokens)
    except Exception:
        log.warning("summary generator failed; keeping the structured summary only")
        return None
    if not isinstance(text, str):
        return None
    text = " ".join(text.split())
    return text[:2000] or None
