"""Sentiment per message: ``negative`` / ``neutral`` / ``positive`` plus a score in [-1, 1].

Two implementations of :class:`~onestory.ai.protocols.TextClassifier`:

* :class:`LexiconSentiment` — the always-available default: hand-written word/phrase/emoji
  valences with negation, intensifiers, contrast ("…, but …"), capitals and exclamation marks.
  No training data, no download; good on plain customer-service language, weak on sarcasm and
  on languages beyond the few it has words for. Its confidence is a heuristic, not calibrated.
* :class:`LinearSentimentModel` — TF-IDF (optionally + sentence embeddings) + logistic
  regression trained with :func:`train_sentiment_model` on labelled data you provide (see
  ``docs/ai.md`` for the public-data recipe); saved in a
  :class:`~onestory.ai.classify.store.ModelStore` and used instead of the lexicon when
  present. Its decision can blend in rule-based evidence: our lexicon and, when the
  ``vaderSentiment`` package is installed (the ``[ml]`` extra), VADER's compound score.

``Prediction.scores`` always contains ``"score"`` (the polarity in [-1, 1]).
"""

from __future__ import annotations

import importlib
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
LABELS = (NEGATIVE, NEUTRAL, POSITIVE)
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
    #: Added to log P(class) before the argmax (3-class models without a band); models saved
    #: before this field existed load without it and behave as if it were empty.
    class_offsets: dict[str, float] | None = None
    #: Weight of the rule-based lexicon polarity in the decision: ``w * lexicon score`` is
    #: added to log P(positive) and subtracted from log P(negative) (0 = off).
    lexicon_weight: float = 0.0
    #: Weight of VADER's compound score (needs ``vaderSentiment``; 0 = off). Used like
    #: ``lexicon_weight``.
    vader_weight: float = 0.0
    #: ``(negative_at_or_below, positive_at_or_above)`` on the blended polarity
    #: (P(pos) - P(neg) + w_lex * lexicon + w_vader * VADER) / (1 + w_lex + w_vader): when set,
    #: the label is read off that one score instead of the 3-class argmax.
    score_thresholds: tuple[float, float] | None = None

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

    def decisions(self, texts: Sequence[str], proba: NDArray[np.float64]) -> NDArray[np.float64]:
        """Per-class decision values: log P + lexicon evidence + class offsets."""
        offsets = getattr(self, "class_offsets", None)
        weight = getattr(self, "lexicon_weight", 0.0)
        lexicon = lexicon_scores(texts) if weight else None
        return decision_scores(proba, self.classes, offsets, lexicon, weight)

    def blended_scores(
        self, texts: Sequence[str], proba: NDArray[np.float64]
    ) -> NDArray[np.float64]:
        """The polarity in [-1, 1] blending the model with the rule-based evidence."""
        classes = self.classes
        pos = proba[:, classes.index(POSITIVE)] if POSITIVE in classes else 0.0
        neg = proba[:, classes.index(NEGATIVE)] if NEGATIVE in classes else 0.0
        w_lex = getattr(self, "lexicon_weight", 0.0)
        w_vader = getattr(self, "vader_weight", 0.0)
        lexicon = lexicon_scores(texts) if w_lex else 0.0
        vader = vader_scores(texts) if w_vader else 0.0
        blended = (pos - neg + w_lex * lexicon + w_vader * vader) / (1.0 + w_lex + w_vader)
        return np.asarray(blended, dtype=np.float64)

    def labels_for(
        self, texts: Sequence[str], proba: NDArray[np.float64]
    ) -> tuple[list[str], NDArray[np.float64]]:
        """The decision for each text and the polarity score reported with it."""
        classes = self.classes
        pos = proba[:, classes.index(POSITIVE)] if POSITIVE in classes else np.zeros(len(texts))
        neg = proba[:, classes.index(NEGATIVE)] if NEGATIVE in classes else np.zeros(len(texts))
        thresholds = getattr(self, "score_thresholds", None)
        if thresholds is not None:
            score = self.blended_scores(texts, proba)
            low, high = thresholds
            labels = [POSITIVE if s >= high else NEGATIVE if s <= low else NEUTRAL for s in score]
            return labels, score
        score = np.asarray(pos - neg, dtype=np.float64)
        if self.neutral_band is not None or NEUTRAL not in classes:
            return [label_for(float(s), self.neutral_band or 0.0) for s in score], score
        decision = self.decisions(texts, proba)
        return [classes[int(i)] for i in decision.argmax(axis=1)], score

    def predict(
        self, texts: Sequence[str], embeddings: NDArray[np.float32] | None = None
    ) -> list[Prediction]:
        if not texts:
            return []
        proba = self.probabilities(texts, embeddings)
        classes = self.classes
        labels, scores = self.labels_for(texts, proba)
        pos = proba[:, classes.index(POSITIVE)] if POSITIVE in classes else np.zeros(len(texts))
        neg = proba[:, classes.index(NEGATIVE)] if NEGATIVE in classes else np.zeros(len(texts))
        out = []
        for text, row, label, score, p, n in zip(
            texts, proba, labels, scores, pos, neg, strict=True
        ):
            if not text.strip():
                out.append(_prediction(NEUTRAL, 0.0, 0.0, "empty text", self.name, self.version))
                continue
            if label in classes:
                confidence = float(row[classes.index(label)])
            else:
                confidence = 1.0 - abs(float(score))
            extra = {c: round(float(v), 4) for c, v in zip(classes, row, strict=True)}
            why = f"P(positive)={p:.2f}, P(negative)={n:.2f}"
            out.append(
                _prediction(label, float(score), confidence, why, self.name, self.version, extra)
            )
        return out


