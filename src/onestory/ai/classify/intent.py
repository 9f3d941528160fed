"""Intent detection: a trainable TF-IDF (word + character n-grams) linear model.

Confidence is a temperature-scaled softmax over the linear scores (the temperature is fitted
on a held-out split at training time, so 0.8 means "right about 80 % of the time" on data
like the training set). Texts whose best confidence falls below the model's threshold, or that
contain no word the model has ever seen, are labelled ``out_of_scope``. The explanation names
the words that pushed the decision most.
"""

from __future__ import annotations

import logging
import threading
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from importlib import resources
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import f1_score
from sklearn.svm import LinearSVC

from onestory.ai.classify._data import Example, load_examples
from onestory.ai.classify._features import TextFeaturizer
from onestory.ai.classify.store import (
    EXAMPLES_FILE,
    IntentModelStore,
    ModelVersion,
    examples_jsonl,
    merge_examples,
)
from onestory.ai.protocols import Embedder, Prediction

log = logging.getLogger(__name__)

OUT_OF_SCOPE = "out_of_scope"
UNKNOWN = "unknown"
MODEL_NAME = "onestory-intent-tfidf"


@dataclass(frozen=True, slots=True)
class IntentTrainingConfig:
    """Knobs for :func:`train_intent_model`; the defaults were tuned on Banking77 (see docs/ai.md).

    ``oos_threshold=None`` derives the threshold from the held-out split (clipped to
    [``min_threshold``, ``max_threshold``]); a number fixes it.
    """

    classifier: Literal["logreg", "svm"] = "logreg"
    C: float = 30.0
    word_ngrams: tuple[int, int] = (1, 2)
    char_ngrams: tuple[int, int] = (2, 5)
    char_min_df: int = 2
    embedding_weight: float = 1.0
    holdout: float = 0.15
    refit_full: bool = True
    oos_threshold: float | None = None
    min_threshold: float = 0.15
    max_threshold: float = 0.5
    seed: int = 0
    max_iter: int = 3000


