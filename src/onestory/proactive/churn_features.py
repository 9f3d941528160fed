"""Churn model inputs: the :class:`ChurnFeatures` of a OneStory customer and flat model rows.

The model takes flat rows (``{"tenure_days": 410, "plan": "pro", ...}``). OneStory's own
customers are described by :class:`ChurnFeatures`; any other data (a brand's export, the public
IBM Telco set used by the benchmark) can be passed as plain dict rows with arbitrary numeric and
categorical columns. Missing values are allowed everywhere: numbers become NaN here and are
imputed by the model with the training median plus a "was missing" indicator (not answering a
survey is itself a signal), categories get their own ``(missing)`` level, and categories never
seen in training are ignored.

This module owns the row shape: the standard fields, which columns are numeric or categorical
(:class:`FeatureSchema`, :func:`infer_schema`) and the conversion of rows into the object matrix
the estimators read (:func:`to_matrix`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field, fields
from typing import Any

import numpy as np
import numpy.typing as npt

from onestory.kit.errors import InvalidInput, field_error

MISSING = "(missing)"

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


def features_as_dict(features: ChurnFeatures) -> dict[str, Any]:
    """JSON-friendly form of a :class:`ChurnFeatures` (for APIs and audit rows)."""
    return asdict(features)
