"""Whole enrichment of one message: PII redaction + language + intent + sentiment + emotion +
entities + effort + promises — exactly what the enrich stage runs per message (minus the SQL).

Usage: python bench/ai/enrich.py [--data DIR] [--n 500] [--no-minilm]
Messages: Banking77 test utterances, with every 5th carrying personal data (card, email,
phone) so the redactor does real work, and every 7th written by an agent (promise extraction).
Per-message latency is measured one message at a time on one pinned core; throughput is
measured batched (the stage takes up to 500 events per transaction).
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")

import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _classify_common import emit, load_banking77, parser

from onestory.enrich.engine import Enricher, EnrichItem
from onestory.enrich.redaction import PayloadRedactor
from onestory.enrich.settings import AISettings

PII = [
    " My card is 4111 1111 1111 1111.",
    " Reach me at jo.bloggs@example.co.uk please.",
    " Call me back on +44 20 7946 0018.",
]
AGENT = [
    "Sorry for the trouble, we'll refund you within 5 business days.",
    "A technician will visit on Tuesday between 9 and 12.",
    "I'll call you back tomorrow morning with an update.",
]


def corpus(texts: list[str]) -> list[tuple[str, str]]:
    out = []
    for i, t in enumerate(texts):
        if i % 7 == 3:
            out.append((AGENT[i % len(AGENT)], "agent"))
        elif i % 5 == 0:
            out.append((t + PII[i % len(PII)], "customer"))
        else:
            out.append((t, "customer"))
    return out


def pipeline(
    enricher: Enricher, redactor: PayloadRedactor
) -> Callable[[list[tuple[str, str]]], int]:
    now = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)

    def run(batch: list[tuple[str, str]]) -> int:
        items = []
        for n, (text, role) in enumerate(batch):
            payload = redactor("message.received", {"text": text, "author": role})
            items.append(EnrichItem(f"e{n}", payload["text"], role, now, "Europe/London"))
        return sum(len(rows) for rows in enricher.enrich(items))

    return run


def measure(
    run: Callable[[list[tuple[str, str]]], int], msgs: list[tuple[str, str]]
) -> dict[str, float]:
    run(msgs[:5])
    times = []
    for m in msgs:
        start = time.perf_counter()
        run([m])
        times.append((time.perf_counter() - start) * 1000)
    start = time.perf_counter()
    for i in range(0, len(msgs), 100):
        run(msgs[i : i + 100])
    batched = len(msgs) / (time.perf_counter() - start)
    return {
        "p50_ms": round(float(np.percentile(times, 50)), 3),
        "p99_ms": round(float(np.percentile(times, 99)), 3),
        "one_at_a_time_msgs_per_s": round(1000 / float(np.mean(times)), 1),
        "batch100_msgs_per_s": round(batched, 1),
    }


def main() -> None:
    p = parser(__doc__ or "")
    p.add_argument("--n", type=int, default=500)
    args = p.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
    texts, _ = load_banking77(args.data, "test")
    msgs = corpus(texts[: args.n])
    out: dict[str, object] = {
        "messages": f"{len(msgs)} Banking77 test utterances (+PII every 5th, agent every 7th)",
        "cores": 1,
    }
    with tempfile.TemporaryDirectory() as tmp:
        settings = AISettings()
        enricher = Enricher(settings, Path(tmp))
        enricher.warm_up()
        out["default_stack"] = measure(pipeline(enricher, PayloadRedactor(settings, None)), msgs)
    if not args.no_minilm:
        from onestory.ai.classify.encoder import MiniLMEmbedder, minilm_available
        from onestory.ai.classify.intent import (
            IntentTrainingConfig,
            starter_examples,
            train_and_save,
        )

        if minilm_available():
            with tempfile.TemporaryDirectory() as tmp:
                settings = AISettings(embedder="minilm")
                enricher = Enricher(settings, Path(tmp))
                train_and_save(
                    enricher.intent_store,
                    starter_examples(),
                    IntentTrainingConfig(embedding_weight=3.0, C=10.0),
                    embedder=MiniLMEmbedder(threads=1),
                )
                enricher.warm_up()
                run = pipeline(enricher, PayloadRedactor(settings, None))
                out["minilm_stack_1_core"] = measure(run, msgs)
                # Batched throughput on both cores (torch may use two threads).
                if hasattr(os, "sched_setaffinity"):
                    os.sched_setaffinity(0, set(range(os.cpu_count() or 1)))
                import torch

                torch.set_num_threads(2)
                start = time.perf_counter()
                for i in range(0, len(msgs), 100):
                    run(msgs[i : i + 100])
                out["minilm_stack_batch100_2_cores_msgs_per_s"] = round(
                    len(msgs) / (time.perf_counter() - start), 1
                )
        else:
            out["minilm_stack"] = "skipped: install the [ml] extra"
    emit(out)


if __name__ == "__main__":
    main()
