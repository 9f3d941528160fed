"""`onestory playbooks simulate --since 30d` and `onestory churn train|score` on a store."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from onestory.cli.main import app
from onestory.config import Settings, get_settings
from tests.cases.conftest import NOON
from tests.conftest import Api, event
from tests.proactive.helpers import customer, ok, payment_failed, send

TELCO = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "telco_churn"


@pytest.fixture
def cli_env(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[CliRunner]:
    monkeypatch.setenv("ONESTORY_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("ONESTORY_DATA_DIR", str(settings.data_dir))
    get_settings.cache_clear()
    yield CliRunner()
    get_settings.cache_clear()


def test_simulate_reports_whom_each_playbook_would_contact(capi: Api, cli_env: CliRunner) -> None:
    a = customer(capi, "sim-a@example.com", preferred_channel="email", timezone="UTC")
    b = customer(capi, "sim-b@example.com", preferred_channel="sms", timezone="UTC")
    ok(
        capi.client.put(
            f"/v1/customers/{b}/consents",
            headers=capi.headers,
            json={"purpose": "proactive", "channel": "sms", "granted": True},
        )
    )
    send(capi, payment_failed("sim-a@example.com", "INV-1"))
    # A churn score above the threshold: churn-risk-save is shipped switched off.
    for email in ("sim-a@example.com", "sim-b@example.com"):
        send(
            capi,
            event(
                "churn.scored",
                email=email,
                channel=None,
                source="onestory-churn",
                when=NOON - timedelta(minutes=2),
                payload={"score": 0.91, "drivers": [], "model": "test"},
            ),
        )
    capi.drain()
    assert {s["kind"] for s in ok(capi.get("/v1/signals"))} == {"payment_failed", "churn_risk"}

    until = (NOON + timedelta(hours=1)).isoformat()
    r = cli_env.invoke(app, ["playbooks", "simulate", "--since", "30d", "--until", until, "--json"])
    assert r.exit_code == 0, r.output
    report = json.loads(r.output)
    churn = report["playbooks"]["churn-risk-save"]
    assert churn["enabled"] is False and churn["triggers"] == 2
    assert churn["would_contact"] == 1 and churn["suppressed"] == {"no_consent": 1}
    by_customer = {
        i["customer_id"]: i for i in report["items"] if i["playbook"] == "churn-risk-save"
    }
    assert by_customer[b]["would_contact"] and by_customer[b]["channel"] == "sms"
    assert "STAY20" in by_customer[b]["text"]
    assert by_customer[a]["reason"] == "no_consent"
    pay = report["playbooks"]["payment-failed-help"]
    assert pay["enabled"] is True and pay["would_contact"] == 1

    # Nothing was sent by the simulation: only the live payment message exists.
    sent = ok(capi.get("/v1/proactive/actions", params={"playbook": "churn-risk-save"}))
    assert sent == []

    text = cli_env.invoke(app, ["playbooks", "simulate", "--since", "30d", "--until", until])
    assert text.exit_code == 0 and "churn-risk-save (off)" in text.output

    listing = cli_env.invoke(app, ["playbooks", "list"])
    assert listing.exit_code == 0 and "off churn-risk-save v1" in listing.output
    assert cli_env.invoke(app, ["playbooks", "validate"]).exit_code == 0


def test_validate_rejects_a_broken_playbook(tmp_path: Path, cli_env: CliRunner) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: Bad Name\nversion: 0\nwhen: {signals: [nope]}\nactions: []\n")
    r = cli_env.invoke(app, ["playbooks", "validate", str(bad)])
    assert r.exit_code == 1
    assert "name" in r.output and "version" in r.output and "actions" in r.output


@pytest.mark.skipif(not TELCO.exists(), reason="shared Telco data not present")
def test_churn_train_on_telco_and_store_then_score(
    capi: Api, cli_env: CliRunner, tmp_path: Path
) -> None:
    customer(capi, "churn@example.com")
    capi.drain()
    lines = (TELCO / "Telco-Customer-Churn.csv").read_text(encoding="utf-8").splitlines()
    subset = tmp_path / "telco.csv"
    subset.write_text("\n".join(lines[:601]) + "\n", encoding="utf-8")
    r = cli_env.invoke(app, ["churn", "train", "--telco", str(subset), "--folds", "3"])
    assert r.exit_code == 0, r.output
    out = json.loads(r.output.strip().splitlines()[-1])
    assert out["rows"]["telco"] == 600 and out["rows"]["store"] >= 1
    assert Path(out["path"]).is_dir() and out["metrics"]
    r = cli_env.invoke(app, ["churn", "score"])
    assert r.exit_code == 0, r.output
    assert json.loads(r.output.strip().splitlines()[-1])["recorded"] >= 1
