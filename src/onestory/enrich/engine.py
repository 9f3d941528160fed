"""The enrichment engine: from one text-bearing event to its insight rows.

`Enricher` bundles the offline classifiers (language, intent, sentiment, emotion) with the
extractors (entities, effort, promises) and turns their output into insight rows, each naming
the model and version that produced it. It never raises: a failing model yields an "unknown"
insight with the reason, and ingestion is never blocked by AI.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import sklearn

from onestory.ai.classify import OUT_OF_SCOPE, MessageClassifier
from onestory.ai.classify.store import IntentModelStore
from onestory.ai.classify.suite import MessageInsights
from onestory.ai.extract import analyse_message
from onestory.ai.extract.effort import ContactContext
from onestory.ai.extract.entities import ProductCatalogue
from onestory.ai.extract.message import EXTRACTOR_NAME, EXTRACTOR_VERSION
from onestory.ai.protocols import Embedder, Prediction
from onestory.ai.settings import AISettings
from onestory.kit import clock

log = logging.getLogger(__name__)

# Authors whose words are the customer's (intent, sentiment, effort) and those who make
# promises on the brand's behalf.
CUSTOMER_ROLES = frozenset({"customer", "machine_customer", "visitor"})
BRAND_ROLES = frozenset({"agent", "ai", "system"})
VERSION_CHECK_SECONDS = 30.0


@dataclass(frozen=True, slots=True)
class EnrichItem:
    """One text to enrich and what the extractors need to know about it."""

    event_id: str
    text: str
    role: str
    at: datetime
    tz: str
    context: ContactContext = field(default_factory=ContactContext)


@dataclass(frozen=True, slots=True)
class InsightRow:
    kind: str
    value: dict[str, Any]
    confidence: float | None
    explanation: str | None
    model: str
    model_version: str


def _top(scores: dict[str, float] | None, n: int = 3, skip: tuple[str, ...] = ()) -> list[Any]:
    if not scores:
        return []
    ranked = sorted(((k, v) for k, v in scores.items() if k not in skip), key=lambda kv: -kv[1])
    return [[k, round(float(v), 4)] for k, v in ranked[:n]]


def _row(kind: str, value: dict[str, Any], p: Prediction) -> InsightRow:
    return InsightRow(kind, value, round(p.confidence, 4), p.explanation, p.model, p.model_version)


class Enricher:
    """Loads models lazily (thread-safe) and enriches batches of texts."""

    def __init__(self, settings: AISettings, models_dir: Path) -> None:
        self.settings = settings
        self.models_dir = models_dir
        self._classifier: MessageClassifier | None = None
        self._lock = threading.Lock()
        self._intent_version: str | None = None
        self._checked_at = 0.0
        names = list(settings.product_catalogue)
        if settings.product_catalogue_file and settings.product_catalogue_file.is_file():
            lines = settings.product_catalogue_file.read_text("utf-8").splitlines()
            names += [line.strip() for line in lines if line.strip()]
        self.catalogue = ProductCatalogue.build(names) if names else None

    # --- models ---------------------------------------------------------------------------
    def make_embedder(self) -> Embedder | None:
        """The configured sentence encoder (None without one): what the models are fed."""
        if self.settings.embedder != "minilm":
            return None
        from onestory.ai.classify.encoder import MiniLMEmbedder

        return MiniLMEmbedder(
            self.settings.minilm_path,
            threads=self.settings.minilm_threads,
            backend=self.settings.minilm_backend,
            cache_dir=self.models_dir / "encoders",
            int8=self.settings.minilm_int8,
        )

    @property
    def intent_store(self) -> IntentModelStore:
        return IntentModelStore(self.models_dir / "intents")

    @property
    def classifier(self) -> MessageClassifier:
        now = clock.monotonic()
        if self._classifier is not None and now - self._checked_at > VERSION_CHECK_SECONDS:
            # ``onestory intents train|rollback`` in another process switches the active
            # version; pick it up without a restart.
            self._checked_at = now
            if self.intent_store.active_version() != self._intent_version:
                self.reload()
        if self._classifier is None:
            with self._lock:
                if self._classifier is None:
                    self._classifier = MessageClassifier.from_models_dir(
                        self.models_dir, embedder=self.make_embedder()
                    )
                    self._intent_version = self.intent_store.active_version()
                    self._checked_at = clock.monotonic()
        return self._classifier

    def reload(self) -> None:
        """Pick up a newly trained or rolled-back model version."""
        with self._lock:
            self._classifier = None

    def warm_up(self) -> None:
        """Load every model and run it once, so the first message is not slow."""
        self.classifier.classify(["Hello, where is my order? Merci beaucoup!"])

    # --- enrichment -----------------------------------------------------------------------
    def enrich(
        self,
        items: Sequence[EnrichItem],
        *,
        context_for: Callable[[EnrichItem, str | None], ContactContext] | None = None,
    ) -> list[list[InsightRow]]:
        """Insight rows per item. ``context_for(item, intent)`` supplies the contact history
        the effort score needs (repeat contacts, channel switches) once the intent is known."""
        if not items:
            return []
        try:
            # The models were validated when trained; skipping sklearn's per-call input checks
            # halves the latency of one message.
            with sklearn.config_context(assume_finite=True, skip_parameter_validation=True):
                classified = self.classifier.classify([i.text for i in items])
        except Exception as exc:  # the suite never raises; this guards the guard
            log.warning("classifiers failed on a batch: %s", type(exc).__name__)
            classified = []
        out: list[list[InsightRow]] = []
        for n, item in enumerate(items):
            rows: list[InsightRow] = []
            intent: str | None = None
            if n < len(classified):
                rows.extend(self._classifier_rows(item, classified[n]))
                intent = classified[n].intent.label
            context = item.context
            if context_for is not None and item.role in CUSTOMER_ROLES:
                context = context_for(item, intent)
            rows.extend(self._extractor_rows(item, context))
            out.append(rows)
        return out

    def _classifier_rows(self, item: EnrichItem, c: MessageInsights) -> list[InsightRow]:
        rows = [
            _row("language", {"code": c.language.label, "top": _top(c.language.scores)}, c.language)
        ]
        if item.role in BRAND_ROLES:
            return rows
        rows.append(
            _row(
                "intent",
                {
                    "label": c.intent.label,
                    "out_of_scope": c.intent.label == OUT_OF_SCOPE,
                    "top": _top(c.intent.scores),
                },
                c.intent,
            )
        )
        score = (c.sentiment.scores or {}).get("score", 0.0)
        rows.append(
            _row(
                "sentiment",
                {"label": c.sentiment.label, "score": round(float(score), 4)},
                c.sentiment,
            )
        )
        scores = {k: round(float(v), 4) for k, v in (c.emotion.scores or {}).items()}
        rows.append(_row("emotion", {"label": c.emotion.label, "scores": scores}, c.emotion))
        return rows

    def _extractor_rows(self, item: EnrichItem, context: ContactContext) -> list[InsightRow]:
        found = analyse_message(
            item.text,
            role=item.role,
            now=item.at,
            tz=item.tz or self.settings.default_timezone,
            region=self.settings.default_region,
            catalogue=self.catalogue,
            context=context,
        ).to_dict()
        rows: list[InsightRow] = []

        def add(kind: str, value: dict[str, Any], confidence: float | None, why: str) -> None:
            rows.append(InsightRow(kind, value, confidence, why, EXTRACTOR_NAME, EXTRACTOR_VERSION))

        entities = found["entities"]
        if isinstance(entities, dict) and any(entities.values()):
            kinds = sorted(k for k, v in entities.items() if v)
            add("entities", entities, None, "found: " + ", ".join(kinds))
        if item.role not in BRAND_ROLES:
            effort = found["effort"]
            assert isinstance(effort, dict)
            reasons = effort.get("reasons") or []
            why = "; ".join(str(r) for r in reasons) if reasons else "no effort signals"
            add("effort", effort, None, why)
        promises = found["promises"]
        if isinstance(promises, list) and promises:
            best = max(float(p.get("confidence", 0.0)) for p in promises)
            what = "; ".join(str(p.get("what")) for p in promises)
            add("promises", {"items": promises}, round(best, 4), f"commitment: {what}"[:300])
        return rows
