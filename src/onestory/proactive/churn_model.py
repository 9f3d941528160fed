"""Churn model: the estimators behind :class:`ChurnModel`, training, scoring, save and load.

Three estimators sit behind one interface (``kind``):

* ``logreg`` — one-hot + standardised numbers + L2 logistic regression.
* ``hgb`` — histogram gradient boosting with native categorical splits.
* ``blend`` — the mean of both probabilities.

How each explains a score lives in :mod:`onestory.proactive.churn_explain`; the rows it reads
in :mod:`onestory.proactive.churn_features`.

Models are saved as a directory holding ``model.joblib`` (the fitted pipelines) and
``metadata.json`` (name, version, trained_at, schema, metrics). joblib files are pickles: only
load models you trained yourself.
"""

from __future__ import annotations

import json
import time
import warnings
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, Literal, cast

import joblib
import numpy as np
import numpy.typing as npt
import sklearn
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer, OneHotEncoder, OrdinalEncoder, StandardScaler
from threadpoolctl import threadpool_limits

from onestory.kit.clock import Clock, SystemClock
from onestory.kit.errors import InvalidInput, field_error
from onestory.proactive.churn_explain import (
    Driver,
    drivers,
    linear_contributions,
    sampled_shapley,
)
from onestory.proactive.churn_features import (
    FeatureSchema,
    FloatArray,
    ObjArray,
    RowLike,
    Value,
    infer_schema,
    to_matrix,
)

MODEL_NAME = "onestory-churn"
MODEL_VERSION = "1.0.0"

Kind = Literal["logreg", "hgb", "blend"]
KINDS: tuple[Kind, ...] = ("logreg", "hgb", "blend")
# Chosen by bench/churn.py on the IBM Telco set (see docs/churn.md).
DEFAULT_KIND: Kind = "logreg"


def _as_float(x: Any) -> Any:
    return np.asarray(x, dtype=np.float64)


def _with_logs(x: Any, n_num: int) -> Any:
    """Imputed numbers → [numbers, log1p(numbers), missing indicators].

    Counts and money are skewed (the step from 0 to 2 failed payments matters more than from
    20 to 22); a log copy lets the linear model bend without losing its exact explanations.
    """
    x = np.asarray(x, dtype=np.float64)
    values = x[:, :n_num]
    logs = np.log1p(np.clip(values, 0.0, None))
    return np.hstack([values, logs, x[:, n_num:]])


def _logreg(schema: FeatureSchema, random_state: int) -> Any:
    n_num = len(schema.numeric)
    numeric = Pipeline(
        [
            (
                "impute",
                SimpleImputer(strategy="median", add_indicator=True, keep_empty_features=True),
            ),
            ("logs", FunctionTransformer(_with_logs, kw_args={"n_num": n_num})),
            ("scale", StandardScaler()),
        ]
    )
    columns = ColumnTransformer(
        [
            ("num", numeric, list(range(n_num))),
            (
                "cat",
                OneHotEncoder(handle_unknown="ignore", sparse_output=False),
                list(range(n_num, len(schema.columns))),
            ),
        ]
    )
    classifier = LogisticRegression(C=0.3, max_iter=5000, random_state=random_state)
    return Pipeline([("columns", columns), ("classifier", classifier)])


def _hgb(schema: FeatureSchema, random_state: int, x: ObjArray) -> Any:
    n_num, n_cat = len(schema.numeric), len(schema.categorical)
    # A numeric column with no known value in training carries nothing and trips HGB's
    # binning, so it is left out; such a feature then never moves the score (or a driver).
    numeric = [j for j in range(n_num) if not np.isnan(np.asarray(x[:, j], np.float64)).all()]
    encoder = OrdinalEncoder(
        handle_unknown="use_encoded_value",
        unknown_value=np.nan,
        encoded_missing_value=np.nan,
        # HGB splits on at most 255 bins; rare levels share one.
        max_categories=200,
    )
    columns = ColumnTransformer(
        [
            ("num", FunctionTransformer(_as_float), numeric),
            ("cat", encoder, list(range(n_num, n_num + n_cat))),
        ]
    )
    classifier = HistGradientBoostingClassifier(
        # Shallow trees and many leaves' worth of samples: churn data are small and noisy.
        learning_rate=0.05,
        max_iter=200,
        max_leaf_nodes=4,
        min_samples_leaf=60,
        l2_regularization=1.0,
        categorical_features=[False] * len(numeric) + [True] * n_cat if n_cat else None,
        early_stopping=False,
        random_state=random_state,
    )
    return Pipeline([("columns", columns), ("classifier", classifier)])


def _check_labels(rows: Sequence[RowLike], labels: Sequence[int | bool]) -> npt.NDArray[np.int_]:
    if len(rows) != len(labels):
        raise InvalidInput(
            f"{len(rows)} rows but {len(labels)} labels",
            errors=[field_error("labels", "length differs from rows")],
        )
    y = np.asarray([int(bool(v)) for v in labels], dtype=np.int_)
    if y.size == 0 or y.min() == y.max():
        raise InvalidInput(
            "training needs both churned and retained customers",
            errors=[field_error("labels", "only one class present")],
        )
    return y


