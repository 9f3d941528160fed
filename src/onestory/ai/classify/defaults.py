"""Train the optional data-driven sentiment and emotion models from public data on disk.

OneStory cannot ship public data sets or models trained on them inside the repository, so the
out-of-the-box sentiment/emotion models are the hand-written lexicon ones. An operator who
has the public data (see ``data/README.md``: SST-2, GoEmotions, TweetEval emotion, NLU++,
ABCD; missing ones are skipped) can train better ones once:

    from onestory.ai.classify.defaults import train_default_models
    train_default_models(Path("../shared/data"), settings.data_dir / "models")

The results go to ``<models_dir>/sentiment`` and ``<models_dir>/emotion`` and are picked up by
:meth:`~onestory.ai.classify.suite.MessageClassifier.from_models_dir`.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from onestory.ai.classify.emotion import GOEMOTIONS_TO_CX, train_emotion_model
from onestory.ai.classify.sentiment import (
    NEGATIVE,
    NEUTRAL,
    POSITIVE,
    VaderUnavailable,
    train_sentiment_model,
    tune_score_thresholds,
    vader_scores,
)
from onestory.ai.classify.sentiment_finetune import (
    FineTuneConfig,
    fine_tune_sentiment,
    tune_decision,
)
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


def goemotions_polarity(
    label_sets: Iterable[list[str]], *, as_neutral: Sequence[str] = ()
) -> list[str | None]:
    """One polarity per GoEmotions example; None when its labels disagree (pos + neg).

    ``as_neutral`` moves weak emotions (``approval``, say) to neutral.
    """
    mapping = {**GOEMOTIONS_POLARITY, **dict.fromkeys(as_neutral, NEUTRAL)}
    out: list[str | None] = []
    for labels in label_sets:
        polarities = {mapping[lab] for lab in labels if lab in mapping}
        polar = polarities - {NEUTRAL}
        if len(polar) == 1:
            out.append(polar.pop())
        elif not polar and polarities:
            out.append(NEUTRAL)
        else:
            out.append(None)
    return out


#: TweetEval *emotion* labels by polarity (tweets; used as sentiment training data).
TWEETEVAL_EMOTION_POLARITY: dict[str, str] = {
    "anger": NEGATIVE,
    "sadness": NEGATIVE,
    "joy": POSITIVE,
    "optimism": POSITIVE,
}

#: Public sources :func:`sentiment_training_data` can combine (see ``docs/ai.md``).
SENTIMENT_SOURCES = ("sst2", "goemotions", "tweeteval_emotion", "nlupp", "abcd")
#: The recipe measured best on TweetEval sentiment (SST-2 film-review phrases hurt there,
#: but SST-2 dev accuracy drops without them); the default of :func:`train_default_models`.
SENTIMENT_SOURCES_TWEETS = ("goemotions", "tweeteval_emotion", "nlupp", "abcd")
#: Candidate blend weights tried when the decision is tuned on TweetEval sentiment val.
BLEND_LEXICON_WEIGHTS = (0.0, 0.5, 1.0)
BLEND_VADER_WEIGHTS = (0.0, 0.5, 1.0, 2.0)
#: The original recipe (SST-2 + GoEmotions), kept for comparison.
SENTIMENT_SOURCES_V1 = ("sst2", "goemotions")


_SOURCE_FILES = {
    "sst2": "sst2/train_full.tsv",
    "goemotions": "goemotions/train.tsv",
    "tweeteval_emotion": "tweeteval/emotion/train_text.txt",
    "nlupp": "nlupp/data",
    "abcd": "abcd/guidelines.json",
}


def available_sentiment_sources(data_dir: Path, wanted: Sequence[str]) -> tuple[str, ...]:
    """The sources of ``wanted`` whose files exist under ``data_dir``."""
    return tuple(s for s in wanted if (data_dir / _SOURCE_FILES[s]).exists())


def read_tweeteval_emotion_polarity(data_dir: Path) -> tuple[list[str], list[str]]:
    """TweetEval emotion (train + val + test tweets) mapped to negative/positive."""
    folder = data_dir / "tweeteval" / "emotion"
    names = {}
    for line in (folder / "mapping.txt").read_text(encoding="utf-8").splitlines():
        idx, name = line.split("\t")
        names[idx.strip()] = name.strip()
    texts: list[str] = []
    labels: list[str] = []
    for split in ("train", "val", "test"):
        text_file = folder / f"{split}_text.txt"
        if not text_file.exists():
            continue
        split_texts = text_file.read_text(encoding="utf-8").splitlines()
        split_labels = (folder / f"{split}_labels.txt").read_text(encoding="utf-8").split()
        for text, idx in zip(split_texts, split_labels, strict=True):
            polarity = TWEETEVAL_EMOTION_POLARITY.get(names[idx])
            if polarity is not None and text.strip():
                texts.append(text.strip())
                labels.append(polarity)
    return texts, labels


def read_nlupp_texts(data_dir: Path) -> list[str]:
    """NLU++ banking + hotels utterances (requests and questions: no sentiment)."""
    texts: set[str] = set()
    for path in sorted((data_dir / "nlupp" / "data").glob("*/fold*.json")):
        texts.update(row["text"].strip() for row in json.loads(path.read_text(encoding="utf-8")))
    return sorted(t for t in texts if t)


def read_abcd_statements(data_dir: Path, *, min_words: int = 4) -> list[str]:
    """Sentences of the ABCD agent guidelines (procedural statements: no sentiment)."""
    out: set[str] = set()

    def walk(node: object) -> None:
        if isinstance(node, str):
            for sentence in node.replace("  ", " ").split(". "):
                if len(sentence.split()) >= min_words:
                    out.add(sentence.strip())
        elif isinstance(node, dict):
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(json.loads((data_dir / "abcd" / "guidelines.json").read_text(encoding="utf-8")))
    return sorted(out)


def sentiment_training_data(
    data_dir: Path,
    *,
    min_sst2_words: int = 4,
    sources: Sequence[str] = SENTIMENT_SOURCES,
    goemotions_as_neutral: Sequence[str] = (),
) -> tuple[list[str], list[str]]:
    """Sentiment training texts and labels from public data sets on disk.

    ``sources`` picks from :data:`SENTIMENT_SOURCES`: ``sst2`` (SST-2 train_full phrases of at
    least ``min_sst2_words`` words; negative/positive), ``goemotions`` (GoEmotions train by
    polarity, including neutral), ``tweeteval_emotion`` (TweetEval emotion tweets;
    negative/positive), ``nlupp`` and ``abcd`` (banking/hotel requests and customer-service
    guideline sentences as neutral).
    """
    unknown = set(sources) - set(SENTIMENT_SOURCES)
    if unknown:
        raise ValueError(f"unknown sentiment sources {sorted(unknown)}")
    out_texts: list[str] = []
    out_labels: list[str] = []
    if "sst2" in sources:
        texts, labels = read_sst2(data_dir)
        keep = [i for i, t in enumerate(texts) if len(t.split()) >= min_sst2_words]
        out_texts += [texts[i] for i in keep]
        out_labels += [labels[i] for i in keep]
    if "goemotions" in sources:
        g_texts, g_labels = read_goemotions(data_dir, "train")
        polarities = goemotions_polarity(g_labels, as_neutral=goemotions_as_neutral)
        for text, polarity in zip(g_texts, polarities, strict=True):
            if polarity is not None:
                out_texts.append(text)
                out_labels.append(polarity)
    if "tweeteval_emotion" in sources:
        texts, labels = read_tweeteval_emotion_polarity(data_dir)
        out_texts += texts
        out_labels += labels
    neutral: list[str] = []
    if "nlupp" in sources:
        neutral += read_nlupp_texts(data_dir)
    if "abcd" in sources:
        neutral += read_abcd_statements(data_dir)
    out_texts += neutral
    out_labels += [NEUTRAL] * len(neutral)
    return out_texts, out_labels


def cx_emotion_labels(label_sets: Iterable[list[str]]) -> list[list[str]]:
    """GoEmotions labels folded into the customer-service taxonomy (empty when none map)."""
    return [
        sorted({GOEMOTIONS_TO_CX[lab] for lab in labels if lab in GOEMOTIONS_TO_CX})
        for labels in label_sets
    ]


def read_tweeteval_sentiment_val(data_dir: Path) -> tuple[list[str], list[str]]:
    """TweetEval *sentiment* val (2,000 tweets): only ever used to tune the decision numbers."""
    folder = data_dir / "tweeteval" / "sentiment"
    names = {}
    for line in (folder / "mapping.txt").read_text(encoding="utf-8").splitlines():
        idx, name = line.split("\t")
        names[idx.strip()] = name.strip()
    texts = (folder / "val_text.txt").read_text(encoding="utf-8").splitlines()
    labels = [names[x.strip()] for x in (folder / "val_labels.txt").read_text().splitlines()]
    return texts, labels


def vader_installed() -> bool:
    try:
        vader_scores(["ok"])
    except VaderUnavailable:
        return False
    return True


def train_default_models(
    data_dir: Path,
    models_dir: Path,
    *,
    embedder: Embedder | None = None,
    sentiment_sources: Sequence[str] = SENTIMENT_SOURCES_TWEETS,
    sentiment_lexicon_weight: float = 1.0,
    fine_tune: FineTuneConfig | None = None,
    tune_on_val: bool = True,
) -> dict[str, ModelVersion]:
    """Train sentiment and CX emotion (GoEmotions) models and save them.

    Sentiment learns from ``sentiment_sources`` (see :func:`sentiment_training_data`; the
    default leaves out SST-2, which scores worse on tweets and better on film-review-like
    text). When TweetEval sentiment val is under ``data_dir`` (never used as training text),
    the decision is tuned on it as ``bench/ai/classify_sentiment.py`` measures it: one
    blended polarity (model + lexicon + VADER when ``vaderSentiment`` is installed) cut by two
    thresholds, four numbers in all. Without it the model takes the 3-class argmax plus the
    lexicon polarity with ``sentiment_lexicon_weight`` (0 turns it off).

    ``fine_tune`` (needs the ``[ml]`` extra) trains the sentiment model by fine-tuning MiniLM
    on the same data instead (:mod:`onestory.ai.classify.sentiment_finetune`); with val on
    disk its decision (lexicon and VADER weights, two class offsets) is tuned there unless
    ``tune_on_val`` is False: then it is the plain argmax, and no TweetEval sentiment data is
    used at all.
    """
    saved: dict[str, ModelVersion] = {}
    present = available_sentiment_sources(data_dir, sentiment_sources)
    if set(present) != set(sentiment_sources):
        log.warning(
            "sentiment sources missing under %s: %s",
            data_dir,
            sorted(set(sentiment_sources) - set(present)),
        )
    sentiment_sources = present
    texts, labels = sentiment_training_data(data_dir, sources=sentiment_sources)
    log.info("training sentiment on %d examples", len(texts))
    sentiment_model: Any
    if fine_tune is not None:
        sentiment_model, decision = _fine_tuned_sentiment(
            data_dir, texts, labels, fine_tune, tune_on_val=tune_on_val
        )
    else:
        sentiment_model, decision = _linear_sentiment(
            data_dir, texts, labels, embedder, sentiment_lexicon_weight
        )
    meta: dict[str, Any] = {
        "name": sentiment_model.name,
        "n_examples": len(texts),
        "data": "public data sets by polarity: " + ", ".join(sentiment_sources),
        "decision": decision,
        "embedder": embedder.name if embedder and fine_tune is None else None,
        "metrics": sentiment_model.metrics,
    }
    saved["sentiment"] = ModelStore(models_dir / "sentiment").save(sentiment_model, meta)

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


def _linear_sentiment(
    data_dir: Path,
    texts: list[str],
    labels: list[str],
    embedder: Embedder | None,
    lexicon_weight: float,
) -> tuple[Any, dict[str, Any]]:
    sentiment = train_sentiment_model(texts, labels, embedder=embedder)
    sentiment.lexicon_weight = lexicon_weight
    decision: dict[str, Any] = {"kind": "argmax", "lexicon_weight": lexicon_weight}
    if (data_dir / "tweeteval" / "sentiment" / "val_text.txt").is_file():
        val_x, val_y = read_tweeteval_sentiment_val(data_dir)
        tuned = tune_score_thresholds(
            sentiment,
            val_x,
            val_y,
            lexicon_weights=BLEND_LEXICON_WEIGHTS,
            vader_weights=BLEND_VADER_WEIGHTS if vader_installed() else (0.0,),
        )
        decision = {
            "kind": "blended polarity, 4 numbers tuned on TweetEval sentiment val",
            **tuned,
            "val_macro_recall": sentiment.metrics["tuning_macro_recall"],
        }
    return sentiment, decision


def _fine_tuned_sentiment(
    data_dir: Path,
    texts: list[str],
    labels: list[str],
    config: FineTuneConfig,
    *,
    tune_on_val: bool,
) -> tuple[Any, dict[str, Any]]:
    model = fine_tune_sentiment(texts, labels, config)
    decision: dict[str, Any] = {"kind": "argmax of the fine-tuned model"}
    if tune_on_val and (data_dir / "tweeteval" / "sentiment" / "val_text.txt").is_file():
        val_x, val_y = read_tweeteval_sentiment_val(data_dir)
        vader = (0.0, 0.5, 1.0, 2.0) if vader_installed() else (0.0,)
        tuned = tune_decision(model, val_x, val_y, vader_weights=vader)
        decision = {
            "kind": "log P + lexicon/VADER evidence + 2 offsets, tuned on TweetEval sentiment val",
            **tuned,
            "val_macro_recall": model.metrics["tuning_macro_recall"],
        }
    return model, decision
