"""Playbooks: YAML documents (versioned like code) that map signals or events to actions.

A playbook::

    name: apologise-broken-promise      # unique, [a-z0-9-]
    version: 1                          # bump on every change
    enabled: true
    purpose: service                    # consent purpose: service | proactive | marketing
    when:
      signals: [promise_broken]         # signal kinds, and/or
      events: []                        # event types (e.g. delivery.delayed)
      min_severity: medium
    guardrails: {weekly_cap: 2, quiet_hours: true, dry_run: false}
    actions:
      - type: message                   # message | open_case | open_task | notify_team |
        templates: {en: "...", de: "..."}   # route_conversation | offer
        channels: [preferred, last_inbound, email]

Templates use ``{placeholders}`` only (no attribute access): ``{name}`` and the signal's
evidence fields (``{what}``, ``{due_by}``, ``{amount}``...).
"""

from __future__ import annotations

import re
from datetime import datetime
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from sqlalchemy import Text, cast, select
from sqlalchemy.orm import Session

from onestory.kit.errors import InvalidInput, NotFound, field_error
from onestory.kit.inputs import unstorable
from onestory.kit.jsonutil import loads
from onestory.proactive.models import Playbook
from onestory.proactive.signals import SEVERITIES, SIGNAL_KINDS

ActionType = Literal[
    "message", "open_case", "open_task", "notify_team", "route_conversation", "offer"
]
CONTACT_ACTIONS = ("message",)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class When(_Strict):
    signals: list[str] = Field(default_factory=list)
    events: list[str] = Field(default_factory=list)
    min_severity: Literal["low", "medium", "high"] = "low"

    @model_validator(mode="after")
    def _something(self) -> When:
        if not self.signals and not self.events:
            raise ValueError("name at least one signal kind or event type")
        unknown = [s for s in self.signals if s not in SIGNAL_KINDS]
        if unknown:
            raise ValueError(f"unknown signal kinds {unknown}; known: {', '.join(SIGNAL_KINDS)}")
        return self


class Guardrails(_Strict):
    weekly_cap: int | None = Field(default=None, ge=0, le=50)
    quiet_hours: bool = True
    dry_run: bool = False


class Action(_Strict):
    type: ActionType
    templates: dict[str, str] = Field(default_factory=dict)
    channels: list[str] = Field(default_factory=lambda: ["preferred", "last_inbound"])
    title: str | None = None
    priority: str = "normal"
    team: str | None = None
    kind: str = "other"
    due_in_hours: float | None = Field(default=None, gt=0)
    queue: str | None = None
    code: str | None = None
    text: str | None = None

    @model_validator(mode="after")
    def _complete(self) -> Action:
        if self.type == "message" and not self.templates:
            raise ValueError("a message action needs templates (per language code)")
        if self.type == "notify_team" and not self.team:
            raise ValueError("a notify_team action needs a team")
        if self.type == "offer" and not self.code:
            raise ValueError("an offer action needs a code")
        if self.type in ("open_case", "open_task") and not self.title:
            raise ValueError(f"an {self.type} action needs a title")
        return self


class PlaybookSpec(_Strict):
    name: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{0,99}$")
    version: int = Field(ge=1)
    enabled: bool = True
    description: str = ""
    purpose: Literal["service", "proactive", "marketing"] = "proactive"
    priority: int = 100
    when: When
    guardrails: Guardrails = Guardrails()
    actions: list[Action] = Field(min_length=1)

    def matches(self, *, signal_kind: str | None, severity: str | None, event_type: str) -> bool:
        if signal_kind is not None:
            if signal_kind not in self.when.signals:
                return False
            rank = SEVERITIES.index(severity) if severity in SEVERITIES else 0
            return rank >= SEVERITIES.index(self.when.min_severity)
        return event_type in self.when.events


# Deeper than any playbook needs; PyYAML builds documents recursively, so a few thousand
# nested brackets would otherwise end in a RecursionError (a 500) instead of a clear 422.
MAX_YAML_DEPTH = 64


def _check_depth(text: str) -> None:
    """Reject over-deep YAML and aliases from the parser's event stream, which is built
    without recursion, before the (recursive) composer sees it. A playbook never needs
    anchors, and aliases of aliases expand exponentially (the "billion laughs")."""
    depth = 0
    for ev in yaml.parse(text, Loader=yaml.SafeLoader):
        if isinstance(ev, yaml.AliasEvent):
            raise InvalidInput(
                "playbooks may not use YAML aliases",
                errors=[field_error("yaml", f"alias *{ev.anchor} (write the value out instead)")],
            )
        if isinstance(ev, yaml.CollectionStartEvent):
            depth += 1
            if depth > MAX_YAML_DEPTH:
                raise InvalidInput(
                    "the playbook is nested too deeply",
                    errors=[field_error("yaml", f"more than {MAX_YAML_DEPTH} levels of nesting")],
                )
        elif isinstance(ev, yaml.CollectionEndEvent):
            depth -= 1


