"""Churn risk: a probability per customer that they will cancel, with the reasons why.

The model takes flat rows (``{"tenure_days": 410, "plan": "pro", ...}``). OneStory's own
customers are described by :class:`ChurnFeatures`; any other data (a brand's export, the public
IBM Telco set used by the benchmark) can be passed as plain dict rows with arbitrary numeric and
categorical columns. Missing values are allowed everywhere: numbers are imputed with the
training median plus a "was missing" indicator (not answering a survey is itself a signal),
categories get their own ``(missing)`` level, and categories never seen in training are ignored.

Three estimators sit behind one interface (``kind``):

* ``logreg`` — one-hot + standardised numbers + L2 logistic regression. Drivers are exact:
  per feature, the sum of ``coefficient x (transformed value - training mean)``, i.e. how far
  this customer's log-odds sits from an average customer's because of that feature (for a
  linear model this is also its Shapley value).
* ``hgb`` — histogram gradient boosting with native categorical splits.
* ``blend`` — the mean of both probabilities.

For ``hgb`` and ``blend`` drivers are sampled Shapley values in log-odds space (Strumbelj and
Kononenko's permutation estimator with antithetic permutations) against a stored background
sample of training customers: per permutation the marginal contributions add up exactly to
``f(customer) - f(background customer)``, so the drivers always account for the gap between
this customer and the population, and they need no access to the trees' internals.

Models are saved as a directory holding ``model.joblib`` (the fitted pipelines) and
``metadata.json`` (name, version, trained_at, schema, metrics). joblib files are pickles: only
load models you trained yourself.
"""

from __future__ import annotations

import csv
import json
import math
import time
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field, fields
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

MODEL_NAME = "onestory-churn"
MODEL_VERSION = "1.0.0"
MISSING = "(missing)"

Kind = Literal["logreg", "hgb", "blend"]
KINDS: tuple[Kind, ...] = ("logreg", "hgb", "blend")
# Chosen by bench/churn.py on the IBM Telco set (see docs/churn.md).
DEFAULT_KIND: Kind = "logreg"
Value = float | int | str | bool | None
Row = Mapping[str, Value]
FloatArray = npt.NDArray[np.float64]
ObjArray = npt.NDArray[np.object_]


@dataclass(slots=True)
class ChurnFeatures:
    """What OneStory knows about one customer, as inputs to the churn model.

    Every field is optional (``None`` = unknown); unknown values are imputed. Counts are over
    the window in the field name, ending at the moment the score is computed.
    """

    tenure_days: float | None = None
    """Days since the customer's first paid day."""
    plan: str | None = None
    """The brand's plan or tier name."""
    monthly_charges: float | None = None
    total_charges: float | None = None
    """Everything billed over the customer's lifetime."""
    payments_failed_90d: int | None = None
    payment_method: str | None = None
    """e.g. ``card``, ``direct_debit``, ``invoice``."""
    contract: str | None = None
    """e.g. ``monthly``, ``annual``, ``two_year``."""
    usage_trend: float | None = None
    """Daily usage over the last 30 days divided by daily usage over the 60 days before it;
    1.0 = unchanged, 0.5 = halved. ``None`` when there was no usage before."""
    app_errors_30d: int | None = None
    contacts_30d: int | None = None
    """Inbound contacts on any channel."""
    repeat_contacts_30d: int | None = None
    """Contacts about a topic the customer had already raised."""
    negative_sentiment_ratio: float | None = None
    """Share (0..1) of the customer's messages with negative sentiment."""
    broken_promises_90d: int | None = None
    nps_last: int | None = None
    """Last NPS answer, 0..10."""
    extra: dict[str, float | str] = field(default_factory=dict)
    """Brand-specific features; numbers are numeric features, strings categorical."""

    def to_row(self) -> dict[str, Value]:
        """Flatten into a model row; ``extra`` keys sit beside the standard fields."""
        row: dict[str, Value] = {
            f.name: getattr(self, f.name) for f in fields(self) if f.name != "extra"
        }
        for key, value in self.extra.items():
            if key in row:
                raise InvalidInput(
                    f"extra feature {key!r} clashes with a standard field",
                    errors=[field_error(f"extra.{key}", "reserved name")],
                )
            row[key] = value
        return row


