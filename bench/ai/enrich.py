"""Whole enrichment of one message: PII redaction + language + intent + sentiment + emotion +
entities + effort + promises — exactly what the enrich stage runs per message (minus the SQL).

Usage: python bench/ai/enrich.py [--data DIR] [--n 500] [--no-minilm] [--minilm-everywhere]
       [--configs onnx_int8,onnx,torch]
Messages: Banking77 test utterances, with every 5th carrying personal data (card, email,
phone) so the redactor does real work, and every 7th written by an agent (promise extraction).
Per-message latency is measured one message at a time on one pinned core; throughput is
measured batched (the stage takes up to 500 events per transaction). The MiniLM stack is then
measured again on both cores (torch with 2 threads): one message at a time and batched.
--minilm-everywhere also gives sentiment and emotion MiniLM features (models trained on a
small GoEmotions sample: the inference path of `onestory ai train-defaults --minilm`), so
all three models read the one shared encode of each batch.
--configs onnx_int8,onnx,torch (default) measures the MiniLM stack on 8-bit ONNX Runtime, float
ONNX Runtime and torch in the same run, each with models trained on its own vectors; the
ratios between them are the comparison to quote on a shared machine.
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

from onestory.ai.classify import ModelStore, train_emotion_model, train_sentiment_model
from onestory.ai.classify.defaults import cx_emotion_labels, goemotions_polarity, read_goemotions
from onestory.ai.classify.intent import IntentTrainingConfig, starter_examples, train_and_save
from onestory.ai.redaction import PayloadRedactor
from onestory.ai.settings import AISettings
from onestory.enrich.engine import Enricher, EnrichItem

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
        # Each pass re-runs the same messages: forget the vectors of earlier passes so every
        # message costs a real encode (within a batch the models still share one).
        encoder = getattr(enricher.classifier, "encoder", None)
        if encoder is not None:
            encoder.clear()
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
    times, cpu = [], []
    for m in msgs:
        start, start_cpu = time.perf_counter(), time.process_time()
        run([m])
        times.append((time.perf_counter() - start) * 1000)
        cpu.append((time.process_time() - start_cpu) * 1000)
    start, start_cpu = time.perf_counter(), time.process_time()
    for i in range(0, len(msgs), 100):
        run(msgs[i : i + 100])
    batched = len(msgs) / (time.perf_counter() - start)
    batched_cpu = (time.process_time() - start_cpu) * 1000 / len(msgs)
    # CPU time (all threads of the process) is what a message costs whatever the neighbours
    # do: on a shared, loaded machine wall-clock numbers mostly measure the neighbours.
    return {
        "p50_ms": round(float(np.percentile(times, 50)), 3),
        "p99_ms": round(float(np.percentile(times, 99)), 3),
        "one_at_a_time_msgs_per_s": round(1000 / float(np.mean(times)), 1),
        "batch100_msgs_per_s": round(batched, 1),
        "cpu_ms_per_msg_p50": round(float(np.percentile(cpu, 50)), 3),
        "cpu_ms_per_msg_p99": round(float(np.percentile(cpu, 99)), 3),
        "batch100_cpu_ms_per_msg": round(batched_cpu, 3),
    }


def load() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def train_minilm_sentiment_emotion(data: Path, models: Path, embedder: object) -> None:
    """Sentiment + emotion with MiniLM features, trained on 1,200 GoEmotions comments."""
    texts, label_sets = read_goemotions(data, "train")
    texts, label_sets = texts[:1200], label_sets[:1200]
    polarity = goemotions_polarity(label_sets)
    rows = [i for i, pol in enumerate(polarity) if pol is not None]
    sentiment = train_sentiment_model(
        [texts[i] for i in rows],
        [str(polarity[i]) for i in rows],
        embedder=embedder,  # type: ignore[arg-type]
    )
    sentiment.lexicon_weight = 1.0
    ModelStore(models / "sentiment").save(sentiment, {"name": sentiment.name})
    cx = cx_emotion_labels(label_sets)
    keep = [i for i, labs in enumerate(cx) if labs]
    emotion = train_emotion_model(
        [texts[i] for i in keep],
        [cx[i] for i in keep],
        dev_texts=[texts[i] for i in keep[:300]],
        dev_label_sets=[cx[i] for i in keep[:300]],
        embedder=embedder,  # type: ignore[arg-type]
    )
    ModelStore(models / "emotion").save(emotion, {"name": emotion.name})


CONFIGS = {
    "torch": {"minilm_backend": "torch"},
    "onnx": {"minilm_backend": "onnx"},
    "onnx_int8": {"minilm_backend": "onnx", "minilm_int8": True},
}


def measure_minilm(
    config: str, msgs: list[tuple[str, str]], data: Path, everywhere: bool
) -> dict[str, object]:
    """The MiniLM stack on one runtime: models trained on its vectors, one pinned core, then
    both cores."""
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
    settings = AISettings(embedder="minilm", minilm_threads=1, **CONFIGS[config])
    with tempfile.TemporaryDirectory() as tmp:
        models = Path(tmp)
        enricher = Enricher(settings, models)
        # The encoder the stage uses, so intent (and with --minilm-everywhere sentiment and
        # emotion) are trained on exactly the vectors they will be fed.
        embedder = enricher.make_embedder()
        train_and_save(
            enricher.intent_store,
            starter_examples(),
            IntentTrainingConfig(embedding_weight=3.0, C=10.0),
            embedder=embedder,
        )
        if everywhere:
            train_minilm_sentiment_emotion(data, models, embedder)
        enricher.warm_up()
        classifier = enricher.classifier
        encoder = classifier.encoder
        result: dict[str, object] = {
            "encoder": encoder.name if encoder else None,
            "backend": getattr(getattr(encoder, "inner", None), "backend", None),
            "models": {k: getattr(classifier, k).name for k in ("intent", "sentiment", "emotion")},
            "shared_encode": encoder is not None,
        }
        run = pipeline(enricher, PayloadRedactor(settings, None))
        result["1_core"] = {**measure(run, msgs), "load_average": load()}
        # Both cores: the encoder runs two intra-op threads (for torch set in the thread that
        # encodes, `ai.minilm_threads`; a torch.set_num_threads here would not reach the
        # background encode thread), and that encode overlaps the models that do not need the
        # vectors.
        if hasattr(os, "sched_setaffinity"):
            os.sched_setaffinity(0, set(range(os.cpu_count() or 1)))
        two = Enricher(settings.model_copy(update={"minilm_threads": 2}), models)
        two.warm_up()
        run2 = pipeline(two, PayloadRedactor(settings, None))
        result["2_cores"] = {**measure(run2, msgs), "load_average": load()}
    return result


def main() -> None:
    p = parser(__doc__ or "")
    p.add_argument("--n", type=int, default=500)
    p.add_argument("--minilm-everywhere", action="store_true")
    p.add_argument(
        "--configs", default="onnx_int8,onnx,torch", help=f"MiniLM runtimes: {', '.join(CONFIGS)}"
    )
    args = p.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
    texts, _ = load_banking77(args.data, "test")
    msgs = corpus(texts[: args.n])
    out: dict[str, object] = {
        "messages": f"{len(msgs)} Banking77 test utterances (+PII every 5th, agent every 7th)",
        "cores": 1,
        "load_average_at_start": load(),
    }
    with tempfile.TemporaryDirectory() as tmp:
        settings = AISettings()
        enricher = Enricher(settings, Path(tmp))
        enricher.warm_up()
        out["default_stack"] = measure(pipeline(enricher, PayloadRedactor(settings, None)), msgs)
    if not args.no_minilm:
        from onestory.ai.classify.encoder import minilm_available

        if not minilm_available():
            out["minilm_stack"] = "skipped: install the [ml] extra"
        for config in args.configs.split(",") if minilm_available() else []:
            out[f"minilm_{config}"] = measure_minilm(
                config, msgs, args.data, args.minilm_everywhere
            )
    emit(out)


if __name__ == "__main__":
    main()
