"""TweetEval sentiment (macro-averaged recall on test) with models trained on OTHER data.

TweetEval's official training text is unavailable, so the trainable model learns only from
other public data sets (see onestory.ai.classify.defaults.sentiment_training_data). Recipes
(--recipe):
  tweets (default) - GoEmotions train by polarity (incl. neutral) + TweetEval *emotion* tweets
                     (anger/sadness -> negative, joy/optimism -> positive) + NLU++ requests and
                     ABCD guideline sentences as neutral
  all              - the same + SST-2 train_full phrases of >= 4 words
  v1               - the original recipe: SST-2 (>= 4 words) + GoEmotions by polarity
Decision variants, all on the same trained TF-IDF logistic regression:
  argmax           - plain 3-class prediction; no TweetEval sentiment data used at all
  offsets@val      - 2 log-offsets (negative, positive vs neutral) tuned on TweetEval *val*
  offsets+lex@val  - the same + the weight of the rule-based lexicon polarity (3 numbers)
  blend@val        - one blended polarity, P(pos) - P(neg) + w_lex * lexicon + w_vader * VADER
                     (normalised), cut by two thresholds; the two weights and the two
                     thresholds (4 numbers) tuned on val. What train_default_models ships.
TweetEval sentiment val (2,000 tweets) is used only for those 2-4 numbers, never as training
text; the test split is only scored. Also scores the rule-based lexicon default, VADER alone
(its documented +-0.05 cut, nothing tuned) and reports SST-2 dev accuracy (binary, by the
sign of P(pos) - P(neg)).
--finetune instead fine-tunes MiniLM itself (all weights + a 3-class head, class-balanced
batches; onestory.ai.classify.sentiment_finetune) on the recipe and scores its plain argmax
(no TweetEval sentiment data used at all) and its decision tuned on val (lexicon and VADER
weights, two class offsets: 4 numbers).
Usage: python bench/ai/classify_sentiment.py [--data DIR] [--recipe tweets|all|v1] [--minilm]
       [--finetune [--steps 400] [--threads 2]]
References (TweetEval leaderboard): TimeLMs-2021 73.7, RoBERTa-base 71.3, FastText/SVM 62.9.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import asdict
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _classify_common import Timer, emit, load_sst2, load_tweeteval, minilm, parser

from onestory.ai.classify.defaults import (
    SENTIMENT_SOURCES,
    SENTIMENT_SOURCES_TWEETS,
    SENTIMENT_SOURCES_V1,
    sentiment_training_data,
)
from onestory.ai.classify.sentiment import (
    LABELS,
    LexiconSentiment,
    macro_recall,
    train_sentiment_model,
    tune_class_offsets,
    tune_score_thresholds,
    vader_scores,
)
from onestory.ai.classify.sentiment_finetune import (
    FineTuneConfig,
    combine_members,
    fine_tune_sentiment,
    tune_decision,
)

RECIPES = {"tweets": SENTIMENT_SOURCES_TWEETS, "all": SENTIMENT_SOURCES, "v1": SENTIMENT_SOURCES_V1}
LEXICON_WEIGHTS = (0.0, 0.5, 1.0, 1.5, 2.0)
BLEND_LEXICON_WEIGHTS = (0.0, 0.5, 1.0)
BLEND_VADER_WEIGHTS = (0.0, 0.5, 1.0, 2.0)


def scores(gold, pred) -> dict[str, object]:
    g, p = np.asarray(gold), np.asarray(pred)
    return {
        "macro_recall": round(macro_recall(g, p), 4),
        "recall": {lab: round(float(np.mean(p[g == lab] == lab)), 4) for lab in LABELS},
    }


def finetuned(args: argparse.Namespace) -> dict[str, object]:
    """The fine-tuned MiniLM: plain argmax (no TweetEval sentiment data used at all), then the
    decision tuned on val (lexicon and VADER weights, two class offsets)."""
    sources = RECIPES[args.recipe]
    weak = tuple(args.goemotions_neutral.split(",")) if args.goemotions_neutral else ()
    train_x, train_y = sentiment_training_data(
        args.data, sources=sources, goemotions_as_neutral=weak
    )
    val_x, val_y = load_tweeteval(args.data, "sentiment", "val")
    test_x, test_y = load_tweeteval(args.data, "sentiment", "test")
    config = FineTuneConfig(steps=args.steps, members=args.members, threads=args.threads)
    with Timer() as t:
        model = fine_tune_sentiment(train_x, train_y, config)
    model.threads = args.threads
    out: dict[str, object] = {
        "task": "tweeteval_sentiment",
        "metric": "macro-averaged recall on test (12,284 tweets)",
        "model": "MiniLM fine-tuned (all weights) + linear head, class-balanced batches; "
        "members copies (seeds 0..members-1) averaged in log-probability",
        "config": asdict(config),
        "recipe": args.recipe,
        "train_sources": list(sources),
        "goemotions_as_neutral": list(weak),
        "train_counts": {lab: train_y.count(lab) for lab in sorted(set(train_y))},
        "train_s": t.seconds,
        "tuning_data": "TweetEval sentiment val (2,000 tweets): 4 decision numbers",
    }
    with Timer() as t:
        test_members = model.member_log_probabilities(test_x)
    out["test_inference_ms_per_tweet"] = round(t.seconds * 1000 / len(test_x), 2)
    val_members = model.member_log_probabilities(val_x)
    test_proba, val_proba = combine_members(test_members), combine_members(val_members)
    names = np.asarray(LABELS)
    out["argmax"] = scores(test_y, names[test_proba.argmax(axis=1)])
    out["members_argmax"] = [
        {
            "seed": seed,
            "test_macro_recall": round(macro_recall(test_y, names[t.argmax(axis=1)]), 4),
            "val_macro_recall": round(macro_recall(val_y, names[v.argmax(axis=1)]), 4),
        }
        for seed, t, v in zip(model.metrics["seeds"], test_members, val_members, strict=True)
    ]
    try:
        vader_scores(["ok"])
        vader_weights: tuple[float, ...] = BLEND_VADER_WEIGHTS
    except RuntimeError:
        vader_weights = (0.0,)
    tuned = tune_decision(model, val_x, val_y, vader_weights=vader_weights, proba=val_proba)
    out["decision@val"] = {
        **scores(test_y, names[model.decisions(test_x, test_proba).argmax(axis=1)]),
        "tuned_on_val": tuned,
        "val_macro_recall": model.metrics["tuning_macro_recall"],
    }
    out["val_argmax_macro_recall"] = round(macro_recall(val_y, names[val_proba.argmax(axis=1)]), 4)
    return out


def main() -> None:
    p = parser(__doc__ or "")
    p.add_argument("--recipe", choices=sorted(RECIPES), default="tweets")
    p.add_argument("--minilm", action="store_true", help="add MiniLM sentence embeddings")
    p.add_argument(
        "--finetune", action="store_true", help="fine-tune MiniLM (train-defaults --finetune)"
    )
    p.add_argument("--steps", type=int, default=FineTuneConfig.steps, help="fine-tuning steps")
    p.add_argument(
        "--members", type=int, default=FineTuneConfig.members, help="fine-tuned copies averaged"
    )
    p.add_argument("--threads", type=int, default=2, help="torch threads for fine-tuning")
    p.add_argument(
        "--goemotions-neutral", default="", help="GoEmotions labels read as neutral (finetune)"
    )
    args = p.parse_args()
    if args.finetune:
        emit(finetuned(args))
        return
    sources = RECIPES[args.recipe]
    train_x, train_y = sentiment_training_data(args.data, sources=sources)
    val_x, val_y = load_tweeteval(args.data, "sentiment", "val")
    test_x, test_y = load_tweeteval(args.data, "sentiment", "test")
    sst_x, sst_y = load_sst2(args.data, "dev")
    out: dict[str, object] = {
        "task": "tweeteval_sentiment",
        "metric": "macro-averaged recall on test (12,284 tweets)",
        "recipe": args.recipe,
        "train_sources": list(sources),
        "train_counts": {lab: train_y.count(lab) for lab in sorted(set(train_y))},
        "tuning_data": "TweetEval sentiment val (2,000 tweets): 2-4 decision numbers per variant",
    }
    use_minilm = args.minilm and not args.no_minilm
    embedder = minilm(args.cache, int8=args.minilm_int8) if use_minilm else None

    def enc(xs):
        return embedder.encode(xs) if embedder is not None else None

    name = "tfidf_minilm_logreg" if embedder is not None else "tfidf_logreg"
    with Timer() as t:
        model = train_sentiment_model(
            train_x, train_y, embedder=embedder, embeddings=enc(train_x), neutral_band=None
        )
    result: dict[str, object] = {"train_s": t.seconds}
    val_emb, test_emb = enc(val_x), enc(test_x)
    test_proba = model.probabilities(test_x, test_emb)
    classes = np.asarray(model.classes)

    def test_labels():
        return classes[model.decisions(test_x, test_proba).argmax(axis=1)]

    result["argmax"] = scores(test_y, test_labels())
    for variant, weights in (("offsets@val", (0.0,)), ("offsets+lex@val", LEXICON_WEIGHTS)):
        tuned = tune_class_offsets(model, val_x, val_y, embeddings=val_emb, lexicon_weights=weights)
        result[variant] = {
            **scores(test_y, test_labels()),
            "tuned_on_val": tuned,
            "val_macro_recall": model.metrics["tuning_macro_recall"],
        }
    try:
        vader_scores(["ok"])
        vader_weights = BLEND_VADER_WEIGHTS
    except RuntimeError:
        vader_weights = (0.0,)  # vaderSentiment not installed: blend the lexicon only
    variants = {"blend_lexicon_only@val": (0.0,)}
    if vader_weights != (0.0,):
        variants["blend@val"] = vader_weights
    for variant, weights in variants.items():
        tuned = tune_score_thresholds(
            model,
            val_x,
            val_y,
            embeddings=val_emb,
            lexicon_weights=BLEND_LEXICON_WEIGHTS,
            vader_weights=weights,
        )
        blend = [q.label for q in model.predict(test_x, test_emb)]
        result[variant] = {
            **scores(test_y, blend),
            "tuned_on_val": tuned,
            "val_macro_recall": model.metrics["tuning_macro_recall"],
        }
    sst_proba = model.probabilities(sst_x, enc(sst_x))
    sst_score = (
        sst_proba[:, list(classes).index("positive")]
        - sst_proba[:, list(classes).index("negative")]
    )
    sst_pred = np.where(sst_score >= 0, "positive", "negative")
    result["sst2_dev_accuracy"] = round(float(np.mean(sst_pred == np.asarray(sst_y))) * 100, 2)
    out[name] = result
    lexicon = LexiconSentiment()
    out["lexicon_default"] = {
        **scores(test_y, [q.label for q in lexicon.predict(test_x)]),
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
    if vader_weights != (0.0,):
        compound = vader_scores(test_x)
        vader = np.where(
            compound >= 0.05, "positive", np.where(compound <= -0.05, "negative", "neutral")
        )
        out["vader_alone"] = scores(test_y, vader)
    emit(out)


if __name__ == "__main__":
    main()
