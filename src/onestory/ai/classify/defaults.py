"""Train the optional data-driven sentiment and emotion models from public data on disk.

OneStory cannot ship public data sets or models trained on them inside the repository, so the
out-of-the-box sentiment/emotion models are the hand-written lexicon ones. An operator who
has the public data (see ``data/README.md``: SST-2, GoEmotions) can train better ones once:

    from onestory.ai.classify.defaults import train_default_models
    train_default_models(Path("../shared/data"), settings.data_dir / "models")

The results go to ``<models_dir>/sentiment`` and ``<models_dir>/emotion`` and are picked up by
:meth:`~onestory.ai.classify.suite.MessageClassifier.from_models_dir`.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from onestory.ai.classify.emotion import GOEMOTIONS_TO_CX, train_emotion_model
from onestory.ai.classify.sentiment import NEGATIVE, NEUTRAL, POSITIVE, train_sentiment_model
from onestory.ai.classify.store import ModelStore, ModelVersion
from onestory.ai.protocols import Embedder

log = logging.getLogger(__name__)

#: GoEmotions labels by polarity (used to turn GoEmotions into sentiment training data).
GOEMOTIONS_POLARITY: dict[str, str] = {
    **dict.fromkeys(
        "admiration amusement approval caring desire excitement gratitude joy love optimism "
        "pride relief".split(),
        POSITIVE,
    ),
    **dict.fromkeys(
        "anger annoyance disappointment disapproval disgust embarrassment fear grief "
        "nervousness remorse sadness".split(),
        NEGATIVE,
    ),
    **dict.fromkeys("neutral confusion curiosity realization surprise".split(), NEUTRAL),
}


def read_goemotions(data_dir: Path, split: str) -> tuple[list[str], list[list[str]]]:
    """GoEmotions ``<split>.tsv`` as texts and label-name lists."""
    folder = data_dir / "goemotions"
    names = (folder / "labels.txt").read_text(encoding="utf-8").split()
    texts: list[str] = []
    labels: list[list[str]] = []
    for line in (folder / f"{split}.tsv").read_text(encoding="utf-8").splitlines():
        parts = line.split("\t")
        if len(parts) >= 2 and parts[1]:
            texts.append(parts[0])
            labels.append([names[int(i)] for i in parts[1].split(",")])
    return texts, labels


def read_sst2(data_dir: Path, split: str = "train_full") -> tuple[list[str], list[str]]:
    """SST-2 ``<split>.tsv`` as texts and ``negative``/``positive`` labels."""
    texts: list[str] = []
    labels: list[str] = []
    lines = (data_dir / "sst2" / f"{split}.tsv").read_text(encoding="utf-8").splitlines()
    for line in lines[1:]:
        parts = line.split("\t")
        if len(parts) == 2 and parts[1].strip() in {"0", "1"}:
            texts.append(parts[0].strip())
            labels.append(POSITIVE if parts[1].strip() == "1" else NEGATIVE)
    return texts, labels


def goemotions_polarity(label_sets: Iterable[list[str]]) -> list[str | None]:
    """One polarity per GoEmotions example; None when its labels disagree (pos + neg)."""
    out: list[str | None] = []
    for labels in label_sets:
        polarities = {GOEMOTIONS_POLARITY[lab] for lab in labels if lab in GOEMOTIONS_POLARITY}
        polar = polarities - {NEUTRAL}
        if len(polar) == 1:
            out.append(polar.pop())
        elif not polar and polarities:
            out.append(NEUTRAL)
        else:
            out.append(None)
    return out


def sentiment_training_data(
    data_dir: Path, *, min_sst2_words: int = 4
) -> tuple[list[str], list[str]]:
    """SST-2 (phrases of at least ``min_sst2_words`` words) + GoEmotions train by polarity."""
    texts, labels = read_sst2(data_dir)
    keep = [i for i, t in enumerate(texts) if len(t.split()) >= min_sst2_words]
    out_texts = [texts[i] for i in keep]
    out_labels = [labels[i] for i in keep]
    g_texts, g_labels = read_goemotions(data_dir, "train")
    for text, polarity in zip(g_texts, goemotions_polarity(g_labels), strict=True):
        if polarity is not None:
            out_texts.append(text)
            out_labels.append(polarity)
    return out_texts, out_labels


def cx_emotion_labels(label_sets: Iterable[list[str]]) -> list[list[str]]:
    """GoEmotions labels folded into the customer-service taxonomy (empty when none map)."""
    return [
        sorted({GOEMOTIONS_TO_CX[lab] for lab in labels if lab in GOEMOTIONS_TO_CX})
        for labels in label_sets
    ]


def train_default_models(
    data_dir: Path, models_dir: Path, *, embedder: Embedder | None = None
) -> dict[str, ModelVersion]:
    """Train sentiment (SST-2 + GoEmotions) and CX emotion (GoEmotions) models and save them."""
    saved: dict[str, ModelVersion] = {}
    texts, labels = sentiment_training_data(data_dir)
    log.info("training sentiment on %d examples", len(texts))
    sentiment = train_sentiment_model(texts, labels, embedder=embedder)
    meta: dict[str, Any] = {
        "name": sentiment.name,
        "n_examples": len(texts),
        "data": "SST-2 train_full (>=4 words) + GoEmotions train mapped to polarity",
        "embedder": embedder.name if embedder else None,
    }
    saved["sentiment"] = ModelStore(models_dir / "sentiment").save(sentiment, meta)

    g_texts, g_labels = read_goemotions(data_dir, "train")
    d_texts, d_labels = read_goemotions(data_dir, "dev")
    cx = cx_emotion_labels(g_labels)
    rows = [i for i, labs in enumerate(cx) if labs]
    dev_cx = cx_emotion_labels(d_labels)
    dev_rows = [i for i, labs in enumerate(dev_cx) if labs]
    log.info("training emotion on %d examples", len(rows))
    emotion = train_emotion_model(
        [g_texts[i] for i in rows],
        [cx[i] for i in rows],
        dev_texts=[d_texts[i] for i in dev_rows],
        dev_label_sets=[dev_cx[i] for i in dev_rows],
        embedder=embedder,
    )
    meta = {
        "name": emotion.name,
        "n_examples": len(rows),
        "labels": emotion.labels,
        "data": "GoEmotions train folded into the CX taxonomy; thresholds tuned on dev",
        "embedder": embedder.name if embedder else None,
    }
    saved["emotion"] = ModelStore(models_dir / "emotion").save(emotion, meta)
    return saved