def parse(text: str) -> PlaybookSpec:
    """Parse and validate a playbook's YAML; errors name the field at fault."""
    try:
        _check_depth(text)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise InvalidInput(
            "the playbook is not valid YAML", errors=[field_error("yaml", str(exc))]
        ) from exc
    if not isinstance(data, dict):
        raise InvalidInput("a playbook is a YAML mapping", errors=[field_error("yaml", "mapping")])
    found = unstorable(data)
    if found is not None:
        raise InvalidInput(
            "the playbook holds text that cannot be stored", errors=[field_error(*found)]
        )
    try:
        return PlaybookSpec.model_validate(data)
    except ValidationError as exc:
        raise InvalidInput(
            "the playbook is invalid",
            errors=[
                field_error(".".join(str(p) for p in err["loc"]) or "playbook", err["msg"])
                for err in exc.errors(include_url=False, include_context=False, include_input=False)
            ],
        ) from exc


_PLACEHOLDER = re.compile(r"\{(\w+)\}")


def render(template: str, values: dict[str, Any]) -> str:
    """Fill ``{name}`` placeholders; unknown ones are left empty (never raises)."""
    return _PLACEHOLDER.sub(lambda m: str(values.get(m.group(1), "") or ""), template)


def shipped_files(extra_dir: str = "") -> list[tuple[str, str]]:
    """(file name, YAML text) of the shipped playbooks, then of ``extra_dir``."""
    out = []
    folder = resources.files("onestory.proactive") / "playbooks"
    for item in sorted(folder.iterdir(), key=lambda p: p.name):
        if item.name.endswith((".yaml", ".yml")):
            out.append((item.name, item.read_text(encoding="utf-8")))
    if extra_dir:
        for path in sorted(Path(extra_dir).glob("*.y*ml")):
            out.append((path.name, path.read_text(encoding="utf-8")))
    return out


def sync_files(session: Session, *, now: datetime, extra_dir: str = "") -> list[str]:
    """Load the YAML files into the store: a new playbook, or a file with a higher version than
    the stored one, wins; a playbook changed through the API keeps its stored version until a
    file declares a higher one. Returns the names written."""
    written = []
    for _name, text in shipped_files(extra_dir):
        spec = parse(text)
        row = session.get(Playbook, spec.name)
        if row is not None and row.version >= spec.version:
            continue
        _store(session, spec, text, origin="file", now=now, row=row)
        written.append(spec.name)
    return written


def _store(
    session: Session,
    spec: PlaybookSpec,
    text: str,
    *,
    origin: str,
    now: datetime,
    row: Playbook | None,
) -> Playbook:
    if row is None:
        row = Playbook(name=spec.name)
        session.add(row)
    row.version = spec.version
    row.enabled = spec.enabled
    row.source = text
    row.spec = spec.model_dump(mode="json")
    row.origin = origin
    row.updated_at = now
    return row


def put(session: Session, name: str, text: str, *, now: datetime) -> Playbook:
    """Create or replace a playbook from YAML; its version must go up."""
    spec = parse(text)
    if spec.name != name:
        raise InvalidInput(
            "the YAML names another playbook",
            errors=[field_error("name", f"is {spec.name!r}, the URL says {name!r}")],
        )
    row = session.get(Playbook, name)
    if row is not None and spec.version <= row.version:
        raise InvalidInput(
            f"version must go up (stored: {row.version})",
            errors=[field_error("version", f"must be greater than {row.version}")],
        )
    return _store(session, spec, text, origin="api", now=now, row=row)


def get(session: Session, name: str) -> Playbook:
    row = session.get(Playbook, name)
    if row is None:
        raise NotFound(f"playbook {name} does not exist")
    return row


def set_enabled(session: Session, name: str, enabled: bool, *, now: datetime) -> Playbook:
    row = get(session, name)
    row.enabled = enabled
    row.spec = {**row.spec, "enabled": enabled}
    row.updated_at = now
    return row


def all_rows(session: Session) -> list[Playbook]:
    return list(session.scalars(select(Playbook).order_by(Playbook.name)))


# Validated specs by their stored JSON text: the act stage reads the playbooks on every batch,
# and validating them each time cost ~5 ms a batch. Specs are never mutated after validation.
_PARSED: dict[str, PlaybookSpec] = {}
_PARSED_MAX = 256


def specs(session: Session, *, enabled_only: bool = True) -> list[tuple[PlaybookSpec, bool]]:
    """(spec, enabled) of stored playbooks, highest priority (lowest number) first."""
    rows = session.execute(
        select(Playbook.enabled, cast(Playbook.spec, Text)).order_by(Playbook.name)
    ).all()
    out: list[tuple[PlaybookSpec, bool]] = []
    for enabled, raw in rows:
        if enabled_only and not enabled:
            continue
        spec = _PARSED.get(raw)
        if spec is None:
            spec = PlaybookSpec.model_validate(loads(raw))
            if len(_PARSED) >= _PARSED_MAX:
                _PARSED.clear()
            _PARSED[raw] = spec
        out.append((spec, enabled))
    return sorted(out, key=lambda o: (o[0].priority, o[0].name))