@dataclass(slots=True)
class IntentModel:
    """A trained intent classifier; implements :class:`~onestory.ai.protocols.TextClassifier`."""

    featurizer: TextFeaturizer
    classifier: Any
    labels: list[str]
    temperature: float
    threshold: float
    name: str = MODEL_NAME
    version: str = "unsaved"
    metrics: dict[str, Any] = field(default_factory=dict)

    def decision(
        self, texts: Sequence[str], embeddings: NDArray[np.float32] | None = None
    ) -> tuple[NDArray[np.float64], NDArray[np.int64]]:
        """Calibrated label probabilities ``(n, n_labels)`` and known-word counts per text."""
        probs, known, _ = self._decision(texts, embeddings)
        return probs, known

    def _decision(
        self, texts: Sequence[str], embeddings: NDArray[np.float32] | None
    ) -> tuple[NDArray[np.float64], NDArray[np.int64], Any]:
        features = self.featurizer.transform(texts, embeddings)
        raw = np.asarray(self.classifier.decision_function(features), dtype=np.float64)
        if raw.ndim == 1:
            raw = np.column_stack([-raw, raw])
        # The word n-gram block: its non-zeros count the known words and, reused by the
        # explanations, save tokenising every text a second time.
        words = features[:, : self.featurizer.n_word_features]
        known = np.asarray(words.getnnz(axis=1), dtype=np.int64)
        return _softmax(raw / self.temperature), known, words

    def predict(
        self, texts: Sequence[str], embeddings: NDArray[np.float32] | None = None
    ) -> list[Prediction]:
        if not texts:
            return []
        probs, known, words = self._decision(texts, embeddings)
        out = []
        for n, (row, text, n_known) in enumerate(zip(probs, texts, known, strict=True)):
            best = int(row.argmax())
            confidence = float(row[best])
            label = self.labels[best]
            scores = {lab: round(float(p), 4) for lab, p in zip(self.labels, row, strict=True)}
            if not text.strip():
                out.append(self._result(UNKNOWN, 0.0, "empty text", None))
            elif n_known == 0 and not self.featurizer.needs_embedder:
                out.append(self._result(OUT_OF_SCOPE, 1.0 - confidence, "no known words", scores))
            elif label == OUT_OF_SCOPE:
                why = "closest to the out-of-scope examples"
                out.append(self._result(OUT_OF_SCOPE, confidence, why, scores))
            elif confidence < self.threshold:
                why = (
                    f"best guess {label} ({confidence:.2f}) is below the "
                    f"out-of-scope threshold {self.threshold:.2f}"
                )
                out.append(self._result(OUT_OF_SCOPE, 1.0 - confidence, why, scores))
            else:
                top = self.top_words(text, best, word_row=words[n])
                why = f"words: {', '.join(top)}" if top else "overall wording"
                out.append(self._result(label, confidence, why, scores))
        return out

    def top_words(
        self, text: str, label_index: int, k: int = 3, *, word_row: Any = None
    ) -> list[str]:
        """The ``k`` word n-grams of ``text`` that raise the score of a label the most.

        ``word_row``: the text's word n-gram features when the caller has them already.
        """
        coef = self.classifier.coef_
        n_word = self.featurizer.n_word_features
        if coef.shape[0] == 1:
            weights = coef[0, :n_word] * (1.0 if label_index == 1 else -1.0)
        else:
            weights = coef[label_index, :n_word]
        row = self.featurizer.word.transform([text]) if word_row is None else word_row
        if row.nnz == 0:
            return []
        contrib = row.data * np.asarray(weights)[row.indices]
        vocab = self.featurizer.word_vocabulary()
        words: list[str] = []
        for i in np.argsort(-contrib):
            if contrib[i] <= 0 or len(words) >= k:
                break
            term = str(vocab[row.indices[i]])
            # Function words carry signal but make poor explanations for a human.
            if all(part in _STOPWORDS or len(part) < 2 for part in term.split()):
                continue
            words.append(term)
        return words

    def _result(
        self, label: str, confidence: float, why: str, scores: dict[str, float] | None
    ) -> Prediction:
        return Prediction(
            label=label,
            confidence=round(min(max(confidence, 0.0), 1.0), 4),
            explanation=why,
            model=self.name,
            model_version=self.version,
            scores=scores,
        )


_STOPWORDS = frozenset(
    "a an the i me my we our you your it its is am are was were be been to of in on at for "
    "with and or but do does did can could would will have has had this that what s t not "
    "please how why when where there so just".split()
)


def _softmax(z: NDArray[np.float64]) -> NDArray[np.float64]:
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    result: NDArray[np.float64] = e / e.sum(axis=1, keepdims=True)
    return result


def _fit(
    texts: Sequence[str],
    labels: Sequence[str],
    config: IntentTrainingConfig,
    embedder: Embedder | None,
    embeddings: NDArray[np.float32] | None,
) -> tuple[TextFeaturizer, Any]:
    featurizer = TextFeaturizer(
        word_ngrams=config.word_ngrams,
        char_ngrams=config.char_ngrams,
        char_min_df=config.char_min_df if len(texts) >= 200 else 1,
        embedder=embedder,
        embedding_weight=config.embedding_weight,
    )
    features = featurizer.fit_transform(texts, embeddings)
    if config.classifier == "svm":
        clf: Any = LinearSVC(C=config.C, random_state=config.seed)
    else:
        clf = LogisticRegression(C=config.C, max_iter=config.max_iter, random_state=config.seed)
    clf.fit(features, list(labels))
    return featurizer, clf


