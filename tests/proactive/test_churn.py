"""Churn-risk model on synthetic customers with a planted signal (fast, no shared data)."""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from onestory.kit.clock import FrozenClock
from onestory.kit.errors import InvalidInput
from onestory.proactive.churn_explain import describe
from onestory.proactive.churn_features import ChurnFeatures, FeatureSchema, Value, infer_schema
from onestory.proactive.churn_model import ChurnModel, Kind, train_churn_model
from onestory.proactive.churn_telco import read_telco_csv, telco_to_features

T = TypeVar("T")
Data = tuple[list[ChurnFeatures], list[int], list[ChurnFeatures], list[int]]
PLANS = ["basic", "plus", "pro"]
CONTRACTS = ["monthly", "annual", "two_year"]


def synthetic(n: int, seed: int) -> tuple[list[ChurnFeatures], list[int]]:
    """Churn driven by failed payments, a monthly contract, a usage drop and a brand extra
    ("region" north); everything else is noise. About 10 % of values are missing."""
    rng = np.random.default_rng(seed)
    rows: list[ChurnFeatures] = []
    labels: list[int] = []
    for _ in range(n):
        failed = int(rng.poisson(0.4))
        contract = CONTRACTS[int(rng.integers(0, 3))]
        trend = float(rng.uniform(0.2, 1.6))
        region = str(rng.choice(["north", "south", "east"]))
        logit = (
            -2.5
            + 1.6 * failed
            + 2.2 * (contract == "monthly")
            - 2.5 * (trend - 1.0)
            + 1.2 * (region == "north")
        )
        labels.append(int(rng.random() < 1 / (1 + math.exp(-logit))))

        def gap(value: T) -> T | None:
            return None if rng.random() < 0.1 else value

        rows.append(
            ChurnFeatures(
                tenure_days=gap(float(rng.integers(10, 2000))),
                plan=gap(PLANS[int(rng.integers(0, 3))]),
                monthly_charges=gap(float(rng.uniform(10, 120))),
                payments_failed_90d=failed,
                contract=contract,
                usage_trend=gap(trend),
                contacts_30d=gap(int(rng.poisson(1.0))),
                negative_sentiment_ratio=gap(float(rng.uniform(0, 1))),
                nps_last=None if rng.random() < 0.6 else int(rng.integers(0, 11)),
                extra={"region": region, "seats": float(rng.integers(1, 50))},
            )
        )
    return rows, labels


@pytest.fixture(scope="module")
def data() -> Data:
    train_rows, train_labels = synthetic(2000, seed=1)
    test_rows, test_labels = synthetic(1000, seed=2)
    return train_rows, train_labels, test_rows, test_labels


@pytest.fixture(scope="module")
def logreg(data: Data) -> ChurnModel:
    return ChurnModel("logreg").fit(data[0], data[1])


@pytest.fixture(scope="module")
def hgb(data: Data) -> ChurnModel:
    return ChurnModel("hgb").fit(data[0], data[1])


def average_customer(**changes: object) -> ChurnFeatures:
    base = ChurnFeatures(
        tenure_days=1000,
        plan="plus",
        monthly_charges=65,
        payments_failed_90d=0,
        contract="annual",
        usage_trend=0.9,
        contacts_30d=1,
        negative_sentiment_ratio=0.5,
        nps_last=7,
        extra={"region": "south", "seats": 25},
    )
    for key, value in changes.items():
        setattr(base, key, value)
    return base


@pytest.mark.parametrize("kind", ["logreg", "hgb", "blend"])
def test_held_out_auc_beats_point_eight(data: Data, kind: Kind) -> None:
    model = ChurnModel(kind).fit(data[0], data[1])
    scores = model.predict_proba(data[2])
    assert all(0.0 < s < 1.0 for s in scores)
    assert roc_auc_score(data[3], scores) > 0.8


