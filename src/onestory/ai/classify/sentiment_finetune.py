"""Sentiment from a fine-tuned MiniLM (the ``[ml]`` extra): the strongest offline sentiment model.

:func:`fine_tune_sentiment` fine-tunes every weight of the installed all-MiniLM-L6-v2 (mean
pooling, L2-normalised, a linear 3-class head) on labelled public data — in
:func:`onestory.ai.classify.defaults.train_default_models` GoEmotions and TweetEval emotion by
polarity plus NLU++/ABCD requests as neutral — with class-balanced batches, several times with
different seeds (``FineTuneConfig.members``, 5 by default): the copies' log-probabilities are
averaged, which is steadier than any one seed (one copy scores 0.637-0.647 on TweetEval
sentiment by seed; see ``docs/ai.md``). The result, :class:`FineTunedSentiment`, is a
:class:`~onestory.ai.protocols.TextClassifier` saved in the sentiment
:class:`~onestory.ai.classify.store.ModelStore` like the linear model (its weights are state
dicts, ~90 MB per copy, never shipped: it is trained where the data is).

Its decision: log P(class) from the model, plus the rule-based evidence (our lexicon and VADER)
added to positive and subtracted from negative, plus two class offsets; the weights and offsets
are tuned by :func:`tune_decision` on a small labelled set of the target domain when one is
given, and are all zero otherwise (plain argmax). It costs one more transformer pass per
message and copy (the shared MiniLM encode cannot serve it: its weights differ), about 19 ms
of CPU per copy on one torch thread here; ``members=1`` is the cheap setting.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import product
from typing import Any

import numpy as np
from numpy.typing import NDArray

from onestory.ai.classify._features import MAX_CHARS
from onestory.ai.classify.encoder import EmbedderUnavailable, packaged_model_path
from onestory.ai.classify.sentiment import (
    LABELS,
    NEGATIVE,
    NEUTRAL,
    POSITIVE,
    _prediction,
    decision_scores,
    lexicon_scores,
    macro_recall,
    vader_scores,
)
from onestory.ai.protocols import Prediction
from onestory.kit.clock import monotonic

log = logging.getLogger(__name__)

FINETUNED_NAME = "onestory-sentiment-minilm-ft"
_URL = re.compile(r"https?://\S+")
_HASHTAG = re.compile(r"#(\w)")
_SPACE = re.compile(r"\s+")
# Logits are computed on the unit vector scaled up, so a linear head can be confident.
_SCALE = 10.0


def normalise(text: str) -> str:
    """Social-media markers in one form for training and prediction alike: GoEmotions'
    ``[NAME]`` placeholder as a mention, URLs as ``http``, hashtags as their word."""
    text = text.replace("[NAME]", "@user").replace("[RELIGION]", "religion")
    text = _HASHTAG.sub(r"\1", _URL.sub("http", text))
    return _SPACE.sub(" ", text).strip()


@dataclass(frozen=True)
class FineTuneConfig:
    """How :func:`fine_tune_sentiment` trains (the defaults are the measured recipe)."""

    steps: int = 400
    batch_size: int = 32
    learning_rate: float = 4e-5
    # The freshly initialised head learns this many times faster than the encoder.
    head_learning_rate_factor: float = 30.0
    warmup_fraction: float = 0.06
    max_length: int = 64
    seed: int = 0
    # Copies fine-tuned with seeds seed, seed+1, ...; their log-probabilities are averaged.
    members: int = 5
    threads: int | None = None


def _torch() -> Any:
    try:
        import torch
        from transformers import AutoConfig, AutoModel, AutoTokenizer
    except ImportError as exc:
        raise EmbedderUnavailable(
            "the fine-tuned sentiment model needs torch and transformers: "
            "pip install 'onestory[ml]'"
        ) from exc
    return torch, AutoConfig, AutoModel, AutoTokenizer


Member = tuple[dict[str, Any], dict[str, Any]]  # (encoder state dict, head state dict)


@dataclass(eq=False)
class FineTunedSentiment:
    """One or more fine-tuned MiniLM copies with 3-class heads, averaged; see the module
    docstring for the decision."""

    members: list[Member]
    max_length: int
    metrics: dict[str, Any] = field(default_factory=dict)
    version: str = "unsaved"
    lexicon_weight: float = 0.0
    vader_weight: float = 0.0
    class_offsets: dict[str, float] = field(default_factory=dict)
    threads: int | None = 1
    _built: Any = field(default=None, init=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    name = FINETUNED_NAME

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state["_built"] = None
        state.pop("_lock", None)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        if "members" not in state:  # saved before ensembles: one copy
            state["members"] = [(state.pop("encoder_state"), state.pop("head_state"))]
        self.__dict__.update(state)
        self._lock = threading.Lock()

    def _build(self) -> tuple[Any, list[tuple[Any, Any]]]:
        if self._built is None:
            with self._lock:
                if self._built is None:
                    torch, auto_config, auto_model, auto_tokenizer = _torch()
                    base = str(packaged_model_path())
                    tokenizer = auto_tokenizer.from_pretrained(base, local_files_only=True)
                    config = auto_config.from_pretrained(base, local_files_only=True)
                    built = []
                    for encoder_state, head_state in self.members:
                        encoder = auto_model.from_config(config)
                        encoder.load_state_dict(encoder_state)
                        encoder.eval()
                        head = torch.nn.Linear(config.hidden_size, len(LABELS))
                        head.load_state_dict(head_state)
                        head.eval()
                        built.append((encoder, head))
                    self._built = (tokenizer, built)
        out: tuple[Any, list[tuple[Any, Any]]] = self._built
        return out

    def probabilities(self, texts: Sequence[str], batch_size: int = 64) -> NDArray[np.float64]:
        """P(negative), P(neutral), P(positive) per text (rows in :data:`LABELS` order): the
        normalised geometric mean of the copies' probabilities."""
        return combine_members(self.member_log_probabilities(texts, batch_size))

    def member_log_probabilities(
        self, texts: Sequence[str], batch_size: int = 64
    ) -> NDArray[np.float64]:
        """log P per copy, text and class: shape (members, len(texts), 3)."""
        torch = _torch()[0]
        tokenizer, built = self._build()
        if self.threads and torch.get_num_threads() != self.threads:
            torch.set_num_threads(self.threads)  # per thread, like the MiniLM encoder
        prepared = [normalise(t[:MAX_CHARS]) or "." for t in texts]
        order = np.argsort([len(t) for t in prepared], kind="stable")
        out = np.zeros((len(built), len(texts), len(LABELS)), dtype=np.float64)
        with torch.inference_mode():
            for start in range(0, len(texts), batch_size):
                rows = order[start : start + batch_size]
                batch = tokenizer(
                    [prepared[i] for i in rows],
                    padding=True,
                    truncation=True,
                    max_length=self.max_length,
                    return_tensors="pt",
                )
                for k, (encoder, head) in enumerate(built):
                    logits = _head_logits(torch, encoder, head, batch).double()
                    out[k, rows] = torch.log_softmax(logits, dim=-1).numpy()
        return out

    def evidence(self, texts: Sequence[str]) -> NDArray[np.float64]:
        """The weighted rule-based polarity added to the decision (0 when both weights are)."""
        total = np.zeros(len(texts))
        if self.lexicon_weight:
            total = total + self.lexicon_weight * lexicon_scores(texts)
        if self.vader_weight:
            total = total + self.vader_weight * vader_scores(texts)
        return total

    def decisions(self, texts: Sequence[str], proba: NDArray[np.float64]) -> NDArray[np.float64]:
        # The linear model's decision, with lexicon + VADER as the evidence (weights inside).
        return decision_scores(proba, LABELS, self.class_offsets, self.evidence(texts), 1.0)

    def predict(self, texts: Sequence[str]) -> list[Prediction]:
        if not texts:
            return []
        proba = self.probabilities(texts)
        decision = self.decisions(texts, proba)
        out = []
        for text, row, choice in zip(texts, proba, decision.argmax(axis=1), strict=True):
            if not text.strip():
                out.append(_prediction(NEUTRAL, 0.0, 0.0, "empty text", self.name, self.version))
                continue
            label = LABELS[int(choice)]
            score = float(row[2] - row[0])
            extra = {c: round(float(v), 4) for c, v in zip(LABELS, row, strict=True)}
            why = f"fine-tuned MiniLM: P(positive)={row[2]:.2f}, P(negative)={row[0]:.2f}"
            confidence = float(row[int(choice)])
            out.append(_prediction(label, score, confidence, why, self.name, self.version, extra))
        return out


