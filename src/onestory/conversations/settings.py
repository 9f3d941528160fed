"""Settings of the conversations domain: ``ONESTORY_CONVERSATIONS__*``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError, model_validator


class RoutingRule(BaseModel):
    """New conversations matching every condition given here start in ``queue``.

    ``channels`` and ``intents`` each match when the conversation's channel (the intent
    detected on the customer's message) is one of the list; an empty list matches anything,
    but a rule needs at least one condition (the catch-all is ``default_queue``).
    """

    model_config = ConfigDict(extra="forbid")

    name: str = Field(default="", max_length=100)
    queue: str = Field(min_length=1, max_length=100)
    channels: list[str] = Field(default_factory=list)
    intents: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _usable(self) -> RoutingRule:
        self.queue = self.queue.strip()
        if not self.queue or not self.queue.isprintable():
            raise ValueError("queue: 1-100 printable characters")
        if not self.channels and not self.intents:
            raise ValueError(f"rule {self.label!r} needs channels or intents (or both)")
        return self

    @property
    def label(self) -> str:
        return self.name or f"to {self.queue}"

    def matches(self, channel: str | None, intent: str | None) -> bool:
        if self.channels and channel not in self.channels:
            return False
        return not self.intents or intent in self.intents


def load_routing_file(path: Path) -> list[RoutingRule]:
    """Rules from a YAML file: a list of rules, or a mapping with a ``rules`` list."""
    try:
        data: Any = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ValueError(f"routing file {path}: {exc}") from exc
    if isinstance(data, dict):
        data = data.get("rules")
    if data is None:
        return []
    if not isinstance(data, list):
        raise ValueError(f"routing file {path}: expected a list of rules under 'rules'")
    rules = []
    for i, raw in enumerate(data):
        try:
            rules.append(RoutingRule.model_validate(raw))
        except ValidationError as exc:
            raise ValueError(f"routing file {path}, rule {i + 1}: {exc}") from exc
    return rules


class ConversationSettings(BaseModel):
    """Knobs of the conversations domain."""

    # A message this soon after resolution reopens the conversation; later, a new one starts.
    quiet_period_minutes: int = 60 * 24
    # An open conversation silent for this long is closed ("inactive") when the customer
    # writes again, and the new message opens a fresh one (keeps old journeys apart).
    stale_after_days: int = 14
    default_queue: str = "general"
    # Capture facts (order numbers, addresses, emails, phones, the problem) from messages.
    capture_facts: bool = True
    # Routing of new conversations into queues, first match wins; unmatched ones stay in
    # default_queue. Inline (JSON in ONESTORY_CONVERSATIONS__ROUTING) and/or a YAML file
    # (ONESTORY_CONVERSATIONS__ROUTING_FILE); the inline rules are tried first.
    routing: list[RoutingRule] = Field(default_factory=list)
    routing_file: str = ""
    _file_rules: list[RoutingRule] = PrivateAttr(default_factory=list)

    @model_validator(mode="after")
    def _load_file(self) -> ConversationSettings:
        # Read once, at start-up: a broken file stops the app instead of routing nothing.
        if self.routing_file:
            self._file_rules = load_routing_file(Path(self.routing_file))
        return self

    def routing_rules(self) -> list[RoutingRule]:
        return [*self.routing, *self._file_rules]

    def route(self, channel: str | None, intent: str | None) -> RoutingRule | None:
        """The first rule a conversation on ``channel`` with ``intent`` matches, if any."""
        for rule in self.routing_rules():
            if rule.matches(channel, intent):
                return rule
        return None
