"""Intent model: starter taxonomy, out-of-scope, calibration, versioned store, corrections."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from onestory.ai.classify import (
    OUT_OF_SCOPE,
    Example,
    IntentModelStore,
    IntentTrainingConfig,
    ModelNotFound,
    load_examples,
    starter_examples,
    train_and_save,
    train_intent_model,
)
from onestory.ai.classify.intent import load_or_train_default
from onestory.ai.classify.store import merge_examples
from onestory.cli.intents import app

_SOME = {"refund_request", "delivery_status", "damaged_item", "greeting", OUT_OF_SCOPE}


@pytest.fixture(scope="module")
def model():
    return train_intent_model(starter_examples())


def test_starter_taxonomy_is_a_real_customer_service_set():
    examples = starter_examples()
    labels = {e.label for e in examples}
    assert len(labels - {OUT_OF_SCOPE}) >= 30
    assert {
        "billing_question",
        "refund_request",
        "delivery_status",
        "cancel_subscription",
    } <= labels
    for label in labels - {OUT_OF_SCOPE}:
        assert sum(e.label == label for e in examples) >= 13, label


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("hey where's my parcel, it's been a week", "delivery_status"),
        ("I want to cancel my subscription now!!", "cancel_subscription"),
        ("my card got declined when I tried to pay", "payment_failed"),
        ("I forgot my password and the reset email never comes", "password_reset"),
        ("Ich möchte mein Abo kündigen", "cancel_subscription"),
        ("Mon colis n'est toujours pas là", "delivery_status"),
        ("the app keeps crashing 😡😡", "technical_problem"),
        ("I was charged twice, please give me a refund", "refund_request"),
    ],
)
def test_realistic_messages(model, text, label):
    prediction = model.predict([text])[0]
    assert prediction.label == label, prediction
    assert prediction.explanation.startswith("words:")
    assert prediction.model == "onestory-intent-tfidf"


@pytest.mark.parametrize(
    "text",
    [
        "asdkjh qwelkj zxcmnb",
        "🙂🙂🙂",
        "What's the weather like in Rome on Sunday?",
        "Who won the tennis final last night?",
        "the quick brown fox jumps over the lazy dog",
    ],
)
def test_gibberish_and_off_topic_are_out_of_scope(model, text):
    assert model.predict([text])[0].label == OUT_OF_SCOPE


def test_confidence_is_a_probability_and_higher_on_clear_text(model):
    clear, vague = model.predict(["I want a refund for my order", "I have a question about it"])
    assert 0.0 <= vague.confidence <= 1.0
    assert 0.0 <= clear.confidence <= 1.0
    assert sum(clear.scores.values()) == pytest.approx(1.0, abs=0.01)
    assert clear.confidence > 0.6
    assert clear.scores["refund_request"] > max(vague.scores.values())


def test_empty_long_and_adversarial_text(model):
    long_text = "Where is my parcel? " + "blah " * 20_000
    preds = model.predict(["", "   ", long_text, "'; DROP TABLE intents; --", "\x00\x01"])
    assert preds[0].label == "unknown"
    assert preds[1].label == "unknown"
    assert preds[2].label == "delivery_status"
    assert preds[3].label in {OUT_OF_SCOPE, *model.labels}
    assert all(0.0 <= p.confidence <= 1.0 for p in preds)


def test_holdout_metrics_are_recorded(model):
    assert model.metrics["n_examples"] == len(starter_examples())
    assert 0.0 < model.metrics["holdout_accuracy"] <= 1.0
    assert 0.0 < model.metrics["oos_threshold"] < 1.0


def test_train_save_load_rollback(tmp_path):
    store = IntentModelStore(tmp_path / "intents")
    assert store.active_version() is None
    with pytest.raises(ModelNotFound):
        store.load()
    small = [e for e in starter_examples() if e.label in {"refund_request", "delivery_status"}]
    bigger = [e for e in starter_examples() if e.label in _SOME]
    config = IntentTrainingConfig(holdout=0.2)
    _first, v1 = train_and_save(store, small, config)
    second, v2 = train_and_save(store, bigger, config)
    assert (v1.version, v2.version) == ("v1", "v2")
    listed = store.list()
    assert [v.version for v in listed] == ["v1", "v2"]
    assert [v.active for v in listed] == [False, True]
    meta = json.loads((tmp_path / "intents" / "v2" / "meta.json").read_text())
    assert meta["n_examples"] == len(bigger)
    assert "holdout_accuracy" in meta["metrics"]
    assert meta["trained_at"]
    assert len(store.load().labels) == len(second.labels)
    assert store.load().version == "v2"

    store.rollback("v1")
    loaded = store.load()
    assert loaded.version == "v1"
    assert sorted(loaded.labels) == ["delivery_status", "refund_request"]
    assert loaded.predict(["where is my parcel"])[0].model_version == "v1"
    assert store.load("v2").version == "v2"
    with pytest.raises(ModelNotFound):
        store.rollback("v9")
    with pytest.raises(ModelNotFound):
        store.load("../../etc")


def test_corrections_are_merged_into_the_next_training(tmp_path):
    store = IntentModelStore(tmp_path)
    store.add_correction("my gizmo flux capacitor melted", "damaged_item", source="agent:42")
    store.add_correction("bonjour, ma commande?", "delivery_status")
    with pytest.raises(ValueError, match="non-empty"):
        store.add_correction("  ", "refund_request")
    assert [c.label for c in store.corrections()] == ["damaged_item", "delivery_status"]
    base = [e for e in starter_examples() if e.label in _SOME]
    model, version = train_and_save(store, base)
    assert version.meta["n_corrections"] == 2
    assert model.predict(["my gizmo flux capacitor melted"])[0].label == "damaged_item"

    merged = merge_examples(
        [Example("Hi", "greeting"), Example("hi", "greeting")], [Example("HI ", "complaint")]
    )
    assert merged == [Example("HI ", "complaint")]


def test_each_version_keeps_the_training_set_it_was_given(tmp_path):
    store = IntentModelStore(tmp_path)
    assert store.training_examples() is None
    store.add_correction("my gizmo flux capacitor melted", "damaged_item")
    base = [e for e in starter_examples() if e.label in _SOME] + [
        Example('ünïcode, "q"', "greeting")
    ]
    _model, version = train_and_save(store, base)
    # Corrections are merged at training time, never written into the version's training set.
    assert store.training_examples() == base
    assert store.training_examples(version.version) == base
    assert version.meta["n_base_examples"] == len(base)
    assert store.training_examples("v7") is None
    assert store.training_examples("../x") is None
    load_or_train_default(IntentModelStore(tmp_path / "fresh"))  # the shared starter copy
    assert IntentModelStore(tmp_path / "fresh").training_examples() is None
    with pytest.raises(ValueError, match="plain extra file"):
        store.save(object(), {}, files={"../escape.txt": "x"})
    with pytest.raises(ValueError, match="plain extra file"):
        store.save(object(), {}, files={"meta.json": "{}"})
    assert store.active_version() == version.version


def test_load_examples_jsonl_and_csv(tmp_path):
    jsonl = tmp_path / "x.jsonl"
    jsonl.write_text('{"text": "a b", "label": "x"}\n\n{"text": "c", "intent": "y"}\n')
    assert load_examples(jsonl) == [Example("a b", "x"), Example("c", "y")]
    csv_file = tmp_path / "x.csv"
    csv_file.write_text('text,category\n"hello, there",greeting\n')
    assert load_examples(csv_file) == [Example("hello, there", "greeting")]
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"text": "no label"}\n')
    with pytest.raises(ValueError, match=r"bad\.jsonl:1"):
        load_examples(bad)


def test_first_use_trains_the_starter_model(tmp_path):
    store = IntentModelStore(tmp_path)
    model = load_or_train_default(store)
    assert store.active_version() == "v1"
    assert model.predict(["please reset my password"])[0].label == "password_reset"


def test_cli_train_list_rollback_predict(tmp_path):
    runner = CliRunner()
    store = str(tmp_path / "store")
    data = tmp_path / "d.jsonl"
    data.write_text(
        "\n".join(
            json.dumps({"text": e.text, "label": e.label})
            for e in starter_examples()
            if e.label in {"refund_request", "delivery_status", "greeting"}
        )
    )
    result = runner.invoke(app, ["train", "--data", str(data), "--store", store])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["version"] == "v1"
    assert runner.invoke(app, ["train", "--data", str(data), "--store", store]).exit_code == 0
    listing = runner.invoke(app, ["list", "--store", store]).output
    assert "* " in listing
    assert "v2" in listing
    assert runner.invoke(app, ["rollback", "v1", "--store", store]).exit_code == 0
    assert runner.invoke(app, ["rollback", "v7", "--store", store]).exit_code == 1
    out = runner.invoke(app, ["predict", "where is my package?", "--store", store])
    assert out.exit_code == 0, out.output
    body = json.loads(out.output)
    assert body["label"] == "delivery_status"
    assert body["model"].endswith("@v1")