@pytest.mark.parametrize("fixture", ["logreg", "hgb"])
def test_top_driver_is_the_planted_signal(fixture: str, request: pytest.FixtureRequest) -> None:
    model: ChurnModel = request.getfixturevalue(fixture)
    drivers = model.explain(average_customer(payments_failed_90d=4), top=3)
    assert drivers[0].feature == "payments_failed_90d"
    assert drivers[0].direction == "raises"
    assert drivers[0].contribution > 0
    assert drivers[0].text.startswith("4 failed payments in 90 days")
    assert len(drivers) <= 3
    # A long-contract customer whose usage grew: the risk-lowering drivers lead.
    safe = model.explain(average_customer(contract="two_year", usage_trend=1.6), top=2)
    assert {d.feature for d in safe} <= {"contract", "usage_trend", "region"}
    assert all(d.direction == "lowers" for d in safe)


def test_brand_extra_feature_is_used_and_explained(logreg: ChurnModel) -> None:
    assert logreg.schema is not None
    assert "region" in logreg.schema.categorical
    assert "seats" in logreg.schema.numeric
    north, south = logreg.predict_proba(
        [average_customer(extra={"region": "north", "seats": 25}), average_customer()]
    )
    assert north > south
    drivers = logreg.explain(average_customer(extra={"region": "north", "seats": 25}), top=1)
    assert drivers[0].feature == "region"
    assert drivers[0].text == "region: north"


def test_linear_drivers_add_up_to_the_log_odds_gap(logreg: ChurnModel) -> None:
    row = average_customer(payments_failed_90d=2, contract="monthly")
    drivers = logreg.explain(row, top=100)
    (p,) = logreg.predict_proba([row])
    pipe = logreg._pipelines["logreg"]
    mean = logreg._mean_transformed
    assert mean is not None
    clf = pipe.named_steps["classifier"]
    baseline = float(clf.intercept_[0] + clf.coef_[0] @ mean)
    total = sum(d.contribution for d in drivers)
    assert total == pytest.approx(math.log(p / (1 - p)) - baseline, abs=1e-6)


def test_sampled_shapley_is_deterministic(hgb: ChurnModel) -> None:
    row = average_customer(payments_failed_90d=3)
    assert hgb.explain(row) == hgb.explain(row)


def test_missing_values_and_unknown_categories(logreg: ChurnModel, hgb: ChurnModel) -> None:
    odd = ChurnFeatures(plan="enterprise-gold", contract="weekly", extra={"region": "mars"})
    empty = ChurnFeatures()
    for model in (logreg, hgb):
        scores = model.predict_proba(
            [odd, empty, {"tenure_days": None, "nonsense": 3, "usage_trend": math.inf}]
        )
        assert all(0.0 < s < 1.0 for s in scores)
        assert model.explain(empty)  # still explains a customer we know nothing about
    texts = [d.text for d in logreg.explain(empty, top=20)]
    assert "usage trend unknown" in texts


def test_feature_missing_from_all_training_rows_is_accepted() -> None:
    rows, labels = synthetic(300, seed=3)
    for row in rows:
        row.nps_last = None
    model = ChurnModel("logreg").fit(rows, labels)
    assert model.schema is not None
    assert "nps_last" in model.schema.numeric
    (score,) = model.predict_proba([average_customer(nps_last=0)])
    assert 0.0 < score < 1.0


def test_save_load_round_trip(tmp_path: Path, data: Data) -> None:
    clock = FrozenClock(datetime(2026, 11, 24, 12, 0, tzinfo=UTC))
    model = train_churn_model(data[0][:600], data[1][:600], kind="blend", folds=3, clock=clock)
    assert model.metrics["folds"] == 3
    assert 0.5 < model.metrics["auc_mean"] <= 1.0
    target = model.save(tmp_path / "churn")
    meta = json.loads((target / "metadata.json").read_text())
    assert meta["name"] == "onestory-churn"
    assert meta["kind"] == "blend"
    assert meta["version"] == ChurnModel.version
    assert meta["trained_at"] == "2026-11-24T12:00:00+00:00"
    assert meta["metrics"]["auc_mean"] == model.metrics["auc_mean"]

    loaded = ChurnModel.load(target)
    assert loaded.predict_proba(data[2][:200]) == model.predict_proba(data[2][:200])
    row = average_customer(payments_failed_90d=2)
    assert loaded.explain(row) == model.explain(row)
    assert loaded.trained_at == clock.now()
    assert loaded.model_id == f"onestory-churn/blend@{ChurnModel.version}"


