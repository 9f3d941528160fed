"""One call for the enrichment stage: everything the extractors know about one message.

`analyse_message` runs the extractors that fit the author's role (effort for customers,
promises for agents and the AI agent, entities and personal data for everyone) and returns one
`MessageInsights` with the extractor name and version the insight row must record.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, tzinfo

from onestory.ai.extract.effort import (
    ContactContext,
    EffortScore,
    MessageEffort,
    effort_score,
    message_effort,
)
from onestory.ai.extract.entities import Entities, ProductCatalogue, extract_entities
from onestory.ai.extract.pii import PiiSpan, detect_pii
from onestory.ai.extract.promises import PromiseDraft, extract_promises

__all__ = ["EXTRACTOR_NAME", "EXTRACTOR_VERSION", "MessageInsights", "analyse_message"]

EXTRACTOR_NAME = "onestory.extract"
# Bump when a rule change alters outputs, so stored insights say which rules produced them.
EXTRACTOR_VERSION = "1.0"

_CUSTOMER_ROLES = frozenset({"customer", "machine_customer", "visitor"})
_AGENT_ROLES = frozenset({"agent", "ai", "bot", "assistant", "human_agent", "ai_agent"})


@dataclass(frozen=True, slots=True)
class MessageInsights:
    pii: tuple[PiiSpan, ...] = ()
    entities: Entities = field(default_factory=Entities)
    effort: MessageEffort = field(default_factory=MessageEffort)
    effort_score: EffortScore = field(default_factory=lambda: EffortScore(0.0, "low"))
    promises: tuple[PromiseDraft, ...] = ()
    model: str = EXTRACTOR_NAME
    version: str = EXTRACTOR_VERSION

    def to_dict(self) -> dict[str, object]:
        return {
            "model": self.model,
            "version": self.version,
            "pii": [s.to_dict() for s in self.pii],
            "entities": self.entities.to_dict(),
            "effort": {
                **self.effort_score.to_dict(),
                "signals": [s.to_dict() for s in self.effort.signals],
                "caps_ratio": self.effort.caps_ratio,
                "exclamations": self.effort.exclamations,
            },
            "promises": [p.to_dict() for p in self.promises],
        }


def analyse_message(
    text: str,
    *,
    role: str,
    now: datetime,
    tz: str | tzinfo | None = "UTC",
    region: str = "US",
    catalogue: ProductCatalogue | Iterable[str] | None = None,
    context: ContactContext | None = None,
    holidays: Collection[date] = (),
) -> MessageInsights:
    """Insights for one message by an author in ``role`` ("customer", "agent", "ai", ...),
    written at ``now`` (aware) to a customer in zone ``tz`` and country ``region``.

    Personal-data spans refer to ``text`` as given: pass the original text (before redaction)
    when the caller may keep the spans, or the redacted text to get entities without them.
    Never raises.
    """
    if not isinstance(text, str) or not text:
        return MessageInsights()
    role = role.lower() if isinstance(role, str) else ""
    pii = tuple(detect_pii(text, default_region=region, min_confidence=0.5))
    entities = extract_entities(text, now=now, tz=tz, catalogue=catalogue, holidays=holidays)
    effort = MessageEffort()
    score = EffortScore(0.0, "low")
    promises: tuple[PromiseDraft, ...] = ()
    if role in _CUSTOMER_ROLES:
        effort = message_effort(text)
        score = effort_score(effort, context)
    elif role in _AGENT_ROLES:
        promises = tuple(extract_promises(text, now=now, tz=tz, holidays=holidays))
    return MessageInsights(pii, entities, effort, score, promises)
