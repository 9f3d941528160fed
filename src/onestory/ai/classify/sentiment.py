"""Sentiment per message: ``negative`` / ``neutral`` / ``positive`` plus a score in [-1, 1].

Two implementations of :class:`~onestory.ai.protocols.TextClassifier`:

* :class:`LexiconSentiment` — the always-available default: hand-written word/phrase/emoji
  valences with negation, intensifiers, contrast ("…, but …"), capitals and exclamation marks.
  No training data, no download; good on plain customer-service language, weak on sarcasm and
  on languages beyond the few it has words for. Its confidence is a heuristic, not calibrated.
* :class:`LinearSentimentModel` — TF-IDF + logistic regression trained with
  :func:`train_sentiment_model` on labelled data you provide (see ``docs/ai.md`` for the
  public-data recipe); saved in a :class:`~onestory.ai.classify.store.ModelStore` and used
  instead of the lexicon when present.

``Prediction.scores`` always contains ``"score"`` (the polarity in [-1, 1]).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray
from sklearn.linear_model import LogisticRegression

from onestory.ai.classify._features import MAX_CHARS, TextFeaturizer
from onestory.ai.classify._lexicon import (
    CONTRAST,
    EMOJI_VALENCE,
    INTENSIFIERS,
    NEGATORS,
    PHRASES,
    VALENCE,
    WORD_RE,
)
from onestory.ai.protocols import Embedder, Prediction

NEGATIVE, NEUTRAL, POSITIVE = "negative", "neutral", "positive"
LEXICON_NAME = "onestory-sentiment-lexicon"
LEXICON_VERSION = "1"
LINEAR_NAME = "onestory-sentiment-tfidf-lr"


def _plain(token: str) -> str:
    return token.lower().replace("'", "").replace("\u2019", "")


def label_for(score: float, band: float) -> str:
    """Polarity label of a score: neutral inside ``(-band, band)``."""
    if score >= band:
        return POSITIVE
    if score <= -band:
        return NEGATIVE
    return NEUTRAL


def _prediction(
    label: str,
    score: float,
    confidence: float,
    why: str,
    model: str,
    version: str,
    extra: dict[str, float] | None = None,
) -> Prediction:
    scores = {"score": round(score, 4), **(extra or {})}
    return Prediction(label, round(min(max(confidence, 0.0), 1.0), 4), why, model, version, scores)


class LexiconSentiment:
    """Rule-based sentiment (see module docstring)."""

    def __init__(self, neutral_band: float = 0.2, saturation: float = 6.0) -> None:
        self.neutral_band = neutral_band
        self._saturation = saturation

    @property
    def name(self) -> str:
        return LEXICON_NAME

    @property
    def version(self) -> str:
        return LEXICON_VERSION

    def predict(self, texts: Sequence[str]) -> list[Prediction]:
        return [self._one(text) for text in texts]

    def polarity(self, text: str) -> tuple[float, list[str]]:
        """The score in [-1, 1] and the cues that produced it (strongest first)."""
        text = text[:MAX_CHARS]
        lower = text.lower().replace("\u2019", "'")
        cues: list[tuple[float, str]] = []
        total = 0.0
        for phrase, value in PHRASES.items():
            if phrase in lower:
                total += value
                cues.append((value, phrase))
        tokens = WORD_RE.findall(text)
        contrast_at = max((i for i, t in enumerate(tokens) if t.lower() in CONTRAST), default=-1)
        for i, token in enumerate(tokens):
            word = token.lower()
            value = VALENCE.get(word, EMOJI_VALENCE.get(token, 0.0))
            if value == 0.0:
                continue
            window = [_plain(t) for t in tokens[max(0, i - 3) : i]]
            for prev in window[-2:]:
                value *= INTENSIFIERS.get(prev, 1.0)
            if any(w in NEGATORS for w in window):
                # "not bad" is mildly good, "not good" is clearly bad.
                value *= -0.5 if value < 0 else -0.8
            if token.isupper() and len(token) >= 3:
                value *= 1.3
            if contrast_at >= 0:
                value *= 1.5 if i > contrast_at else 0.6
            total += value
            cues.append((value, token))
        total *= 1.0 + 0.1 * min(text.count("!"), 3) if total else 1.0
        score = total / math.sqrt(total * total + self._saturation)
        cues.sort(key=lambda c: -abs(c[0]))
        return score, [c[1] for c in cues]

    def _one(self, text: str) -> Prediction:
        if not text.strip():
            return _prediction(NEUTRAL, 0.0, 0.0, "empty text", self.name, self.version)
        score, cues = self.polarity(text)
        label = label_for(score, self.neutral_band)
        if label == NEUTRAL:
            confidence = 1.0 - abs(score) / (2 * self.neutral_band)
        else:
            confidence = 0.5 + 0.5 * abs(score)
        why = f"cues: {', '.join(cues[:4])}" if cues else "no sentiment words"
        return _prediction(label, score, confidence, why, self.name, self.version)


@dataclass(slots=True)
class LinearSentimentModel:
    """Trained sentiment model: score = P(positive) - P(negative)."""

    featurizer: TextFeaturizer
    classifier: Any
    neutral_band: float | None = None
    name: str = LINEAR_NAME
    version: str = "unsaved"
    metrics: dict[str, Any] = field(default_factory=dict)

    @property
    def classes(self) -> list[str]:
        return [str(c) for c in self.classifier.classes_]

    def probabilities(
        self, texts: Sequence[str], embeddings: NDArray[np.float32] | None = None
    ) -> NDArray[np.float64]:
        proba: NDArray[np.float64] = self.classifier.predict_proba(
            self.featurizer.transform(texts, embeddings)
        )
        return proba

    def predict(
        self, texts: Sequence[str], embeddings: NDArray[np.float32] | None = None
    ) -> list[Prediction]:
        if not texts:
            return []
        proba = self.probabilities(texts, embeddings)
        classes = self.classes
        pos = proba[:, classes.index(POSITIVE)] if POSITIVE in classes else np.zeros(len(texts))
        neg = proba[:, classes.index(NEGATIVE)] if NEGATIVE in classes else np.zeros(len(texts))
        out = []
        for text, row, p, n in zip(texts, proba, pos, neg, strict=True):
            score = float(p - n)
            if not text.strip():
                out.append(_prediction(NEUTRAL, 0.0, 0.0, "empty text", self.name, self.version))
                continue
            if self.neutral_band is not None or NEUTRAL not in classes:
                label = label_for(score, self.neutral_band or 0.0)
            else:
                label = classes[int(row.argmax())]
            if label in classes:
                confidence = float(row[classes.index(label)])
            else:
                confidence = 1.0 - abs(score)
            extra = {c: round(float(v), 4) for c, v in zip(classes, row, strict=True)}
            why = f"P(positive)={p:.2f}, P(negative)={n:.2f}"
            out.append(_prediction(label, score, confidence, why, self.name, self.version, extra))
        return out


def train_sentiment_model(
    texts: Sequence[str],
    labels: Sequence[str],
    *,
    C: float = 2.0,
    neutral_band: float | None = None,
    embedder: Embedder | None = None,
    embeddings: NDArray[np.float32] | None = None,
    class_weight: str | None = "balanced",
) -> LinearSentimentModel:
    """Train on texts labelled ``negative``/``neutral``/``positive`` (neutral optional).

    With only two classes, or when ``neutral_band`` is given, a text is neutral when its score
    lies inside ``(-neutral_band, neutral_band)``.
    """
    allowed = {NEGATIVE, NEUTRAL, POSITIVE}
    if set(labels) - allowed:
        raise ValueError(f"sentiment labels must be in {sorted(allowed)}")
    if not {NEGATIVE, POSITIVE} <= set(labels):
        raise ValueError("sentiment training needs negative and positive examples")
    featurizer = TextFeaturizer(word_ngrams=(1, 2), char_ngrams=(2, 5), embedder=embedder)
    features = featurizer.fit_transform(texts, embeddings)
    clf = LogisticRegression(C=C, max_iter=2000, class_weight=class_weight)
    clf.fit(features, list(labels))
    band = neutral_band if neutral_band is not None or NEUTRAL in labels else 0.3
    return LinearSentimentModel(featurizer, clf, band, metrics={"n_examples": len(texts), "C": C})
