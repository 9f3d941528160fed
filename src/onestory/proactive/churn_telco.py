"""The public IBM Telco customer-churn set as churn model rows (used by the benchmark and CLI).

:func:`read_telco_csv` reads the CSV as plain rows with labels; :func:`telco_to_features` maps a
row onto OneStory's :class:`ChurnFeatures`, so a model trained on Telco can score our customers.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from onestory.proactive.churn_features import ChurnFeatures, Row, Value

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