def _split(
    labels: Sequence[str], fraction: float, seed: int
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Stratified split; labels with fewer than 3 examples stay entirely in training."""
    rng = np.random.default_rng(seed)
    by_label: dict[str, list[int]] = {}
    for i, label in enumerate(labels):
        by_label.setdefault(label, []).append(i)
    train, held = [], []
    for indices in by_label.values():
        order = rng.permutation(indices).tolist()
        n_held = max(1, round(len(order) * fraction)) if len(order) >= 3 and fraction > 0 else 0
        held += order[:n_held]
        train += order[n_held:]
    return np.array(sorted(train), dtype=np.int64), np.array(sorted(held), dtype=np.int64)


def _fit_temperature(raw: NDArray[np.float64], gold: NDArray[np.int64]) -> float:
    best_t, best_nll = 1.0, np.inf
    for t in np.logspace(-2.5, 1.5, 81):
        probs = _softmax(raw / t)
        nll = -float(np.mean(np.log(probs[np.arange(len(gold)), gold] + 1e-12)))
        if nll < best_nll:
            best_t, best_nll = float(t), nll
    return best_t


def train_intent_model(
    examples: Iterable[Example] | Iterable[tuple[str, str]],
    config: IntentTrainingConfig | None = None,
    *,
    embedder: Embedder | None = None,
    embeddings: NDArray[np.float32] | None = None,
) -> IntentModel:
    """Train an intent model from ``(text, label)`` examples.

    A stratified ``config.holdout`` share is held out to measure accuracy/macro-F1, fit the
    confidence temperature and pick the out-of-scope threshold; the final model is then refit
    on everything (``config.refit_full``). ``embedder`` adds dense sentence embeddings to the
    features (the model then needs the same embedder at prediction time); ``embeddings`` may
    pass them precomputed, row-aligned with ``examples``.
    """
    config = config or IntentTrainingConfig()
    rows = [e if isinstance(e, Example) else Example(str(e[0]), str(e[1])) for e in examples]
    rows = [e for e in rows if e.text.strip() and e.label.strip()]
    texts = [e.text for e in rows]
    labels = [e.label for e in rows]
    counts = Counter(labels)
    if len(counts) < 2:
        raise ValueError("intent training needs at least two labels")
    if OUT_OF_SCOPE in counts or UNKNOWN in counts:
        log.info("training data uses the reserved label %s/%s as a class", OUT_OF_SCOPE, UNKNOWN)

    metrics: dict[str, Any] = {"n_examples": len(rows), "n_labels": len(counts)}
    temperature = 1.0
    threshold = config.oos_threshold if config.oos_threshold is not None else 0.2
    train_idx, held_idx = _split(labels, config.holdout, config.seed)
    emb = embeddings
    if embedder is not None and emb is None and len(held_idx) and config.refit_full:
        emb = embedder.encode(texts)  # encode once, reuse for the held-out fit and the refit

    def sub(indices: NDArray[np.int64]) -> NDArray[np.float32] | None:
        return None if emb is None else emb[indices]

    if len(held_idx):
        featurizer, clf = _fit(
            [texts[i] for i in train_idx],
            [labels[i] for i in train_idx],
            config,
            embedder,
            sub(train_idx),
        )
        held_texts = [texts[i] for i in held_idx]
        held_gold = [labels[i] for i in held_idx]
        raw = np.asarray(
            clf.decision_function(featurizer.transform(held_texts, sub(held_idx))),
            dtype=np.float64,
        )
        if raw.ndim == 1:
            raw = np.column_stack([-raw, raw])
        classes = [str(c) for c in clf.classes_]
        known = [i for i, g in enumerate(held_gold) if g in classes]
        gold = np.array([classes.index(held_gold[i]) for i in known], dtype=np.int64)
        raw = raw[known]
        temperature = _fit_temperature(raw, gold)
        probs = _softmax(raw / temperature)
        predicted = probs.argmax(axis=1)
        top = probs.max(axis=1)
        correct = predicted == gold
        if config.oos_threshold is None and correct.any():
            # Keep ~95 % of correct in-scope answers above the threshold.
            threshold = float(
                np.clip(np.quantile(top[correct], 0.05), config.min_threshold, config.max_threshold)
            )
        kept = top >= threshold
        metrics.update(
            n_holdout=len(known),
            holdout_accuracy=round(float(correct.mean()), 4),
            holdout_macro_f1=round(
                float(f1_score(gold, predicted, average="macro", zero_division=0)), 4
            ),
            holdout_coverage_at_threshold=round(float(kept.mean()), 4),
            holdout_accuracy_at_threshold=round(float(correct[kept].mean()), 4)
            if kept.any()
            else None,
            mean_confidence=round(float(top.mean()), 4),
        )
        if not config.refit_full:
            return IntentModel(featurizer, clf, classes, temperature, threshold, metrics=metrics)
    featurizer, clf = _fit(texts, labels, config, embedder, emb)
    metrics.update(temperature=round(temperature, 5), oos_threshold=round(threshold, 4))
    return IntentModel(
        featurizer,
        clf,
        [str(c) for c in clf.classes_],
        temperature,
        threshold,
        metrics=metrics,
    )


def model_metadata(model: IntentModel, config: IntentTrainingConfig) -> dict[str, Any]:
    """The JSON metadata the store keeps next to a saved intent model."""
    return {
        "name": model.name,
        "n_examples": model.metrics.get("n_examples"),
        "labels": model.labels,
        "metrics": model.metrics,
        "embedder": model.featurizer.embedder_name,
        "config": asdict(config),
    }


def train_and_save(
    store: IntentModelStore,
    examples: Iterable[Example],
    config: IntentTrainingConfig | None = None,
    *,
    include_corrections: bool = True,
    embedder: Embedder | None = None,
) -> tuple[IntentModel, ModelVersion]:
    """Train on ``examples`` (+ the store's corrections) and save the result as a new version.

    Only corrections naming an intent of ``examples`` or recorded as a new intent (by
    someone allowed to manage the taxonomy) are merged in; the others are counted in the
    version's ``n_corrections_skipped``, so stray labels never grow the taxonomy."""
    config = config or IntentTrainingConfig()
    rows = list(examples)
    fixes, skipped = (
        store.accepted_corrections({e.label for e in rows}) if include_corrections else ([], 0)
    )
    model = train_intent_model(merge_examples(rows, fixes), config, embedder=embedder)
    meta = model_metadata(model, config)
    meta["n_corrections"] = len(fixes)
    meta["n_corrections_skipped"] = skipped
    meta["n_base_examples"] = len(rows)
    version = store.save(model, meta, files={EXAMPLES_FILE: examples_jsonl(rows)})
    return model, version


def starter_examples() -> list[Example]:
    """The starter customer-service taxonomy shipped with OneStory (~30 intents)."""
    resource = resources.files("onestory.ai").joinpath("data/intents_starter.jsonl")
    with resources.as_file(resource) as path:
        return load_examples(path)


# The starter model depends only on the shipped examples: train it once per process and save a
# copy into every empty store (tests and tenants start from the same starter model).
_STARTER: dict[str, tuple[IntentModel, dict[str, Any]]] = {}
_STARTER_LOCK = threading.Lock()


def load_or_train_default(store: IntentModelStore) -> IntentModel:
    """The store's active model; on first use, train and save one from the starter set."""
    if store.active_version() is not None:
        model: IntentModel = store.load()
        return model
    if store.corrections():
        model, _ = train_and_save(store, starter_examples())
        return model
    with _STARTER_LOCK:
        cached = _STARTER.get("starter")
        if cached is None:
            config = IntentTrainingConfig()
            model = train_intent_model(starter_examples(), config)
            meta = model_metadata(model, config)
            meta["n_corrections"] = 0
            cached = _STARTER["starter"] = (model, meta)
    store.save(cached[0], dict(cached[1]))
    return cached[0]