class ChurnModel:
    """A churn-risk model: ``fit`` on labelled rows, then score and explain customers."""

    name = MODEL_NAME
    version = MODEL_VERSION

    def __init__(
        self,
        kind: Kind = DEFAULT_KIND,
        *,
        schema: FeatureSchema | None = None,
        random_state: int = 0,
        threads: int = 1,
        clock: Clock | None = None,
    ) -> None:
        if kind not in KINDS:
            raise InvalidInput(
                f"unknown churn model kind {kind!r}",
                errors=[field_error("kind", f"one of {', '.join(KINDS)}")],
            )
        self.kind: Kind = kind
        self.schema = schema
        self.random_state = random_state
        # OpenMP/BLAS threads for fit and predict. One by default: OneStory shares its host
        # with the API and pipeline workers, and on a busy 2-core box letting gradient
        # boosting take every core made it 40x slower, not faster.
        self.threads = threads
        self.metrics: dict[str, Any] = {}
        self.trained_at: datetime | None = None
        self._clock = clock or SystemClock()
        self._pipelines: dict[str, Any] = {}
        self._background: ObjArray | None = None
        self._typical: dict[str, Value] = {}
        self._mean_transformed: FloatArray | None = None
        self._n_rows = 0
        self._positive_rate = 0.0

    @property
    def model_id(self) -> str:
        """``name/kind@version``, what insights and audit rows record."""
        return f"{self.name}/{self.kind}@{self.version}"

    @property
    def fitted(self) -> bool:
        return bool(self._pipelines)

    def fit(self, rows: Sequence[RowLike], labels: Sequence[int | bool]) -> ChurnModel:
        y = _check_labels(rows, labels)
        schema = self.schema or infer_schema(rows)
        if not schema.columns:
            raise InvalidInput("no feature columns in the training rows")
        self.schema = schema
        x = to_matrix(rows, schema)
        pipelines: dict[str, Any] = {}
        with threadpool_limits(limits=self.threads):
            if self.kind in ("logreg", "blend"):
                pipelines["logreg"] = _logreg(schema, self.random_state).fit(x, y)
            if self.kind in ("hgb", "blend"):
                pipelines["hgb"] = _hgb(schema, self.random_state, x).fit(x, y)
        self._pipelines = pipelines
        if "logreg" in pipelines:
            transformed = pipelines["logreg"].named_steps["columns"].transform(x)
            self._mean_transformed = np.asarray(transformed, dtype=np.float64).mean(axis=0)
        rng = np.random.default_rng(self.random_state)
        take = rng.choice(len(x), size=min(len(x), 200), replace=False)
        self._background = x[np.sort(take)]
        self._typical = self._typical_values(x, schema)
        self._n_rows = len(x)
        self._positive_rate = float(y.mean())
        self.trained_at = self._clock.now()
        return self

    @staticmethod
    def _typical_values(x: ObjArray, schema: FeatureSchema) -> dict[str, Value]:
        typical: dict[str, Value] = {}
        n_num = len(schema.numeric)
        for j, name in enumerate(schema.numeric):
            col = np.asarray(x[:, j], dtype=np.float64)
            known = col[~np.isnan(col)]
            typical[name] = float(np.median(known)) if known.size else None
        for j, name in enumerate(schema.categorical):
            levels, counts = np.unique(x[:, n_num + j].astype(str), return_counts=True)
            typical[name] = str(levels[int(np.argmax(counts))])
        return typical

    def _require_fitted(self) -> FeatureSchema:
        if not self._pipelines or self.schema is None:
            raise InvalidInput("the churn model is not trained yet")
        return self.schema

    def _proba_matrix(self, x: ObjArray) -> FloatArray:
        with threadpool_limits(limits=self.threads):
            probs = [
                np.asarray(p.predict_proba(x)[:, 1], dtype=np.float64)
                for p in self._pipelines.values()
            ]
        return cast(FloatArray, np.mean(probs, axis=0))

    def predict_proba(self, rows: Sequence[RowLike]) -> list[float]:
        """Probability of churn for each row, in order."""
        schema = self._require_fitted()
        if not rows:
            return []
        return [float(p) for p in self._proba_matrix(to_matrix(rows, schema))]

    def explain(self, row: RowLike, top: int = 3) -> list[Driver]:
        """The ``top`` features pushing this customer's risk up or down the most."""
        schema = self._require_fitted()
        x = to_matrix([row], schema)
        if self.kind == "logreg":
            assert self._mean_transformed is not None
            contributions = linear_contributions(
                self._pipelines["logreg"], self._mean_transformed, schema, x
            )
        else:
            assert self._background is not None
            contributions = sampled_shapley(
                self._proba_matrix, self._background, x[0], self.random_state
            )
        return drivers(schema, x, contributions, self._typical, top)

    def metadata(self) -> dict[str, Any]:
        schema = self._require_fitted()
        return {
            "name": self.name,
            "version": self.version,
            "kind": self.kind,
            "trained_at": self.trained_at.isoformat() if self.trained_at else None,
            "sklearn_version": sklearn.__version__,
            "schema": {"numeric": list(schema.numeric), "categorical": list(schema.categorical)},
            "n_rows": self._n_rows,
            "positive_rate": self._positive_rate,
            "typical": self._typical,
            "metrics": self.metrics,
        }

    def save(self, path: str | Path) -> Path:
        """Write ``model.joblib`` and ``metadata.json`` into the directory ``path``."""
        meta = self.metadata()
        directory = Path(path)
        directory.mkdir(parents=True, exist_ok=True)
        state = {
            "pipelines": self._pipelines,
            "background": self._background,
            "mean_transformed": self._mean_transformed,
        }
        joblib.dump(state, directory / "model.joblib")
        (directory / "metadata.json").write_text(json.dumps(meta, indent=2, sort_keys=True))
        return directory

    @classmethod
    def load(cls, path: str | Path, *, clock: Clock | None = None) -> ChurnModel:
        """Read a model written by :meth:`save`. Only load directories you trust (pickle)."""
        directory = Path(path)
        meta = json.loads((directory / "metadata.json").read_text())
        if meta.get("name") != MODEL_NAME or meta.get("kind") not in KINDS:
            raise InvalidInput(f"{directory} does not hold a OneStory churn model")
        schema = FeatureSchema(
            tuple(meta["schema"]["numeric"]), tuple(meta["schema"]["categorical"])
        )
        if meta.get("sklearn_version") != sklearn.__version__:
            # Pickled estimators are only guaranteed to load in the version that wrote them.
            warnings.warn(
                f"churn model saved with scikit-learn {meta.get('sklearn_version')}, "
                f"running {sklearn.__version__}: retrain if scores look wrong",
                stacklevel=2,
            )
        model = cls(meta["kind"], schema=schema, clock=clock)
        state = joblib.load(directory / "model.joblib")
        model._pipelines = state["pipelines"]
        model._background = state["background"]
        model._mean_transformed = state["mean_transformed"]
        model._typical = meta["typical"]
        model._n_rows = meta["n_rows"]
        model._positive_rate = meta["positive_rate"]
        model.metrics = meta["metrics"]
        model.version = meta["version"]
        trained_at = meta.get("trained_at")
        model.trained_at = datetime.fromisoformat(trained_at) if trained_at else None
        return model