_LEXICON = LexiconSentiment()


def lexicon_scores(texts: Sequence[str]) -> NDArray[np.float64]:
    """The rule-based lexicon polarity of each text (0 for empty texts)."""
    return np.array([_LEXICON.polarity(t)[0] if t.strip() else 0.0 for t in texts])


class VaderUnavailable(RuntimeError):
    """The model blends in VADER but ``vaderSentiment`` is not installed."""


_VADER: Any = None


def vader_scores(texts: Sequence[str]) -> NDArray[np.float64]:
    """VADER's compound polarity in [-1, 1] per text (0 for empty texts).

    VADER (Hutto & Gilbert 2014) is a rule-based analyser built for social-media text; it
    comes from the ``vaderSentiment`` package (MIT, in the ``[ml]`` extra) and runs offline.
    """
    global _VADER
    if _VADER is None:
        try:
            module = importlib.import_module("vaderSentiment.vaderSentiment")
        except ImportError as exc:
            raise VaderUnavailable(
                "this sentiment model blends in VADER: pip install 'onestory[ml]'"
            ) from exc
        _VADER = module.SentimentIntensityAnalyzer()
    analyser = _VADER
    return np.array(
        [
            float(analyser.polarity_scores(t[:MAX_CHARS])["compound"]) if t.strip() else 0.0
            for t in texts
        ]
    )


def decision_scores(
    proba: NDArray[np.float64],
    classes: Sequence[str],
    offsets: dict[str, float] | None,
    lexicon: NDArray[np.float64] | None = None,
    lexicon_weight: float = 0.0,
) -> NDArray[np.float64]:
    """log P(class) + per-class offsets (missing classes get 0) + weighted lexicon polarity."""
    scores: NDArray[np.float64] = np.log(np.clip(proba, 1e-12, 1.0))
    if offsets:
        scores = scores + np.array([offsets.get(c, 0.0) for c in classes])
    if lexicon_weight and lexicon is not None:
        sign = np.array([1.0 if c == POSITIVE else -1.0 if c == NEGATIVE else 0.0 for c in classes])
        scores = scores + lexicon_weight * np.outer(lexicon, sign)
    return scores


def macro_recall(
    gold: Sequence[str] | NDArray[Any], predicted: Sequence[str] | NDArray[Any]
) -> float:
    """Mean over the gold classes of the share of their examples predicted correctly."""
    if len(gold) != len(predicted):
        raise ValueError("gold and predicted labels differ in length")
    g, p = np.asarray(gold), np.asarray(predicted)
    recalls = [float(np.mean(p[g == label] == label)) for label in np.unique(g)]
    return float(np.mean(recalls)) if recalls else 0.0


