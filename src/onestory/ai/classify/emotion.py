"""Emotion per message (multi-label), for customer-service messages.

The customer-service taxonomy is :data:`CX_EMOTIONS`. Two implementations of
:class:`~onestory.ai.protocols.TextClassifier` (``Prediction.label`` is the primary emotion,
``Prediction.scores`` holds every emotion's score, :meth:`predict_labels` returns all detected):

* :class:`LexiconEmotion` — the always-available default: hand-written cue words, phrases
  and emoji per emotion, negation-aware, boosted by capitals and exclamation marks. Scores are
  heuristic strengths, not probabilities.
* :class:`LinearEmotionModel` — TF-IDF (optionally + sentence embeddings) with one logistic
  regression per label and per-label thresholds tuned on a dev set for F1; trained with
  :func:`train_emotion_model` on any label set (GoEmotions' 28 labels, TweetEval's 4, or the
  CX taxonomy via :data:`GOEMOTIONS_TO_CX`).
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
from onestory.ai.classify._lexicon import EMOTION_CUES, INTENSIFIERS, NEGATORS, WORD_RE
from onestory.ai.protocols import Embedder, Prediction

NEUTRAL = "neutral"
CX_EMOTIONS: tuple[str, ...] = (
    "anger", "annoyance", "sadness", "fear", "confusion", "joy", "gratitude", NEUTRAL,
)  # fmt: skip
LEXICON_NAME = "onestory-emotion-lexicon"
LEXICON_VERSION = "1"
LINEAR_NAME = "onestory-emotion-tfidf-lr"

#: How GoEmotions' 28 labels fold into the customer-service taxonomy (others are dropped).
GOEMOTIONS_TO_CX: dict[str, str] = {
    "anger": "anger",
    "disgust": "anger",
    "annoyance": "annoyance",
    "disapproval": "annoyance",
    "sadness": "sadness",
    "grief": "sadness",
    "disappointment": "sadness",
    "remorse": "sadness",
    "fear": "fear",
    "nervousness": "fear",
    "confusion": "confusion",
    "joy": "joy",
    "amusement": "joy",
    "excitement": "joy",
    "love": "joy",
    "admiration": "joy",
    "relief": "joy",
    "gratitude": "gratitude",
    "neutral": NEUTRAL,
}


def _plain(token: str) -> str:
    return token.lower().replace("'", "").replace("\u2019", "")


class LexiconEmotion:
    """Rule-based emotion detection (see module docstring)."""

    def __init__(self, threshold: float = 0.35) -> None:
        self.threshold = threshold
        self._phrases = {
            emotion: [c for c in cues if " " in c] for emotion, cues in EMOTION_CUES.items()
        }

    @property
    def name(self) -> str:
        return LEXICON_NAME

    @property
    def version(self) -> str:
        return LEXICON_VERSION

    @property
    def labels(self) -> list[str]:
        return list(CX_EMOTIONS)

    def strengths(self, text: str) -> tuple[dict[str, float], dict[str, list[str]]]:
        """Per-emotion strength in [0, 1] and the cues found for each."""
        text = text[:MAX_CHARS]
        lower = text.lower().replace("\u2019", "'")
        tokens = WORD_RE.findall(text)
        hits: dict[str, list[str]] = {e: [] for e in EMOTION_CUES}
        weight: dict[str, float] = dict.fromkeys(EMOTION_CUES, 0.0)
        for emotion, phrases in self._phrases.items():
            for phrase in phrases:
                if phrase in lower:
                    weight[emotion] += 1.0
                    hits[emotion].append(phrase)
        for i, token in enumerate(tokens):
            word = token.lower()
            window = [_plain(t) for t in tokens[max(0, i - 3) : i]]
            negated = any(w in NEGATORS for w in window)
            boost = 1.0
            for prev in window[-2:]:
                boost *= INTENSIFIERS.get(prev, 1.0)
            if token.isupper() and len(token) >= 3:
                boost *= 1.3
            for emotion, cues in EMOTION_CUES.items():
                if word in cues or token in cues:
                    if negated and emotion in {"joy", "gratitude"}:
                        # "not happy" is not joy; it reads as disappointment.
                        weight["sadness"] += 0.5
                        hits["sadness"].append(f"not {word}")
                        continue
                    weight[emotion] += boost
                    hits[emotion].append(token)
        shouting = text.count("!") >= 2 or (
            sum(1 for t in tokens if t.isupper() and len(t) >= 3) >= 2
        )
        if shouting and (weight["anger"] or weight["annoyance"]):
            weight["anger"] += 0.5
        strengths = {e: 1.0 - math.exp(-0.9 * w) for e, w in weight.items()}
        return strengths, hits

    def predict_labels(self, texts: Sequence[str]) -> list[list[str]]:
        out = []
        for text in texts:
            strengths, _ = self.strengths(text)
            found = [e for e, s in strengths.items() if s >= self.threshold]
            out.append(sorted(found, key=lambda e: -strengths[e]) or [NEUTRAL])
        return out

    def predict(self, texts: Sequence[str]) -> list[Prediction]:
        return [self._one(text) for text in texts]

    def _one(self, text: str) -> Prediction:
        strengths, hits = self.strengths(text)
        found = sorted(
            (e for e, s in strengths.items() if s >= self.threshold), key=lambda e: -strengths[e]
        )
        top = max(strengths.values(), default=0.0)
        scores = {e: round(s, 4) for e, s in strengths.items()}
        scores[NEUTRAL] = round(1.0 - top, 4)
        if not found:
            return Prediction(
                NEUTRAL, round(1.0 - top, 4), "no emotion cues", self.name, self.version, scores
            )
        primary = found[0]
        cues = ", ".join(dict.fromkeys(hits[primary]))
        also = f"; also {', '.join(found[1:])}" if len(found) > 1 else ""
        return Prediction(
            primary,
            round(strengths[primary], 4),
            f"cues: {cues}{also}",
            self.name,
            self.version,
            scores,
        )


@dataclass(slots=True)
class LinearEmotionModel:
    """Trained emotion model (one binary logistic regression per label, or one softmax)."""

    featurizer: TextFeaturizer
    classifiers: list[Any]
    labels: list[str]
    thresholds: list[float]
    multi_label: bool
    name: str = LINEAR_NAME
    version: str = "unsaved"
    metrics: dict[str, Any] = field(default_factory=dict)

    def probabilities(
        self, texts: Sequence[str], embeddings: NDArray[np.float32] | None = None
    ) -> NDArray[np.float64]:
        """``(n, n_labels)`` probabilities, columns in :attr:`labels` order."""
        features = self.featurizer.transform(texts, embeddings)
        if not self.multi_label:
            proba: NDArray[np.float64] = self.classifiers[0].predict_proba(features)
            return proba
        return np.column_stack([clf.predict_proba(features)[:, 1] for clf in self.classifiers])

    def labels_from_probabilities(self, proba: NDArray[np.float64]) -> list[list[str]]:
        out = []
        thresholds = np.asarray(self.thresholds)
        for row in proba:
            if not self.multi_label:
                out.append([self.labels[int(row.argmax())]])
                continue
            ratio = row / thresholds
            picked = [int(i) for i in np.argsort(-ratio) if ratio[i] >= 1.0]
            # Every message has some emotion (possibly neutral): fall back to the closest one.
            out.append([self.labels[i] for i in picked] or [self.labels[int(ratio.argmax())]])
        return out

    def predict_labels(
        self, texts: Sequence[str], embeddings: NDArray[np.float32] | None = None
    ) -> list[list[str]]:
        if not texts:
            return []
        return self.labels_from_probabilities(self.probabilities(texts, embeddings))

    def predict(
        self, texts: Sequence[str], embeddings: NDArray[np.float32] | None = None
    ) -> list[Prediction]:
        if not texts:
            return []
        proba = self.probabilities(texts, embeddings)
        out = []
        for text, row, found in zip(
            texts, proba, self.labels_from_probabilities(proba), strict=True
        ):
            scores = {lab: round(float(p), 4) for lab, p in zip(self.labels, row, strict=True)}
            if not text.strip():
                out.append(Prediction(NEUTRAL, 0.0, "empty text", self.name, self.version, scores))
                continue
            primary = found[0]
            also = f"; also {', '.join(found[1:])}" if len(found) > 1 else ""
            out.append(
                Prediction(
                    primary,
                    round(float(row[self.labels.index(primary)]), 4),
                    f"P({primary})={row[self.labels.index(primary)]:.2f}{also}",
                    self.name,
                    self.version,
                    scores,
                )
            )
        return out


def _best_threshold(proba: NDArray[np.float64], gold: NDArray[np.bool_]) -> float:
    best_t, best_f1 = 0.5, -1.0
    for t in np.arange(0.01, 0.9, 0.01):
        pred = proba >= t
        tp = float(np.sum(pred & gold))
        denom = float(np.sum(pred) + np.sum(gold))
        f1 = 2 * tp / denom if denom else 0.0
        if f1 > best_f1:
            best_t, best_f1 = float(t), f1
    return best_t


def train_emotion_model(
    texts: Sequence[str],
    label_sets: Sequence[Sequence[str]],
    *,
    dev_texts: Sequence[str] | None = None,
    dev_label_sets: Sequence[Sequence[str]] | None = None,
    C: float = 2.0,
    embedder: Embedder | None = None,
    embeddings: NDArray[np.float32] | None = None,
    dev_embeddings: NDArray[np.float32] | None = None,
    class_weight: str | None = None,
) -> LinearEmotionModel:
    """Train an emotion model from texts with one or more labels each.

    If every text has exactly one label, one softmax regression is trained and the top label
    is predicted; otherwise one binary regression per label, with a per-label threshold tuned
    on the dev set for F1 (0.5 without a dev set).
    """
    if len(texts) != len(label_sets):
        raise ValueError("texts and label_sets differ in length")
    labels = sorted({lab for labs in label_sets for lab in labs})
    if len(labels) < 2:
        raise ValueError("emotion training needs at least two labels")
    multi = any(len(labs) != 1 for labs in label_sets)
    featurizer = TextFeaturizer(word_ngrams=(1, 2), char_ngrams=(2, 5), embedder=embedder)
    features = featurizer.fit_transform(texts, embeddings)
    if not multi:
        clf = LogisticRegression(C=C, max_iter=2000, class_weight=class_weight)
        clf.fit(features, [labs[0] for labs in label_sets])
        return LinearEmotionModel(
            featurizer,
            [clf],
            [str(c) for c in clf.classes_],
            [0.0] * len(clf.classes_),
            False,
            metrics={"n_examples": len(texts), "C": C},
        )
    classifiers = []
    for label in labels:
        target = np.array([label in labs for labs in label_sets])
        clf = LogisticRegression(C=C, max_iter=2000, solver="liblinear", class_weight=class_weight)
        clf.fit(features, target)
        classifiers.append(clf)
    model = LinearEmotionModel(
        featurizer,
        classifiers,
        labels,
        [0.5] * len(labels),
        True,
        metrics={"n_examples": len(texts), "C": C},
    )
    if dev_texts is not None and dev_label_sets is not None:
        proba = model.probabilities(dev_texts, dev_embeddings)
        model.thresholds = [
            _best_threshold(proba[:, j], np.array([lab in labs for labs in dev_label_sets]))
            for j, lab in enumerate(labels)
        ]
        model.metrics["thresholds_tuned_on"] = len(dev_texts)
    return model
