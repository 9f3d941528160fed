"""Churn explanations: the :class:`Driver` behind a score, how it is computed and worded.

For ``logreg`` drivers are exact: per feature, the sum of ``coefficient x (transformed value -
training mean)``, i.e. how far this customer's log-odds sits from an average customer's because
of that feature (for a linear model this is also its Shapley value).

For ``hgb`` and ``blend`` drivers are sampled Shapley values in log-odds space (Strumbelj and
Kononenko's permutation estimator with antithetic permutations) against a stored background
sample of training customers: per permutation the marginal contributions add up exactly to
``f(customer) - f(background customer)``, so the drivers always account for the gap between
this customer and the population, and they need no access to the trees' internals.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal, cast

import numpy as np
import numpy.typing as npt

from onestory.proactive.churn_features import (
    MISSING,
    FeatureSchema,
    FloatArray,
    ObjArray,
    Value,
)


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


def _logit(p: FloatArray) -> FloatArray:
    clipped = np.clip(p, 1e-9, 1 - 1e-9)
    return cast(FloatArray, np.log(clipped / (1 - clipped)))


def linear_contributions(
    pipeline: Any, mean_transformed: FloatArray, schema: FeatureSchema, x: ObjArray
) -> FloatArray:
    """Exact per-feature log-odds contributions of the one row in ``x`` for a fitted logreg."""
    columns = pipeline.named_steps["columns"]
    coef = np.asarray(pipeline.named_steps["classifier"].coef_[0], dtype=np.float64)
    delta = coef * (np.asarray(columns.transform(x)[0], dtype=np.float64) - mean_transformed)
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


def sampled_shapley(
    proba: Callable[[ObjArray], FloatArray],
    background: ObjArray,
    x: ObjArray,
    random_state: int,
    permutations: int = 64,
) -> FloatArray:
    """Sampled Shapley values of the row ``x`` against ``background``, in log-odds."""
    d = x.shape[0]
    rng = np.random.default_rng(random_state)
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
    logits = _logit(proba(batch)).reshape(len(orders), d + 1)
    steps = np.diff(logits, axis=1)
    out = np.zeros(d, dtype=np.float64)
    for p, perm in enumerate(orders):
        out[perm] += steps[p]
    return out / len(orders)


def drivers(
    schema: FeatureSchema,
    x: ObjArray,
    contributions: FloatArray,
    typical: Mapping[str, Value],
    top: int,
) -> list[Driver]:
    """The ``top`` strongest contributions of the one row in ``x`` as worded drivers."""
    order = np.argsort(-np.abs(contributions), kind="stable")
    found: list[Driver] = []
    for j in order[: max(top, 0)]:
        value = contributions[j]
        if abs(value) < 1e-9:  # the rest left this customer where the average sits
            break
        name = schema.columns[j]
        raw = x[0, j]
        shown: Value = None if raw == MISSING or _is_nan(raw) else raw
        found.append(
            Driver(
                feature=name,
                contribution=float(value),
                direction="raises" if value > 0 else "lowers",
                value=shown,
                text=describe(name, shown, typical.get(name)),
            )
        )
    return found


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
