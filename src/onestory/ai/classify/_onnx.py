"""MiniLM on ONNX Runtime: the same vectors as sentence-transformers at about 1.6x less CPU.

The ONNX graph is exported once from the installed weights (torch and ``onnx`` are needed for
that step only), checked against torch on probe sentences, and kept in a cache directory;
later processes load the file with ONNX Runtime and never import torch. Tokenisation uses the
model's own ``tokenizer.json`` (the ``tokenizers`` package), pooling is the model's mean over
real tokens, and rows are L2-normalised — exactly what ``SentenceTransformer.encode`` does for
all-MiniLM-L6-v2.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import threading
import warnings
from collections.abc import Sequence
from importlib.util import find_spec
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

log = logging.getLogger(__name__)

_OPSET = 17
_PROBES = ("where is my parcel?", "I was charged twice and nobody answers my emails!!")
# Largest difference from torch's vectors that still counts as the same encoder.
_MAX_DRIFT = 1e-4
# Smallest cosine between float and 8-bit vectors of a probe that still counts as MiniLM.
_MIN_INT8_COSINE = 0.97


class OnnxUnavailable(RuntimeError):
    """ONNX Runtime cannot run this model (package missing, export failed, unsupported model)."""


def onnx_runtime_installed() -> bool:
    """True when ONNX Runtime and the tokenizer library are importable."""
    return find_spec("onnxruntime") is not None and find_spec("tokenizers") is not None


def _check_mean_pooling(model_dir: Path) -> None:
    # The runner re-implements the pooling; refuse models whose pooling is something else.
    config_path = model_dir / "1_Pooling" / "config.json"
    if not config_path.is_file():
        raise OnnxUnavailable(f"no pooling config under {model_dir}")
    config = json.loads(config_path.read_text("utf-8"))
    modes = {k: v for k, v in config.items() if k.startswith("pooling_mode_")}
    if not modes.get("pooling_mode_mean_tokens") or sum(bool(v) for v in modes.values()) != 1:
        raise OnnxUnavailable(f"only mean pooling is supported, the model has {modes}")
    if not (model_dir / "tokenizer.json").is_file():
        raise OnnxUnavailable(f"no tokenizer.json under {model_dir}")


def _weights_fingerprint(model_dir: Path) -> str:
    digest = hashlib.sha256(str(model_dir.resolve()).encode())
    for name in ("config.json", "model.safetensors", "pytorch_model.bin"):
        path = model_dir / name
        if path.is_file():
            stat = path.stat()
            digest.update(f"{name}:{stat.st_size}:{stat.st_mtime_ns}".encode())
    digest.update(f"opset{_OPSET}".encode())
    return digest.hexdigest()[:16]


def onnx_path_for(model_dir: Path, cache_dir: Path, *, int8: bool = False) -> Path:
    """Where the exported graph of the weights in ``model_dir`` lives in ``cache_dir``."""
    suffix = "-int8" if int8 else ""
    return cache_dir / f"minilm-{_weights_fingerprint(model_dir)}{suffix}.onnx"


def _temporary(target: Path) -> Path:
    target.parent.mkdir(parents=True, exist_ok=True)
    return target.with_name(f".{target.name}.{os.getpid()}.{threading.get_ident()}.tmp")


def quantize_onnx(model_dir: Path, source: Path, target: Path, max_seq_length: int) -> None:
    """8-bit weights (per output channel) with dynamically quantised activations.

    About 2.2x less CPU per sentence than the float graph on this kind of CPU; the vectors
    move a little (cosine to the float vectors ~0.99), so models must be trained on the
    quantised vectors themselves (the embedder has its own name for that reason). Checked on
    probe sentences before it is moved into place.
    """
    try:
        from onnxruntime.quantization import QuantType, quantize_dynamic
    except ImportError as exc:
        raise OnnxUnavailable("quantising needs onnxruntime and onnx (the [ml] extra)") from exc
    tmp = _temporary(target)
    try:
        quantize_dynamic(str(source), str(tmp), weight_type=QuantType.QInt8, per_channel=True)
        full = OnnxMiniLM(model_dir, source, threads=1, max_seq_length=max_seq_length)
        small = OnnxMiniLM(model_dir, tmp, threads=1, max_seq_length=max_seq_length)
        cosine = float((full.encode(list(_PROBES)) * small.encode(list(_PROBES))).sum(1).min())
        if cosine < _MIN_INT8_COSINE:
            raise OnnxUnavailable(f"quantised graph drifted too far (cosine {cosine:.3f})")
        os.replace(tmp, target)
        log.info("quantised MiniLM to 8 bits at %s (probe cosine %.4f)", target, cosine)
    finally:
        tmp.unlink(missing_ok=True)


def _torch_vectors(model: Any, batch: dict[str, Any]) -> NDArray[np.float32]:
    import torch

    with torch.inference_mode():
        hidden = model(**batch).last_hidden_state
    mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
    pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
    vectors = torch.nn.functional.normalize(pooled, dim=1)
    return np.asarray(vectors.numpy(), dtype=np.float32)


def export_onnx(model_dir: Path, target: Path, max_seq_length: int) -> None:
    """Export the transformer of ``model_dir`` to ``target`` and check it against torch.

    Written to a temporary file first and moved into place, so concurrent processes never
    read a half-written graph.
    """
    try:
        import torch
        from transformers import AutoModel, AutoTokenizer
    except ImportError as exc:
        raise OnnxUnavailable("exporting needs torch and transformers (the [ml] extra)") from exc
    if find_spec("onnx") is None:
        raise OnnxUnavailable("exporting needs the onnx package (the [ml] extra)")
    _check_mean_pooling(model_dir)

    class _Hidden(torch.nn.Module):
        def __init__(self, inner: Any) -> None:
            super().__init__()
            self.inner = inner

        def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any) -> Any:
            out = self.inner(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            )
            return out.last_hidden_state

    from transformers.utils import logging as transformers_logging

    # A one-off export, not a download to watch.
    transformers_logging.disable_progress_bar()  # type: ignore[no-untyped-call]
    tokenizer = AutoTokenizer.from_pretrained(str(model_dir), local_files_only=True)
    model = AutoModel.from_pretrained(str(model_dir), local_files_only=True).eval()
    batch = tokenizer(
        list(_PROBES),
        padding=True,
        truncation=True,
        max_length=max_seq_length,
        return_tensors="pt",
    )
    if "token_type_ids" not in batch:
        batch["token_type_ids"] = torch.zeros_like(batch["input_ids"])
    # Before the export: tracing leaves the module in a state whose outputs differ.
    expected = _torch_vectors(model, dict(batch))
    tmp = _temporary(target)
    axes = {0: "batch", 1: "tokens"}
    try:
        with warnings.catch_warnings():
            # The tracer's notes on constant-folded shape checks: the graph is checked below.
            warnings.simplefilter("ignore")
            torch.onnx.export(
                _Hidden(model),
                (batch["input_ids"], batch["attention_mask"], batch["token_type_ids"]),
                str(tmp),
                input_names=["input_ids", "attention_mask", "token_type_ids"],
                output_names=["hidden"],
                dynamic_axes={
                    "input_ids": axes,
                    "attention_mask": axes,
                    "token_type_ids": axes,
                    "hidden": axes,
                },
                opset_version=_OPSET,
                dynamo=False,
            )
        got = OnnxMiniLM(model_dir, tmp, threads=1, max_seq_length=max_seq_length).encode(
            list(_PROBES)
        )
        drift = float(np.abs(expected - got).max())
        if drift > _MAX_DRIFT:
            raise OnnxUnavailable(f"exported graph differs from torch by {drift:.2e}")
        os.replace(tmp, target)
        log.info("exported MiniLM to ONNX at %s (max difference from torch %.1e)", target, drift)
    finally:
        tmp.unlink(missing_ok=True)


class OnnxMiniLM:
    """Runs an exported MiniLM graph: tokenise, run in length-sorted batches, mean-pool."""

    def __init__(
        self, model_dir: Path, onnx_path: Path, *, threads: int | None, max_seq_length: int
    ) -> None:
        try:
            import onnxruntime as ort
            from tokenizers import Tokenizer
        except ImportError as exc:
            raise OnnxUnavailable("onnxruntime and tokenizers are needed (the [ml] extra)") from exc
        _check_mean_pooling(model_dir)
        tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
        # Batches are padded here, to their own longest text; the file may ask for fixed
        # padding, which would make every short message cost max_seq_length tokens.
        tokenizer.no_padding()
        tokenizer.enable_truncation(max_length=max_seq_length)
        self._tokenizer = tokenizer
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads or 0
        options.inter_op_num_threads = 1
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        self._session = ort.InferenceSession(
            str(onnx_path), options, providers=["CPUExecutionProvider"]
        )
        self._wants_types = any(i.name == "token_type_ids" for i in self._session.get_inputs())
        config = json.loads((model_dir / "config.json").read_text("utf-8"))
        self.dimension = int(config.get("hidden_size", 384))

    def encode(self, texts: Sequence[str], batch_size: int = 64) -> NDArray[np.float32]:
        encodings = self._tokenizer.encode_batch(list(texts))
        lengths = np.fromiter((len(e.ids) for e in encodings), dtype=np.int64, count=len(texts))
        # Length-sorted batches pad little (sentence-transformers sorts the same way).
        order = np.argsort(-lengths, kind="stable")
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for start in range(0, len(texts), batch_size):
            rows = order[start : start + batch_size]
            width = int(lengths[rows].max())
            ids = np.zeros((len(rows), width), dtype=np.int64)
            mask = np.zeros((len(rows), width), dtype=np.int64)
            for r, i in enumerate(rows):
                n = int(lengths[i])
                ids[r, :n] = encodings[i].ids
                mask[r, :n] = 1
            feeds = {"input_ids": ids, "attention_mask": mask}
            if self._wants_types:
                feeds["token_type_ids"] = np.zeros_like(ids)
            hidden = np.asarray(self._session.run(None, feeds)[0], dtype=np.float32)
            weights = mask[..., None].astype(np.float32)
            pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
            norms = np.linalg.norm(pooled, axis=1, keepdims=True)
            out[rows] = pooled / np.clip(norms, 1e-12, None)
        return out
