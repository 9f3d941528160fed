"""``onestory intents``: train, list, roll back and try the intent model."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from onestory.ai.classify._data import load_examples
from onestory.ai.classify.encoder import EmbedderUnavailable, MiniLMEmbedder
from onestory.ai.classify.intent import (
    IntentTrainingConfig,
    load_or_train_default,
    starter_examples,
    train_and_save,
)
from onestory.ai.classify.store import IntentModelStore, ModelNotFound
from onestory.config import get_settings

app = typer.Typer(help="Intent model: train from examples, list versions, roll back, predict.")

StoreOption = typer.Option(
    None, "--store", help="Model store directory (default: <data_dir>/models/intents)."
)


def _store(store: Path | None) -> IntentModelStore:
    return IntentModelStore(store or get_settings().data_dir / "models" / "intents")


def _configured_minilm(cache_dir: Path) -> MiniLMEmbedder:
    """The encoder the enrich stage will use (same backend and precision), for training."""
    ai = get_settings().ai
    return MiniLMEmbedder(
        ai.minilm_path,
        threads=ai.minilm_threads,
        backend=ai.minilm_backend,
        cache_dir=cache_dir,
        int8=ai.minilm_int8,
    )


@app.command()
def train(
    data: Path | None = typer.Option(
        None,
        "--data",
        exists=True,
        dir_okay=False,
        help="JSONL or CSV with text,label (default: the shipped starter taxonomy).",
    ),
    store: Path | None = StoreOption,
    corrections: bool = typer.Option(
        True, "--corrections/--no-corrections", help="Merge agents' recorded corrections."
    ),
    c: float = typer.Option(30.0, "--C", help="Inverse regularisation strength."),
    minilm: bool | None = typer.Option(
        None,
        "--minilm/--no-minilm",
        help="Add MiniLM sentence embeddings to the features (needs [ml]; default: on when "
        "ONESTORY_AI__EMBEDDER=minilm, with that section's backend and int8 settings).",
    ),
    embedding_weight: float = typer.Option(
        1.0, "--embedding-weight", min=0.1, help="Weight of the embeddings next to TF-IDF."
    ),
) -> None:
    """Train a new model version and make it active."""
    target = _store(store)
    try:
        examples = load_examples(data) if data else starter_examples()
    except (OSError, ValueError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    ai = get_settings().ai
    embedder = None
    if minilm if minilm is not None else ai.embedder == "minilm":
        embedder = _configured_minilm(target.directory.parent / "encoders")
    config = IntentTrainingConfig(C=c, embedding_weight=embedding_weight)
    try:
        model, version = train_and_save(
            target, examples, config, include_corrections=corrections, embedder=embedder
        )
    except EmbedderUnavailable as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    except ValueError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    typer.echo(
        json.dumps(
            {
                "version": version.version,
                "store": str(target.directory),
                "labels": len(model.labels),
                "metrics": model.metrics,
            },
            indent=2,
        )
    )


@app.command("list")
def list_versions(store: Path | None = StoreOption) -> None:
    """List saved versions (the active one is marked with *)."""
    versions = _store(store).list()
    if not versions:
        typer.echo("no intent models saved yet; run `onestory intents train`")
        return
    for item in versions:
        metrics = item.meta.get("metrics", {})
        mark = "*" if item.active else " "
        typer.echo(
            f"{mark} {item.version:>5}  {item.trained_at}  examples={item.meta.get('n_examples')}"
            f"  labels={len(item.meta.get('labels', []))}"
            f"  holdout_acc={metrics.get('holdout_accuracy')}"
        )


@app.command()
def rollback(version: str, store: Path | None = StoreOption) -> None:
    """Make VERSION the active model."""
    try:
        item = _store(store).rollback(version)
    except ModelNotFound as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from exc
    typer.echo(f"active intent model is now {item.version} (trained {item.trained_at})")


@app.command()
def predict(text: str, store: Path | None = StoreOption) -> None:
    """Classify TEXT with the active model (trains the starter model on first use)."""
    target = _store(store)
    model = load_or_train_default(target)
    if model.featurizer.needs_embedder:
        try:
            model.featurizer.attach_embedder(
                _configured_minilm(target.directory.parent / "encoders")
            )
        except ValueError as exc:  # trained with the other precision than configured
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(2) from exc
    prediction = model.predict([text])[0]
    top = sorted((prediction.scores or {}).items(), key=lambda kv: -kv[1])[:3]
    typer.echo(
        json.dumps(
            {
                "label": prediction.label,
                "confidence": prediction.confidence,
                "explanation": prediction.explanation,
                "model": f"{prediction.model}@{prediction.model_version}",
                "top": dict(top),
            },
            ensure_ascii=False,
            indent=2,
        )
    )


# ``onestory ai``: kept here until the AI commands outgrow one module; registered separately.
ai_app = typer.Typer(help="AI models: train the optional data-driven sentiment/emotion models.")


@ai_app.command("train-defaults")
def train_defaults(
    data_dir: Path = typer.Option(
        ...,
        "--data-dir",
        exists=True,
        file_okay=False,
        help="Folder with the public data sets (sst2/, goemotions/), e.g. ../shared/data.",
    ),
    models_dir: Path | None = typer.Option(
        None, "--models-dir", help="Model store root (default: <data_dir setting>/models)."
    ),
    minilm: bool = typer.Option(
        False, "--minilm/--no-minilm", help="Add MiniLM sentence embeddings (needs [ml])."
    ),
    finetune: bool = typer.Option(
        False,
        "--finetune/--no-finetune",
        help="Sentiment by fine-tuning MiniLM itself (needs [ml]; ~5 min per copy on 2 idle "
        "cores): the best TweetEval sentiment model, at one more transformer pass per message "
        "and copy.",
    ),
    steps: int = typer.Option(400, "--steps", min=1, help="Fine-tuning steps (batches of 32)."),
    members: int = typer.Option(
        5,
        "--members",
        min=1,
        help="Copies fine-tuned with different seeds and averaged (1: 5x cheaper, about 0.01 "
        "lower on TweetEval).",
    ),
    val_tuning: bool = typer.Option(
        True,
        "--val-tuning/--no-val-tuning",
        help="Tune the fine-tuned model's decision (4 numbers) on TweetEval sentiment val when "
        "it is on disk; --no-val-tuning keeps the plain argmax (no TweetEval sentiment data).",
    ),
) -> None:
    """Train sentiment (GoEmotions and TweetEval emotion by polarity, NLU++/ABCD sentences as
    neutral; no SST-2) and emotion (GoEmotions) models and activate them."""
    from onestory.ai.classify.defaults import train_default_models
    from onestory.ai.classify.sentiment_finetune import FineTuneConfig

    root = models_dir or get_settings().data_dir / "models"
    embedder = _configured_minilm(root / "encoders") if minilm else None
    fine_tune = FineTuneConfig(steps=steps, members=members) if finetune else None
    try:
        saved = train_default_models(
            data_dir, root, embedder=embedder, fine_tune=fine_tune, tune_on_val=val_tuning
        )
    except EmbedderUnavailable as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    for kind, version in saved.items():
        typer.echo(f"{kind}: {version.version} saved in {root / kind}")
