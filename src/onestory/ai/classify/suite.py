"""What the enrichment stage calls: all per-message classifiers behind one never-raising call.

:class:`SafeClassifier` turns any model failure into ``label="unknown"`` with the reason in the
explanation and a warning in the log; :class:`MessageClassifier` bundles language, intent,
sentiment and emotion and picks, per kind, the trained model from the model store when one is
saved there, else the built-in default. With a sentence encoder, the models that use it share
one encode per batch (:class:`SharedEncoder`), started in the background while the models that
do not need it (language, lexicons) run.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from onestory.ai.classify._features import MAX_CHARS
from onestory.ai.classify.emotion import LexiconEmotion
from onestory.ai.classify.intent import IntentModel, load_or_train_default
from onestory.ai.classify.language import default_language_detector
from onestory.ai.classify.sentiment import LexiconSentiment, vader_scores
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


class SharedEncoder:
    """An :class:`~onestory.ai.protocols.Embedder` that remembers recent vectors by text.

    Intent, sentiment and emotion models with embedding features each ask for the vectors of
    the same batch; behind one ``SharedEncoder`` the encoder runs once per distinct text.
    Holds at most ``capacity`` vectors (oldest dropped first). Thread-safe: a second caller
    asking while an encode runs waits for it and then reads the remembered vectors.
    """

    def __init__(self, inner: Embedder, capacity: int = 4096) -> None:
        self.inner = inner
        self._capacity = capacity
        self._vectors: OrderedDict[str, NDArray[np.float32]] = OrderedDict()
        self._lock = threading.Lock()

    @property
    def name(self) -> str:
        return self.inner.name

    @property
    def version(self) -> str:
        return self.inner.version

    @property
    def dimension(self) -> int:
        return self.inner.dimension

    def clear(self) -> None:
        """Forget every remembered vector (benchmarks measure the cost of new texts)."""
        with self._lock:
            self._vectors.clear()

    def encode(self, texts: Sequence[str]) -> NDArray[np.float32]:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        with self._lock:
            missing = list(dict.fromkeys(t for t in texts if t not in self._vectors))
            if missing:
                fresh = self.inner.encode(missing)
                for text, vector in zip(missing, fresh, strict=True):
                    self._vectors[text] = vector
            rows = [self._vectors[t] for t in texts]
            for text in texts:
                self._vectors.move_to_end(text)
            while len(self._vectors) > self._capacity:
                self._vectors.popitem(last=False)
        return np.stack(rows).astype(np.float32, copy=False)


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
        encoder: SharedEncoder | None = None,
    ) -> None:
        self.language = SafeClassifier(language)
        self.intent = SafeClassifier(intent)
        self.sentiment = SafeClassifier(sentiment)
        self.emotion = SafeClassifier(emotion)
        # Only worth a background encode when some model reads the shared vectors.
        users = [m for m in (intent, sentiment, emotion) if _reads(m, encoder)]
        self.encoder = encoder if users else None
        self._pool: ThreadPoolExecutor | None = None

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
        shared = SharedEncoder(embedder) if embedder is not None else None
        embedder = shared
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
            encoder=shared,
        )

    def _prefetch(self, texts: Sequence[str]) -> Future[NDArray[np.float32]] | None:
        """Start encoding the batch in the background (torch releases the GIL meanwhile)."""
        if self.encoder is None or not texts:
            return None
        if self._pool is None:
            self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="encode")
        # The same cut the featurizers apply, so their lookups hit the shared vectors.
        cut = [_clean(t)[:MAX_CHARS] for t in texts]
        return self._pool.submit(self.encoder.encode, cut)

    def classify(self, texts: Sequence[str]) -> list[MessageInsights]:
        pending = self._prefetch(texts)
        languages = self.language.predict(texts)
        done: dict[str, list[Prediction]] = {}
        # Models that do not read the vectors run while the encoder works.
        order = sorted(
            ("intent", "sentiment", "emotion"),
            key=lambda kind: _reads(getattr(self, kind).inner, self.encoder),
        )
        for kind in order:
            model: SafeClassifier = getattr(self, kind)
            if pending is not None and _reads(model.inner, self.encoder):
                try:
                    pending.result()
                except Exception:  # the model asks again and fails safely on its own
                    pass
                pending = None
            done[kind] = model.predict(texts)
        intents, sentiments, emotions = done["intent"], done["sentiment"], done["emotion"]
        return [
            MessageInsights(*row)
            for row in zip(languages, intents, sentiments, emotions, strict=True)
        ]

    def classify_one(self, text: str) -> MessageInsights:
        return self.classify([text])[0]


def _reads(model: object, encoder: SharedEncoder | None) -> bool:
    featurizer = getattr(model, "featurizer", None)
    return encoder is not None and featurizer is not None and featurizer.embedder is encoder


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
        if getattr(model, "vader_weight", 0.0):
            vader_scores(["ok"])  # raises when vaderSentiment is not installed here
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


__all__ = [
    "IntentModel",
    "MessageClassifier",
    "MessageInsights",
    "SafeClassifier",
    "SharedEncoder",
]