def tune_class_offsets(
    model: LinearSentimentModel,
    texts: Sequence[str],
    labels: Sequence[str],
    *,
    embeddings: NDArray[np.float32] | None = None,
    grid: Sequence[float] = tuple(np.round(np.arange(-2.0, 2.01, 0.1), 2)),
    lexicon_weights: Sequence[float] = (0.0,),
) -> dict[str, float]:
    """Choose the negative/positive log-offsets (neutral fixed at 0) with the best macro-recall.

    Two numbers (three with more than one ``lexicon_weights`` candidate) fitted on a small
    labelled tuning set of the target domain by grid search, ties broken towards small
    values; stored on the model, which then predicts with them. Needs a 3-class model and
    tuning labels covering all three classes.
    """
    classes = model.classes
    if set(classes) != {NEGATIVE, NEUTRAL, POSITIVE}:
        raise ValueError("class offsets need a negative/neutral/positive model")
    gold = np.asarray(labels)
    proba = model.probabilities(texts, embeddings)
    lexicon = lexicon_scores(texts) if any(lexicon_weights) else None
    neg, pos = classes.index(NEGATIVE), classes.index(POSITIVE)
    names = np.asarray(classes)
    best: tuple[float, float, float, float, float] = (-1.0, 0.0, 0.0, 0.0, 0.0)
    for weight in lexicon_weights:
        base = decision_scores(proba, classes, None, lexicon, weight)
        for a in grid:
            for b in grid:
                shift = np.zeros(len(classes))
                shift[neg], shift[pos] = a, b
                score = macro_recall(gold, names[(base + shift).argmax(axis=1)])
                key = (score, -(abs(a) + abs(b) + abs(weight)), a, b, weight)
                if key[:2] > best[:2]:
                    best = key
    offsets = {NEGATIVE: float(best[2]), NEUTRAL: 0.0, POSITIVE: float(best[3])}
    model.class_offsets = offsets
    model.lexicon_weight = float(best[4])
    model.neutral_band = None
    model.metrics["tuning_macro_recall"] = round(best[0], 4)
    return {**offsets, "lexicon_weight": float(best[4])}


def tune_score_thresholds(
    model: LinearSentimentModel,
    texts: Sequence[str],
    labels: Sequence[str],
    *,
    embeddings: NDArray[np.float32] | None = None,
    lexicon_weights: Sequence[float] = (0.0,),
    vader_weights: Sequence[float] = (0.0,),
    step: float = 0.025,
) -> dict[str, float]:
    """Choose the blend weights and the two polarity thresholds with the best macro-recall.

    The label is then read off one blended score (see
    :attr:`LinearSentimentModel.score_thresholds`): negative at or below the first
    threshold, positive at or above the second, neutral between. Fitted by grid search on a
    small labelled tuning set of the target domain (at most four numbers: the two weights
    when more than one candidate is given, and the two thresholds); stored on the model.
    """
    gold = np.asarray(labels)
    if not {NEGATIVE, NEUTRAL, POSITIVE} <= set(gold.tolist()):
        raise ValueError("threshold tuning needs negative, neutral and positive examples")
    proba = model.probabilities(texts, embeddings)
    grid = np.round(np.arange(-1.0, 1.0 + step / 2, step), 4)
    # Macro-recall of every (low, high) pair at once from per-class cumulative counts.
    best: tuple[float, float, float, float, float, float] = (-1.0, 0.0, 0.0, 0.0, 0.0, 0.0)
    for w_lex in lexicon_weights:
        for w_vader in vader_weights:
            model.lexicon_weight, model.vader_weight = float(w_lex), float(w_vader)
            score = model.blended_scores(texts, proba)
            neg_at_or_below = [float(np.mean(score[gold == NEGATIVE] <= t)) for t in grid]
            pos_at_or_above = [float(np.mean(score[gold == POSITIVE] >= t)) for t in grid]
            neutral = score[gold == NEUTRAL]
            for i, low in enumerate(grid):
                for j in range(i + 1, len(grid)):
                    high = grid[j]
                    neu = float(np.mean((neutral > low) & (neutral < high)))
                    value = (neg_at_or_below[i] + neu + pos_at_or_above[j]) / 3
                    cost = abs(w_lex) + abs(w_vader)
                    key = (value, -cost, float(low), float(high), float(w_lex), float(w_vader))
                    if key[:2] > best[:2]:
                        best = key
    model.lexicon_weight, model.vader_weight = best[4], best[5]
    model.score_thresholds = (best[2], best[3])
    model.class_offsets = None
    model.neutral_band = None
    model.metrics["tuning_macro_recall"] = round(best[0], 4)
    return {
        "negative_at_or_below": best[2],
        "positive_at_or_above": best[3],
        "lexicon_weight": best[4],
        "vader_weight": best[5],
    }


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
