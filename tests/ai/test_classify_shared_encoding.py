"""One encode per batch shared by every model with embedding features (runs without torch)."""

from __future__ import annotations

import hashlib
import threading

import numpy as np

from onestory.ai.classify import (
    IntentTrainingConfig,
    MessageClassifier,
    ModelStore,
    starter_examples,
    train_and_save,
    train_sentiment_model,
)
from onestory.ai.classify.store import IntentModelStore
from onestory.ai.classify.suite import SharedEncoder


class CountingEmbedder:
    """A deterministic stand-in encoder (hashed bag of words) that counts the texts it sees."""

    name = "counting-test-encoder"
    version = "1"
    dimension = 32

    def __init__(self) -> None:
        self.calls: list[list[str]] = []
        self.threads: set[str] = set()

    def encode(self, texts):
        self.calls.append(list(texts))
        self.threads.add(threading.current_thread().name)
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in text.lower().split():
                out[row, hashlib.md5(word.encode()).digest()[0] % self.dimension] += 1.0
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.where(norms == 0, 1.0, norms)


def test_shared_encoder_encodes_each_distinct_text_once_and_forgets_the_oldest():
    inner = CountingEmbedder()
    shared = SharedEncoder(inner, capacity=3)
    first = shared.encode(["a b", "c", "a b"])
    assert inner.calls == [["a b", "c"]]
    np.testing.assert_array_equal(first[0], first[2])
    again = shared.encode(["c", "a b"])
    assert inner.calls == [["a b", "c"]]
    np.testing.assert_array_equal(again[1], first[0])
    shared.encode(["d", "e"])  # capacity 3: "c" (least recently used) is dropped
    shared.encode(["c"])
    assert inner.calls[-1] == ["c"]
    assert shared.encode([]).shape == (0, 32)
    assert (shared.name, shared.version, shared.dimension) == (inner.name, inner.version, 32)


def test_intent_and_sentiment_share_one_background_encode_per_batch(tmp_path):
    inner = CountingEmbedder()
    config = IntentTrainingConfig(holdout=0.0, embedding_weight=1.0)
    train_and_save(
        IntentModelStore(tmp_path / "intents"), starter_examples(), config, embedder=inner
    )
    texts = ["great service", "love it", "awful", "hate it", "my order is 5", "where is it"]
    labels = ["positive", "positive", "negative", "negative", "neutral", "neutral"]
    sentiment = train_sentiment_model(texts * 3, labels * 3, embedder=inner)
    ModelStore(tmp_path / "sentiment").save(sentiment, {"name": sentiment.name})

    classifier = MessageClassifier.from_models_dir(tmp_path, embedder=inner)
    assert classifier.encoder is not None
    inner.calls.clear()
    inner.threads.clear()
    batch = [
        "I love the new card, thanks!",
        "my parcel never arrived",
        "I love the new card, thanks!",
    ]
    results = classifier.classify(batch)
    assert len(inner.calls) == 1  # intent and sentiment read the same vectors
    assert sorted(inner.calls[0]) == sorted(set(batch))
    assert all(name.startswith("encode") for name in inner.threads)  # in the background
    assert results[0].sentiment.model == "onestory-sentiment-tfidf-lr"
    assert results[0].intent.label == results[2].intent.label
    assert results[1].intent.model.startswith("onestory-intent")


def test_no_background_encode_when_no_model_uses_the_encoder(tmp_path):
    inner = CountingEmbedder()
    classifier = MessageClassifier.from_models_dir(tmp_path, embedder=inner)
    # The starter intent model trained on first use has no embedding features.
    assert classifier.encoder is None
    classifier.classify(["where is my parcel?"])
    assert inner.calls == []


class BrokenEmbedder(CountingEmbedder):
    def __init__(self) -> None:
        super().__init__()
        self.broken = False

    def encode(self, texts):
        if self.broken:
            raise RuntimeError("encoder out of memory")
        return super().encode(texts)


def test_a_failing_background_encode_degrades_only_the_models_that_need_it(tmp_path, caplog):
    inner = BrokenEmbedder()
    config = IntentTrainingConfig(holdout=0.0, embedding_weight=1.0)
    train_and_save(
        IntentModelStore(tmp_path / "intents"), starter_examples(), config, embedder=inner
    )
    classifier = MessageClassifier.from_models_dir(tmp_path, embedder=inner)
    inner.broken = True
    result = classifier.classify_one("I was charged twice, this is awful")
    assert result.intent.label == "unknown"
    assert "encoder out of memory" in result.intent.explanation
    assert result.sentiment.label == "negative"  # the lexicon default does not need vectors
    assert result.language.label == "en"


def test_clear_forgets_the_remembered_vectors():
    inner = CountingEmbedder()
    shared = SharedEncoder(inner)
    shared.encode(["a"])
    shared.clear()
    shared.encode(["a"])
    assert inner.calls == [["a"], ["a"]]