CHURN_NUMERIC: tuple[str, ...] = (
    "tenure_days",
    "monthly_charges",
    "total_charges",
    "payments_failed_90d",
    "usage_trend",
    "app_errors_30d",
    "contacts_30d",
    "repeat_contacts_30d",
    "negative_sentiment_ratio",
    "broken_promises_90d",
    "nps_last",
)
CHURN_CATEGORICAL: tuple[str, ...] = ("plan", "payment_method", "contract")


@dataclass(frozen=True, slots=True)
class FeatureSchema:
    """Which columns the model reads, and how."""

    numeric: tuple[str, ...]
    categorical: tuple[str, ...]

    @property
    def columns(self) -> tuple[str, ...]:
        return self.numeric + self.categorical


@dataclass(frozen=True, slots=True)
class Driver:
    """One reason behind a customer's score.

    ``contribution`` is in log-odds relative to an average customer of the training
    population: positive raises the churn risk, negative lowers it.
    """

    feature: str
    contribution: float
    direction: Literal["raises", "lowers"]
    value: Value
    text: str


RowLike = ChurnFeatures | Row


def as_row(item: RowLike) -> Row:
    return item.to_row() if isinstance(item, ChurnFeatures) else item


def infer_schema(rows: Sequence[RowLike]) -> FeatureSchema:
    """Numeric columns are those whose known values are all numbers; the rest are categorical.

    ChurnFeatures' standard fields keep their declared type even when a sample has them all
    missing, so a model trained before a signal existed still accepts it later.
    """
    seen: dict[str, bool] = {}
    for item in rows:
        for key, value in as_row(item).items():
            if value is None or (isinstance(value, float) and math.isnan(value)):
                seen.setdefault(key, True)
                continue
            is_number = isinstance(value, int | float) and not isinstance(value, bool)
            seen[key] = seen.get(key, True) and is_number
    numeric = [k for k, num in seen.items() if num and k not in CHURN_CATEGORICAL]
    categorical = [k for k, num in seen.items() if not num or k in CHURN_CATEGORICAL]
    for name in CHURN_NUMERIC:
        if name in categorical:
            raise InvalidInput(
                f"feature {name!r} must be numeric",
                errors=[field_error(name, "not a number")],
            )
    return FeatureSchema(tuple(numeric), tuple(categorical))


def _number(value: Value) -> float:
    if value is None or (isinstance(value, str) and not value.strip()):
        return math.nan
    try:
        number = float(value)
    except (TypeError, ValueError):
        return math.nan
    # An infinite ratio (usage after zero usage, say) is as unknown as a missing one.
    return number if math.isfinite(number) else math.nan


def _category(value: Value) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return MISSING
    return str(value)


def to_matrix(rows: Sequence[RowLike], schema: FeatureSchema) -> ObjArray:
    """Rows → an object matrix: numeric columns first (NaN when missing), then categories."""
    matrix = np.empty((len(rows), len(schema.columns)), dtype=object)
    n_num = len(schema.numeric)
    for i, item in enumerate(rows):
        row = as_row(item)
        for j, name in enumerate(schema.numeric):
            matrix[i, j] = _number(row.get(name))
        for j, name in enumerate(schema.categorical):
            matrix[i, n_num + j] = _category(row.get(name))
    return matrix


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


