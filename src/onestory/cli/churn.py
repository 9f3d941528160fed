"""``onestory churn`` commands."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from onestory.cli.common import open_store
from onestory.config import get_settings
from onestory.events.service import EventDraft, record
from onestory.kit.clock import SystemClock
from onestory.proactive.churn_features import ChurnFeatures
from onestory.proactive.churn_model import DEFAULT_KIND, KINDS, ChurnModel, train_churn_model
from onestory.proactive.churn_telco import read_telco_csv, telco_to_features
from onestory.proactive.features import store_training_set

app = typer.Typer(help="Churn-risk model: train, score.", no_args_is_help=True)


def models_dir() -> Path:
    return get_settings().data_dir / "models" / "churn"


def latest_model_path() -> Path | None:
    pointer = models_dir() / "CURRENT"
    if not pointer.exists():
        return None
    return models_dir() / pointer.read_text(encoding="utf-8").strip()


@app.command()
def train(
    telco: Path | None = typer.Option(
        None, "--telco", exists=True, help="Also train on the IBM Telco churn CSV (or its folder)."
    ),
    store: bool = typer.Option(
        True, "--store/--no-store", help="Train on the store's own customers."
    ),
    kind: str = typer.Option(DEFAULT_KIND, "--kind", help=f"One of {', '.join(KINDS)}."),
    folds: int = typer.Option(5, "--folds", min=2, max=20),
) -> None:
    """Train a new model version (cross-validated first) and make it current."""
    if kind not in KINDS:
        typer.echo(f"error: --kind must be one of {', '.join(KINDS)}", err=True)
        raise typer.Exit(2)
    clock = SystemClock()
    rows: list[ChurnFeatures] = []
    labels: list[int] = []
    sources: dict[str, int] = {}
    if telco is not None:
        data = read_telco_csv(telco)
        rows.extend(telco_to_features(r) for r in data.rows)
        labels.extend(data.labels)
        sources["telco"] = len(data.rows)
    if store:
        db = open_store()
        try:
            with db.transaction() as session:
                _ids, srows, slabels = store_training_set(session, clock.now())
        finally:
            db.dispose()
        rows.extend(srows)
        labels.extend(slabels)
        sources["store"] = len(srows)
    if len(set(labels)) < 2:
        typer.echo(
            "error: training needs customers who churned and customers who stayed "
            f"(have {len(labels)} rows, classes {sorted(set(labels))}); add --telco PATH",
            err=True,
        )
        raise typer.Exit(2)
    model = train_churn_model(rows, labels, kind=kind, folds=folds, clock=clock)
    version = clock.now().strftime("v%Y%m%dT%H%M%SZ")
    target = models_dir() / version
    model.save(target)
    (models_dir() / "CURRENT").write_text(version, encoding="utf-8")
    typer.echo(
        json.dumps(
            {
                "path": str(target),
                "version": version,
                "model": model.model_id,
                "rows": sources,
                "metrics": model.metrics,
            },
            default=str,
        )
    )


@app.command()
def score(
    threshold: float | None = typer.Option(
        None, "--threshold", help="Only record scores at or above this (default: all)."
    ),
) -> None:
    """Score every customer with the current model and record ``churn.scored`` story events;
    the detect stage raises a ``churn_risk`` signal above ONESTORY_PROACTIVE__CHURN_THRESHOLD."""
    path = latest_model_path()
    if path is None:
        typer.echo("error: no model yet; run `onestory churn train` first", err=True)
        raise typer.Exit(2)
    clock = SystemClock()
    model = ChurnModel.load(path, clock=clock)
    db = open_store()
    n = 0
    try:
        with db.transaction(write=True) as session:
            now = clock.now()
            ids, rows, _labels = store_training_set(session, now)
            probs = model.predict_proba(rows) if rows else []
            drafts = []
            for cid, row, p in zip(ids, rows, probs, strict=True):
                if threshold is not None and p < threshold:
                    continue
                drivers = [
                    {"feature": d.feature, "direction": d.direction, "text": d.text}
                    for d in model.explain(row)
                ]
                drafts.append(
                    EventDraft(
                        type="churn.scored",
                        customer_id=cid,
                        occurred_at=now,
                        idempotency_key=f"churn:{cid}:{now.date().isoformat()}:{model.model_id}",
                        payload={
                            "score": round(p, 4),
                            "drivers": drivers,
                            "model": model.model_id,
                            "model_path": path.name,
                        },
                    )
                )
            n = len(record(session, drafts, clock=clock).seqs)
    finally:
        db.dispose()
    typer.echo(json.dumps({"scored": len(ids), "recorded": n, "model": str(path)}))
