"""Churn-risk benchmark: stratified 5-fold ROC-AUC on the IBM Telco customer churn set.

Run from the repository root::

    .venv/bin/python bench/churn.py [--data DIR] [--seeds 0 1 2] [--folds 5]

``--data`` is the shared data folder (holding ``telco_churn/``) or the Telco folder or CSV
itself; by default ``$ONESTORY_BENCH_DATA`` or ``../shared/data`` relative to the repository.
The data are read in place, never copied. Prints one JSON document: per model variant the AUC
of every fold, mean and standard deviation per fold-shuffling seed, and mean fit time per fold.

Variants: ``logreg``, ``hgb`` and ``blend`` on the raw Telco columns, and ``logreg_features``,
the default model fed through :func:`telco_to_features` (OneStory's own ``ChurnFeatures``
schema with the Telco-only columns as ``extra``) to show that path loses nothing.
Published reference: about 0.845 for a well-tuned logistic regression or gradient boosting.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from onestory.proactive.churn_model import (
    DEFAULT_KIND,
    KINDS,
    MODEL_VERSION,
    cross_validate_auc,
)
from onestory.proactive.churn_telco import read_telco_csv, telco_to_features

ROOT = Path(__file__).resolve().parents[1]
REFERENCE_AUC = 0.845


def telco_path(data: str | None) -> Path:
    base = Path(data or os.environ.get("ONESTORY_BENCH_DATA") or ROOT.parent / "shared" / "data")
    for candidate in (
        base,
        base / "telco_churn",
        base / "telco_churn" / "Telco-Customer-Churn.csv",
    ):
        if candidate.is_file() or (candidate / "Telco-Customer-Churn.csv").is_file():
            return candidate
    raise SystemExit(f"Telco churn data not found under {base}")


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--data", help="data folder, Telco folder or CSV")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--variants", nargs="+", default=[*KINDS, "logreg_features"])
    args = parser.parse_args(argv)

    path = telco_path(args.data)
    data = read_telco_csv(path)
    as_features = [telco_to_features(row) for row in data.rows]
    results: dict[str, Any] = {}
    for variant in args.variants:
        kind = DEFAULT_KIND if variant == "logreg_features" else variant
        rows: Any = as_features if variant == "logreg_features" else data.rows
        runs = []
        started = time.perf_counter()
        for seed in args.seeds:
            cv = cross_validate_auc(
                rows, data.labels, kind=kind, folds=args.folds, random_state=seed
            )
            runs.append(
                {
                    "seed": seed,
                    "auc_mean": round(cv["auc_mean"], 4),
                    "auc_std": round(cv["auc_std"], 4),
                    "auc_folds": [round(a, 4) for a in cv["auc_folds"]],
                    "fit_seconds_per_fold": round(cv["fit_seconds_mean"], 3),
                }
            )
        means = [r["auc_mean"] for r in runs]
        results[variant] = {
            "kind": kind,
            "auc_mean": round(float(np.mean(means)), 4),
            "auc_mean_min_over_seeds": min(means),
            "meets_reference": float(np.mean(means)) >= REFERENCE_AUC,
            "wall_seconds": round(time.perf_counter() - started, 1),
            "runs": runs,
        }
        print(f"{variant}: {results[variant]['auc_mean']}", file=sys.stderr, flush=True)

    report = {
        "benchmark": "churn/telco",
        "data": str(path),
        "rows": len(data.labels),
        "churn_rate": round(sum(data.labels) / len(data.labels), 4),
        "metric": f"ROC-AUC, stratified {args.folds}-fold CV",
        "reference_auc": REFERENCE_AUC,
        "default_kind": DEFAULT_KIND,
        "model_version": MODEL_VERSION,
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "ran_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "variants": results,
    }
    print(json.dumps(report, indent=2))
    return report


if __name__ == "__main__":
    main()