def _logit(p: FloatArray) -> FloatArray:
    clipped = np.clip(p, 1e-9, 1 - 1e-9)
    return cast(FloatArray, np.log(clipped / (1 - clipped)))


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
            contributions = self._linear_contributions(x)
        else:
            contributions = self._sampled_shapley(x[0])
        order = np.argsort(-np.abs(contributions), kind="stable")
        drivers: list[Driver] = []
        for j in order[: max(top, 0)]:
            value = contributions[j]
            if abs(value) < 1e-9:  # the rest left this customer where the average sits
                break
            name = schema.columns[j]
            raw = x[0, j]
            shown: Value = None if raw == MISSING or _is_nan(raw) else raw
            drivers.append(
                Driver(
                    feature=name,
                    contribution=float(value),
                    direction="raises" if value > 0 else "lowers",
                    value=shown,
                    text=describe(name, shown, self._typical.get(name)),
                )
            )
        return drivers

    def _linear_contributions(self, x: ObjArray) -> FloatArray:
        schema = self.schema
        assert schema is not None
        assert self._mean_transformed is not None
        pipe = self._pipelines["logreg"]
        columns = pipe.named_steps["columns"]
        coef = np.asarray(pipe.named_steps["classifier"].coef_[0], dtype=np.float64)
        delta = coef * (
            np.asarray(columns.transform(x)[0], dtype=np.float64) - self._mean_transformed
        )
        out = np.zeros(len(schema.columns), dtype=np.float64)
        # Output layout: scaled numbers, their scaled logs, then missing indicators for the
        # numeric columns that had gaps in training, then each category's one-hot block.
        n_num = len(schema.numeric)
        num_block = delta[columns.output_indices_["num"]]
        out[:n_num] += num_block[:n_num] + num_block[n_num : 2 * n_num]
        imputer = columns.named_transformers_["num"].named_steps["impute"]
        if imputer.indicator_ is not None:
            for k, j in enumerate(imputer.indicator_.features_):
                out[int(j)] += num_block[2 * n_num + k]
        cat_block = delta[columns.output_indices_["cat"]]
        start = 0
        encoder = columns.named_transformers_["cat"]
        for j, levels in enumerate(getattr(encoder, "categories_", [])):
            out[n_num + j] = cat_block[start : start + len(levels)].sum()
            start += len(levels)
        return out

    def _sampled_shapley(self, x: ObjArray, permutations: int = 64) -> FloatArray:
        background = self._background
        assert background is not None
        d = x.shape[0]
        rng = np.random.default_rng(self.random_state)
        orders: list[npt.NDArray[np.int_]] = []
        for _ in range(permutations // 2):
            perm = rng.permutation(d)
            orders.extend((perm, perm[::-1]))
        bases = rng.integers(0, len(background), size=len(orders))
        # One batch: for each permutation, the background customer with x's values swapped in
        # one feature at a time; consecutive differences are the marginal contributions.
        batch = np.empty((len(orders) * (d + 1), d), dtype=object)
        for p, (perm, base) in enumerate(zip(orders, bases, strict=True)):
            current = background[base].copy()
            batch[p * (d + 1)] = current
            for k, j in enumerate(perm):
                current[j] = x[j]
                batch[p * (d + 1) + k + 1] = current
        logits = _logit(self._proba_matrix(batch)).reshape(len(orders), d + 1)
        steps = np.diff(logits, axis=1)
        out = np.zeros(d, dtype=np.float64)
        for p, perm in enumerate(orders):
            out[perm] += steps[p]
        return out / len(orders)

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


def _is_nan(value: object) -> bool:
    return isinstance(value, float) and math.isnan(value)


def _plural(n: float, one: str, many: str) -> str:
    count = round(n)
    return f"{count} {one if count == 1 else many}"


_TEXT: dict[str, Callable[[Any], str]] = {
    "tenure_days": lambda v: f"customer for {_plural(v, 'day', 'days')}",
    "monthly_charges": lambda v: f"monthly charges {v:.2f}",
    "total_charges": lambda v: f"lifetime charges {v:.2f}",
    "payments_failed_90d": lambda v: (
        f"{_plural(v, 'failed payment', 'failed payments')} in 90 days"
    ),
    "usage_trend": lambda v: (
        f"usage down {1 - v:.0%} on the previous 60 days"
        if v < 1
        else f"usage up {v - 1:.0%} on the previous 60 days"
    ),
    "app_errors_30d": lambda v: f"{_plural(v, 'app error', 'app errors')} in 30 days",
    "contacts_30d": lambda v: f"{_plural(v, 'contact', 'contacts')} in 30 days",
    "repeat_contacts_30d": lambda v: (
        f"{_plural(v, 'repeat contact', 'repeat contacts')} in 30 days"
    ),
    "negative_sentiment_ratio": lambda v: f"{v:.0%} of messages negative",
    "broken_promises_90d": lambda v: (
        f"{_plural(v, 'broken promise', 'broken promises')} in 90 days"
    ),
    "nps_last": lambda v: f"last NPS answer {v:g}",
    "plan": lambda v: f"on the {v} plan",
    "contract": lambda v: f"{v} contract",
    "payment_method": lambda v: f"pays by {v}",
    # IBM Telco columns, so benchmark explanations read well too.
    "tenure": lambda v: f"customer for {_plural(v, 'month', 'months')}",
    "MonthlyCharges": lambda v: f"monthly charges {v:.2f}",
    "TotalCharges": lambda v: f"lifetime charges {v:.2f}",
    "Contract": lambda v: f"contract: {v}",
    "PaymentMethod": lambda v: f"pays by {v}",
    "InternetService": lambda v: f"internet service: {v}",
}


def describe(feature: str, value: Value, typical: Value = None) -> str:
    """Human text for one driver, e.g. ``"2 failed payments in 90 days (typical 0)"``."""
    if value is None:
        return f"{feature.replace('_', ' ')} unknown"
    template = _TEXT.get(feature)
    if isinstance(value, str):
        return template(value) if template else f"{feature.replace('_', ' ')}: {value}"
    text = template(value) if template else f"{feature.replace('_', ' ')} {value:g}"
    if isinstance(typical, int | float) and not _is_nan(typical) and typical != value:
        text += f" (typical {typical:g})"
    return text


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


# --- IBM Telco customer churn ----------------------------------------------------------------

TELCO_NUMERIC = ("tenure", "MonthlyCharges", "TotalCharges")


@dataclass(slots=True)
class TelcoData:
    ids: list[str]
    rows: list[dict[str, Value]]
    labels: list[int]


def read_telco_csv(path: str | Path) -> TelcoData:
    """Read the IBM Telco churn CSV (or a directory holding it) as model rows.

    ``tenure`` (months) and the two charges are numeric (the 11 blank ``TotalCharges`` of
    brand-new customers become missing); every other column is categorical, including
    ``SeniorCitizen``; ``customerID`` is kept apart and ``Churn`` is the label.
    """
    source = Path(path)
    if source.is_dir():
        source = source / "Telco-Customer-Churn.csv"
    data = TelcoData([], [], [])
    with source.open(newline="", encoding="utf-8") as handle:
        for record in csv.DictReader(handle):
            data.ids.append(record.pop("customerID"))
            data.labels.append(1 if record.pop("Churn").strip() == "Yes" else 0)
            row: dict[str, Value] = {}
            for key, raw in record.items():
                text = raw.strip()
                if key in TELCO_NUMERIC:
                    row[key] = float(text) if text else None
                else:
                    row[key] = text or None
            data.rows.append(row)
    return data


_TELCO_FIELDS = {
    "tenure",
    "MonthlyCharges",
    "TotalCharges",
    "Contract",
    "PaymentMethod",
    "InternetService",
}


def telco_to_features(row: Row) -> ChurnFeatures:
    """Map a Telco row onto OneStory's schema; columns OneStory has no field for go to ``extra``.

    Telco has no contact, usage or sentiment history, so those fields stay unknown.
    """
    tenure = row.get("tenure")
    extra: dict[str, float | str] = {
        key: value
        for key, value in row.items()
        if key not in _TELCO_FIELDS
        and value is not None
        and isinstance(value, float | str)
        and not isinstance(value, bool)
    }
    monthly, total = row.get("MonthlyCharges"), row.get("TotalCharges")
    contract, method = row.get("Contract"), row.get("PaymentMethod")
    return ChurnFeatures(
        # Telco counts whole months; 30.44 days is the mean Gregorian month.
        tenure_days=float(tenure) * 30.44 if isinstance(tenure, int | float) else None,
        plan=str(row.get("InternetService")) if row.get("InternetService") else None,
        monthly_charges=float(monthly) if isinstance(monthly, int | float) else None,
        total_charges=float(total) if isinstance(total, int | float) else None,
        contract=str(contract) if contract else None,
        payment_method=str(method) if method else None,
        extra=extra,
    )


def features_as_dict(features: ChurnFeatures) -> dict[str, Any]:
    """JSON-friendly form of a :class:`ChurnFeatures` (for APIs and audit rows)."""
    return asdict(features)