def combine_members(log_p: NDArray[np.float64]) -> NDArray[np.float64]:
    """The copies' mean log-probability, normalised back to probabilities (rows sum to 1)."""
    mean = log_p.mean(axis=0)
    mean = mean - mean.max(axis=1, keepdims=True)
    p = np.exp(mean)
    out: NDArray[np.float64] = p / p.sum(axis=1, keepdims=True)
    return out


def _logits(
    torch: Any, tokenizer: Any, encoder: Any, head: Any, texts: list[str], max_length: int
) -> Any:
    batch = tokenizer(
        texts, padding=True, truncation=True, max_length=max_length, return_tensors="pt"
    )
    return _head_logits(torch, encoder, head, batch)


def _head_logits(torch: Any, encoder: Any, head: Any, batch: Any) -> Any:
    hidden = encoder(**batch).last_hidden_state
    mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
    pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
    return head(torch.nn.functional.normalize(pooled, dim=-1) * _SCALE)


def fine_tune_sentiment(
    texts: Sequence[str], labels: Sequence[str], config: FineTuneConfig | None = None
) -> FineTunedSentiment:
    """Fine-tune ``config.members`` copies of MiniLM + a head on
    ``negative``/``neutral``/``positive`` examples, copy *i* with seed ``config.seed + i``.

    Each step draws a batch with every class equally likely (the public sets are imbalanced:
    far more neutral Reddit comments than negative ones); the learning rate warms up, then
    falls linearly to zero. Deterministic for a given seed and thread count.
    """
    config = config or FineTuneConfig()
    if set(labels) != set(LABELS):
        raise ValueError(f"fine-tuning needs examples of each of {LABELS}")
    if config.members < 1:
        raise ValueError("fine-tuning needs at least one member")
    torch = _torch()[0]
    if config.threads:
        torch.set_num_threads(config.threads)
    prepared = [normalise(t[:MAX_CHARS]) for t in texts]
    y = np.array([LABELS.index(label) for label in labels])
    keep = np.array([bool(t) for t in prepared])
    prepared = [t for t, k in zip(prepared, keep, strict=True) if k]
    y = y[keep]
    weights = np.zeros(len(y))
    for c in range(len(LABELS)):
        weights[y == c] = 1.0 / max(int((y == c).sum()), 1)
    weights /= weights.sum()
    started = monotonic()
    members = [
        _fine_tune_one(prepared, y, weights, config, config.seed + i) for i in range(config.members)
    ]
    return FineTunedSentiment(
        members=members,
        max_length=config.max_length,
        metrics={
            "n_examples": len(y),
            "steps": config.steps,
            "members": config.members,
            "seeds": [config.seed + i for i in range(config.members)],
            "batch_size": config.batch_size,
            "learning_rate": config.learning_rate,
            "train_seconds": round(monotonic() - started, 1),
        },
    )


