"""TweetEval sentiment (macro-averaged recall on test) with models trained on OTHER data.

TweetEval's official training text is unavailable, so the trainable model learns from SST-2
(train_full, phrases of >= 4 words; positive/negative) plus GoEmotions train mapped to
polarity (positive/negative/neutral; see onestory.ai.classify.defaults). Variants:
  argmax          - 3-class prediction, no TweetEval data used at all
  band@val        - neutral band on score = P(pos) - P(neg), band tuned on TweetEval *val*
                    (2,000 labelled tweets; used for that one number only, never for training)
Also scores the rule-based lexicon default. Also reports SST-2 dev accuracy (binary).
Usage: python bench/ai/classify_sentiment.py [--data DIR] [--no-minilm]
References (TweetEval leaderboard): TimeLMs-2021 73.7, RoBERTa-base 71.3, FastText/SVM 62.9.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
from sklearn.metrics import recall_score

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _classify_common import Timer, emit, load_sst2, load_tweeteval, minilm, parser

from onestory.ai.classify.defaults import sentiment_training_data
from onestory.ai.classify.sentiment import (
    LexiconSentiment,
    label_for,
    train_sentiment_model,
)


def mrecall(gold, pred) -> float:
    return round(float(recall_score(gold, pred, average="macro")), 4)


def main() -> None:
    p = parser(__doc__ or "")
    args = p.parse_args()
    train_x, train_y = sentiment_training_data(args.data)
    val_x, val_y = load_tweeteval(args.data, "sentiment", "val")
    test_x, test_y = load_tweeteval(args.data, "sentiment", "test")
    sst_x, sst_y = load_sst2(args.data, "dev")
    counts = {lab: train_y.count(lab) for lab in sorted(set(train_y))}
    out: dict[str, object] = {
        "task": "tweeteval_sentiment",
        "metric": "macro-averaged recall on test (12,284 tweets)",
        "train_data": "SST-2 train_full (>=4 words) + GoEmotions train by polarity",
        "train_counts": counts,
    }
    embedder = None if args.no_minilm else minilm(args.cache)
    configs = [("tfidf_logreg", None)]
    if embedder is not None:
        configs.append(("tfidf_minilm_logreg", embedder))
    for name, emb in configs:

        def enc(xs, emb=emb):
            return emb.encode(xs) if emb is not None else None

        with Timer() as t:
            model = train_sentiment_model(
                train_x, train_y, embedder=emb, embeddings=enc(train_x), neutral_band=None
            )
        model.neutral_band = None
        result: dict[str, object] = {"train_s": t.seconds}
        test_pred = model.predict(test_x, enc(test_x))
        result["argmax"] = mrecall(test_y, [q.label for q in test_pred])
        val_scores = [q.scores["score"] for q in model.predict(val_x, enc(val_x))]
        best_band, best = 0.0, -1.0
        for band in np.arange(0.05, 0.9, 0.025):
            r = mrecall(val_y, [label_for(s, band) for s in val_scores])
            if r > best:
                best_band, best = float(band), r
        test_scores = [q.scores["score"] for q in test_pred]
        result["band@val"] = {
            "macro_recall": mrecall(test_y, [label_for(s, best_band) for s in test_scores]),
            "band": round(best_band, 3),
            "val_macro_recall": best,
        }
        sst_scores = [q.scores["score"] for q in model.predict(sst_x, enc(sst_x))]
        sst_pred = ["positive" if s >= 0 else "negative" for s in sst_scores]
        result["sst2_dev_accuracy"] = round(
            float(np.mean([a == b for a, b in zip(sst_pred, sst_y, strict=True)])) * 100, 2
        )
        out[name] = result
    lexicon = LexiconSentiment()
    out["lexicon_default"] = {
        "macro_recall": mrecall(test_y, [q.label for q in lexicon.predict(test_x)]),
        "sst2_dev_accuracy": round(
            float(
                np.mean(
                    [
                        ("positive" if lexicon.polarity(x)[0] >= 0 else "negative") == y
                        for x, y in zip(sst_x, sst_y, strict=True)
                    ]
                )
            )
            * 100,
            2,
        ),
    }
    emit(out)


if __name__ == "__main__":
    main()
