"""Per-message latency (p50/p99, one core) and batch throughput of the classifiers.

Usage: python bench/ai/classify_latency.py [--data DIR] [--no-minilm] [--n 500]
Messages are Banking77 test utterances (realistic customer messages). The process pins itself
to one CPU and one BLAS/torch thread before importing numpy, so numbers are per core.
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")

import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _classify_common import emit, load_banking77, parser

from onestory.ai.classify import (
    IntentTrainingConfig,
    LexiconEmotion,
    LexiconSentiment,
    MessageClassifier,
    default_language_detector,
    starter_examples,
    train_intent_model,
)


def per_message(fn, texts: list[str]) -> dict[str, float]:
    fn(texts[:5])  # warm-up (lazy loads)
    times = []
    for text in texts:
        start = time.perf_counter()
        fn([text])
        times.append((time.perf_counter() - start) * 1000)
    return {
        "p50_ms": round(float(np.percentile(times, 50)), 3),
        "p99_ms": round(float(np.percentile(times, 99)), 3),
    }


def throughput(fn, texts: list[str], batch: int = 100) -> float:
    start = time.perf_counter()
    for i in range(0, len(texts), batch):
        fn(texts[i : i + batch])
    return round(len(texts) / (time.perf_counter() - start), 1)


def measure(name: str, fn, texts: list[str], out: dict[str, object]) -> None:
    result: dict[str, object] = per_message(fn, texts)
    result["batch100_msgs_per_s"] = throughput(fn, texts)
    out[name] = result


def main() -> None:
    p = parser(__doc__ or "")
    p.add_argument("--n", type=int, default=500)
    args = p.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
    texts, _ = load_banking77(args.data, "test")
    texts = texts[: args.n]
    out: dict[str, object] = {"messages": f"first {len(texts)} Banking77 test utterances"}
    measure("language_lingua", default_language_detector().predict, texts, out)
    intent = train_intent_model(starter_examples(), IntentTrainingConfig(holdout=0.0))
    measure("intent_starter_tfidf_lr", intent.predict, texts, out)
    measure("sentiment_lexicon", LexiconSentiment().predict, texts, out)
    measure("emotion_lexicon", LexiconEmotion().predict, texts, out)
    with tempfile.TemporaryDirectory() as tmp:
        suite = MessageClassifier.from_models_dir(Path(tmp))
        measure("all_four_default_stack", suite.classify, texts, out)
    if not args.no_minilm:
        from onestory.ai.classify.encoder import MiniLMEmbedder, minilm_available

        if minilm_available():
            embedder = MiniLMEmbedder(threads=1)
            measure("minilm_encode", embedder.encode, texts, out)
            model = train_intent_model(
                starter_examples(),
                IntentTrainingConfig(holdout=0.0, embedding_weight=3.0, C=10.0),
                embedder=embedder,
            )
            measure("intent_starter_tfidf_minilm_lr", model.predict, texts, out)
    emit(out)


if __name__ == "__main__":
    main()