def _fine_tune_one(
    prepared: list[str],
    y: NDArray[np.int64],
    weights: NDArray[np.float64],
    config: FineTuneConfig,
    seed: int,
) -> Member:
    torch, auto_config, auto_model, auto_tokenizer = _torch()
    torch.manual_seed(seed)
    base = str(packaged_model_path())
    tokenizer = auto_tokenizer.from_pretrained(base, local_files_only=True)
    encoder = auto_model.from_pretrained(base, local_files_only=True)
    head = torch.nn.Linear(auto_config.from_pretrained(base).hidden_size, len(LABELS))
    optimiser = torch.optim.AdamW(
        [
            {"params": encoder.parameters(), "lr": config.learning_rate},
            {
                "params": head.parameters(),
                "lr": config.learning_rate * config.head_learning_rate_factor,
            },
        ],
        weight_decay=0.01,
    )
    warmup = max(config.warmup_fraction * config.steps, 1.0)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimiser,
        lambda s: min(1.0, (s + 1) / warmup) * max(0.0, (config.steps - s) / config.steps),
    )
    params = [*encoder.parameters(), *head.parameters()]
    rng = np.random.default_rng(seed)
    encoder.train()
    running = 0.0
    for step in range(config.steps):
        rows = rng.choice(len(y), config.batch_size, p=weights)
        logits = _logits(
            torch, tokenizer, encoder, head, [prepared[i] for i in rows], config.max_length
        )
        loss = torch.nn.functional.cross_entropy(logits, torch.as_tensor(y[rows]))
        optimiser.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        optimiser.step()
        schedule.step()
        running += float(loss.item())
        if (step + 1) % 50 == 0:
            log.info(
                "fine-tune seed %d step %d/%d loss %.4f", seed, step + 1, config.steps, running / 50
            )
            running = 0.0
    encoder.eval()
    return (
        {k: v.detach().clone() for k, v in encoder.state_dict().items()},
        {k: v.detach().clone() for k, v in head.state_dict().items()},
    )