def cross_validate_auc(
    rows: Sequence[RowLike],
    labels: Sequence[int | bool],
    *,
    kind: Kind = DEFAULT_KIND,
    folds: int = 5,
    random_state: int = 0,
    schema: FeatureSchema | None = None,
) -> dict[str, Any]:
    """Stratified k-fold ROC-AUC: ``{"auc_mean", "auc_std", "auc_folds", "fit_seconds"}``."""
    y = _check_labels(rows, labels)
    schema = schema or infer_schema(rows)
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=random_state)
    aucs: list[float] = []
    seconds: list[float] = []
    for train, test in splitter.split(np.zeros(len(y)), y):
        model = ChurnModel(kind, schema=schema, random_state=random_state)
        started = time.perf_counter()
        model.fit([rows[i] for i in train], [int(v) for v in y[train]])
        seconds.append(time.perf_counter() - started)
        scores = model.predict_proba([rows[i] for i in test])
        aucs.append(float(roc_auc_score(y[test], scores)))
    return {
        "kind": kind,
        "folds": folds,
        "auc_mean": float(np.mean(aucs)),
        "auc_std": float(np.std(aucs)),
        "auc_folds": aucs,
        "fit_seconds_mean": float(np.mean(seconds)),
    }


def train_churn_model(
    rows: Sequence[RowLike],
    labels: Sequence[int | bool],
    *,
    kind: Kind = DEFAULT_KIND,
    folds: int = 5,
    schema: FeatureSchema | None = None,
    random_state: int = 0,
    clock: Clock | None = None,
) -> ChurnModel:
    """Train on the app's own customers (label: did they cancel?) and return a fitted model.

    When each class has at least ``folds`` customers, a stratified cross-validation runs first
    and its ROC-AUC is stored in ``model.metrics`` (and so in the saved metadata); the returned
    model is then fitted on every row.
    """
    y = _check_labels(rows, labels)
    schema = schema or infer_schema(rows)
    model = ChurnModel(kind, schema=schema, random_state=random_state, clock=clock)
    metrics: dict[str, Any] = {"n_rows": len(y), "positive_rate": float(y.mean())}
    if folds >= 2 and int(np.bincount(y).min()) >= folds:
        cv = cross_validate_auc(
            rows, labels, kind=kind, folds=folds, random_state=random_state, schema=schema
        )
        metrics.update({k: v for k, v in cv.items() if k != "kind"})
    model.fit(rows, [int(v) for v in y])
    model.metrics = metrics
    return model
