"""Banking77 intent accuracy (full train and few-shot) with OneStory's intent trainer.

Usage: python bench/ai/classify_banking77.py [--data DIR] [--no-minilm] [--shots 10 --seeds 5]
Prints JSON: accuracy on the official test split for each configuration.
Reference (Casanueva et al. 2020, Table 3): BERT 93.66 full / 83.42 10-shot; USE+ConveRT
93.36 full / 85.19 10-shot.
"""

from __future__ import annotations

import random
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _classify_common import Timer, emit, load_banking77, minilm, parser

from onestory.ai.classify.intent import IntentTrainingConfig, train_intent_model


def accuracy(model, texts, gold, embeddings=None) -> float:
    probs, _ = model.decision(texts, embeddings)
    predicted = np.asarray(model.labels)[probs.argmax(axis=1)]
    return round(float((predicted == np.asarray(gold)).mean()) * 100, 2)


def sample(texts, labels, shots, seed):
    rng = random.Random(seed)
    by_label: dict[str, list[int]] = {}
    for i, label in enumerate(labels):
        by_label.setdefault(label, []).append(i)
    picked = sorted(i for idx in by_label.values() for i in rng.sample(idx, shots))
    return picked


def main() -> None:
    p = parser(__doc__ or "")
    p.add_argument("--shots", type=int, default=10)
    p.add_argument("--seeds", type=int, default=5)
    args = p.parse_args()
    train_x, train_y = load_banking77(args.data, "train")
    test_x, test_y = load_banking77(args.data, "test")
    results: dict[str, object] = {
        "task": "banking77",
        "metric": "test accuracy (%), argmax (no out-of-scope rejection)",
        "n_train": len(train_x),
        "n_test": len(test_x),
    }
    configs = {
        "tfidf_logreg": IntentTrainingConfig(holdout=0.0),
        "tfidf_svm": IntentTrainingConfig(classifier="svm", C=0.6, holdout=0.0),
    }
    for name, config in configs.items():
        with Timer() as t:
            model = train_intent_model(zip(train_x, train_y, strict=True), config)
        results[f"full/{name}"] = {
            "accuracy": accuracy(model, test_x, test_y),
            "train_s": t.seconds,
        }
    embedder = None if args.no_minilm else minilm(args.cache, int8=args.minilm_int8)
    if embedder is not None:
        e_train = embedder.encode(train_x)
        e_test = embedder.encode(test_x)
        for name, config in {
            "tfidf_minilm_logreg": IntentTrainingConfig(holdout=0.0, embedding_weight=1.0),
            "tfidf_minilm_svm": IntentTrainingConfig(
                classifier="svm", C=0.6, holdout=0.0, embedding_weight=1.0
            ),
        }.items():
            with Timer() as t:
                model = train_intent_model(
                    zip(train_x, train_y, strict=True),
                    config,
                    embedder=embedder,
                    embeddings=e_train,
                )
            results[f"full/{name}"] = {
                "accuracy": accuracy(model, test_x, test_y, e_test),
                "train_s": t.seconds,
            }
    few: dict[str, list[float]] = {}
    for seed in range(args.seeds):
        idx = sample(train_x, train_y, args.shots, seed)
        xs = [train_x[i] for i in idx]
        ys = [train_y[i] for i in idx]
        model = train_intent_model(zip(xs, ys, strict=True), IntentTrainingConfig(holdout=0.0))
        few.setdefault("tfidf_logreg", []).append(accuracy(model, test_x, test_y))
        if embedder is not None:
            # Embedding weight 3 and C=10 were chosen on seeds 100-102 validated on the unused
            # *training* examples (not on test): see docs/ai.md.
            for name, (weight, c) in {
                "tfidf_minilm_logreg": (1.0, 30.0),
                "tfidf_minilm_x3_logreg": (3.0, 10.0),
            }.items():
                config = IntentTrainingConfig(holdout=0.0, embedding_weight=weight, C=c)
                model = train_intent_model(
                    zip(xs, ys, strict=True), config, embedder=embedder, embeddings=e_train[idx]
                )
                few.setdefault(name, []).append(accuracy(model, test_x, test_y, e_test))
    for name, values in few.items():
        results[f"{args.shots}shot/{name}"] = {
            "accuracy_mean": round(float(np.mean(values)), 2),
            "accuracy_std": round(float(np.std(values)), 2),
            "per_seed": values,
        }
    emit(results)


if __name__ == "__main__":
    main()