def tune_decision(
    model: FineTunedSentiment,
    texts: Sequence[str],
    labels: Sequence[str],
    *,
    lexicon_weights: Sequence[float] = (0.0, 0.5, 1.0),
    vader_weights: Sequence[float] = (0.0, 0.5, 1.0, 2.0),
    offsets: Sequence[float] = tuple(np.round(np.arange(-2.0, 2.01, 0.1), 2)),
    proba: NDArray[np.float64] | None = None,
) -> dict[str, float]:
    """Choose the evidence weights and the negative/positive offsets with the best macro-recall.

    Four numbers fitted by grid search on a small labelled set of the target domain (never
    its text as training data), ties broken towards small values; stored on the model.
    """
    gold = np.asarray(labels)
    if not set(LABELS) <= set(gold.tolist()):
        raise ValueError("decision tuning needs negative, neutral and positive examples")
    if any(vader_weights):
        vader = vader_scores(texts)  # raises VaderUnavailable without vaderSentiment
    else:
        vader = np.zeros(len(texts))
    lexicon = lexicon_scores(texts)
    if proba is None:
        proba = model.probabilities(texts)
    names = np.asarray(LABELS)
    best: tuple[float, float, float, float, float, float] = (-1.0, 0.0, 0.0, 0.0, 0.0, 0.0)
    for w_lex, w_vader in product(lexicon_weights, vader_weights):
        base = decision_scores(proba, LABELS, None, w_lex * lexicon + w_vader * vader, 1.0)
        for neg, pos in product(offsets, offsets):
            chosen = names[(base + np.array([neg, 0.0, pos])).argmax(axis=1)]
            value = macro_recall(gold, chosen)
            cost = abs(w_lex) + abs(w_vader) + abs(neg) + abs(pos)
            if (value, -cost) > (best[0], -best[1]):
                best = (value, cost, float(w_lex), float(w_vader), float(neg), float(pos))
    model.lexicon_weight, model.vader_weight = best[2], best[3]
    model.class_offsets = {NEGATIVE: best[4], NEUTRAL: 0.0, POSITIVE: best[5]}
    model.metrics["tuning_macro_recall"] = round(best[0], 4)
    return {
        "lexicon_weight": best[2],
        "vader_weight": best[3],
        "negative_offset": best[4],
        "positive_offset": best[5],
    }
