"""What the enrichment stage calls: all per-message classifiers behind one never-raising call.

:class:`SafeClassifier` turns any model failure into ``label="unknown"`` with the reason in the
explanation and a warning in the log; :class:`MessageClassifier` bundles language, intent,
sentiment and emotion and picks, per kind, the trained model from the model store when one is
saved there, else the built-in default.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from onestory.ai.classify.emotion import LexiconEmotion
from onestory.ai.classify.intent import IntentModel, load_or_train_default
from onestory.ai.classify.language import default_language_detector
from onestory.ai.classify.sentiment import LexiconSentiment
from onestory.ai.classify.store import IntentModelStore, ModelStore
from onestory.ai.protocols import Embedder, Prediction, TextClassifier

log = logging.getLogger(__name__)

UNKNOWN = "unknown"
# The classifiers look at the opening of a message; cutting here also bounds memory for
# pathological inputs before any model sees them.
MAX_INPUT_CHARS = 20_000


def _clean(text: object) -> str:
    if not isinstance(text, str):
        text = "" if text is None else str(text)
    return text[:MAX_INPUT_CHARS].replace("\x00", " ")


class SafeClassifier:
    """Wraps a :class:`TextClassifier` so that it never raises to the caller."""

    def __init__(self, inner: TextClassifier) -> None:
        self.inner = inner

    @property
    def name(self) -> str:
        return str(getattr(self.inner, "name", type(self.inner).__name__))

    @property
    def version(self) -> str:
        return str(getattr(self.inner, "version", "unknown"))

    def predict(self, texts: Sequence[str]) -> list[Prediction]:
        cleaned = [_clean(t) for t in texts]
        if not cleaned:
            return []
        try:
            result = self.inner.predict(cleaned)
            if len(result) != len(cleaned):
                raise RuntimeError(f"returned {len(result)} predictions for {len(cleaned)} texts")
            return list(result)
        except Exception as exc:
            reason = f"{type(exc).__name__}: {exc}"[:300]
            log.warning("classifier %s %s failed: %s", self.name, self.version, reason)
            return [
                Prediction(UNKNOWN, 0.0, f"model failed: {reason}", self.name, self.version)
                for _ in cleaned
            ]


@dataclass(frozen=True, slots=True)
class MessageInsights:
    """Everything the classifiers say about one message."""

    language: Prediction
    intent: Prediction
    sentiment: Prediction
    emotion: Prediction

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class MessageClassifier:
    """Language + intent + sentiment + emotion for a batch of messages; never raises."""

    def __init__(
        self,
        *,
        language: TextClassifier,
        intent: TextClassifier,
        sentiment: TextClassifier,
        emotion: TextClassifier,
    ) -> None:
        self.language = SafeClassifier(language)
        self.intent = SafeClassifier(intent)
        self.sentiment = SafeClassifier(sentiment)
        self.emotion = SafeClassifier(emotion)

    @classmethod
    def from_models_dir(
        cls, models_dir: Path | str, *, embedder: Embedder | None = None
    ) -> MessageClassifier:
        """Build from ``<models_dir>/{intents,sentiment,emotion}`` (the app: ``data_dir/models``).

        Intent: the active saved model; on first use one is trained from the starter taxonomy
        and saved. Sentiment/emotion: the active trained model when one was saved (see
        :func:`onestory.ai.classify.defaults.train_default_models`), else the lexicon models.
        A model that fails to load is logged and replaced by the default.
        """
        root = Path(models_dir)
        intent: TextClassifier
        try:
            intent = load_or_train_default(IntentModelStore(root / "intents"))
            _attach(intent, embedder)
        except Exception as exc:
            log.warning("intent model unavailable, intents will be 'unknown': %s", exc)
            intent = _Unavailable("onestory-intent", f"{type(exc).__name__}: {exc}")
        return cls(
            language=default_language_detector(),
            intent=intent,
            sentiment=_load_or(root / "sentiment", LexiconSentiment(), embedder),
            emotion=_load_or(root / "emotion", LexiconEmotion(), embedder),
        )

    def classify(self, texts: Sequence[str]) -> list[MessageInsights]:
        languages = self.language.predict(texts)
        intents = self.intent.predict(texts)
        sentiments = self.sentiment.predict(texts)
        emotions = self.emotion.predict(texts)
        return [
            MessageInsights(*row)
            for row in zip(languages, intents, sentiments, emotions, strict=True)
        ]

    def classify_one(self, text: str) -> MessageInsights:
        return self.classify([text])[0]


def _attach(model: object, embedder: Embedder | None) -> None:
    featurizer = getattr(model, "featurizer", None)
    if featurizer is not None and featurizer.needs_embedder:
        if embedder is None:
            raise RuntimeError(f"model needs the {featurizer.embedder_name} embedder")
        featurizer.attach_embedder(embedder)


def _load_or(directory: Path, default: TextClassifier, embedder: Embedder | None) -> TextClassifier:
    store = ModelStore(directory)
    if store.active_version() is None:
        return default
    try:
        model: TextClassifier = store.load()
        _attach(model, embedder)
        return model
    except Exception as exc:
        log.warning("trained model in %s unusable, using %s: %s", directory, default.name, exc)
        return default


class _Unavailable:
    """Stands in for a model that could not be built; every prediction says why."""

    def __init__(self, name: str, reason: str) -> None:
        self.name = name
        self.version = "unavailable"
        self._reason = reason

    def predict(self, texts: Sequence[str]) -> list[Prediction]:
        return [
            Prediction(UNKNOWN, 0.0, f"model unavailable: {self._reason}", self.name, self.version)
            for _ in texts
        ]


__all__ = ["IntentModel", "MessageClassifier", "MessageInsights", "SafeClassifier"]