def test_plain_dict_rows_and_schema_inference() -> None:
    rng = np.random.default_rng(0)
    calls = [float(c) for c in rng.poisson(2, size=400)]
    rows: list[dict[str, Value]] = [
        {"calls": c, "tier": str(rng.choice(["a", "b"]))} for c in calls
    ]
    labels = [int(c > 2) for c in calls]
    assert infer_schema(rows) == FeatureSchema(numeric=("calls",), categorical=("tier",))
    model = ChurnModel().fit(rows, labels)
    low, high = model.predict_proba([{"calls": 0, "tier": "a"}, {"calls": 6, "tier": "a"}])
    assert high > low
    assert model.explain({"calls": 6, "tier": "a"})[0].text == "calls 6 (typical 2)"


def test_bad_training_input_is_rejected() -> None:
    rows, _ = synthetic(20, seed=4)
    with pytest.raises(InvalidInput, match="both churned and retained"):
        ChurnModel().fit(rows, [0] * 20)
    with pytest.raises(InvalidInput, match="labels"):
        ChurnModel().fit(rows, [0, 1])
    with pytest.raises(InvalidInput, match="not trained"):
        ChurnModel().predict_proba(rows)
    with pytest.raises(InvalidInput, match="clashes"):
        ChurnFeatures(extra={"plan": "x"}).to_row()


def test_describe() -> None:
    assert describe("payments_failed_90d", 1.0, 0.0) == "1 failed payment in 90 days (typical 0)"
    assert describe("usage_trend", 0.4) == "usage down 60% on the previous 60 days"
    assert describe("contract", "monthly") == "monthly contract"
    assert describe("nps_last", None) == "nps last unknown"


def test_telco_adapter(tmp_path: Path) -> None:
    header = (
        "customerID,gender,SeniorCitizen,Partner,Dependents,tenure,PhoneService,MultipleLines,"
        "InternetService,OnlineSecurity,OnlineBackup,DeviceProtection,TechSupport,StreamingTV,"
        "StreamingMovies,Contract,PaperlessBilling,PaymentMethod,MonthlyCharges,TotalCharges,Churn"
    )
    lines = [
        header,
        "A-1,Female,0,Yes,No,1,No,No phone service,DSL,No,Yes,No,No,No,No,Month-to-month,Yes,"
        "Electronic check,29.85,29.85,Yes",
        "B-2,Male,1,No,No,0,Yes,No,Fiber optic,No,No,No,No,No,No,Two year,No,"
        "Mailed check,56.95, ,No",
    ]
    (tmp_path / "Telco-Customer-Churn.csv").write_text("\n".join(lines) + "\n")
    data = read_telco_csv(tmp_path)
    assert data.ids == ["A-1", "B-2"]
    assert data.labels == [1, 0]
    assert data.rows[0]["tenure"] == 1.0
    assert data.rows[1]["TotalCharges"] is None
    assert data.rows[1]["SeniorCitizen"] == "1"
    features = telco_to_features(data.rows[0])
    assert features.tenure_days == pytest.approx(30.44)
    assert features.contract == "Month-to-month"
    assert features.plan == "DSL"
    assert features.payment_method == "Electronic check"
    assert features.extra["TechSupport"] == "No"
    assert "Contract" not in features.extra
    assert telco_to_features(data.rows[1]).total_charges is None
