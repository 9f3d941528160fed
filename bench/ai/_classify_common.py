"""Shared helpers for the classifier benchmarks: data paths, loaders, embedding cache, timing.

Data is read from ``--data`` (default: env ``ONESTORY_BENCH_DATA`` or ``../shared/data``
relative to the repository root); nothing is copied into the repository. MiniLM embeddings
are cached under ``--cache`` (default: ``$XDG_CACHE_HOME/onestory-bench``) so the comparisons
between configurations don't re-encode the same sentences.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import os
import platform
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parents[2]


def parser(description: str) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=description)
    default = os.environ.get("ONESTORY_BENCH_DATA") or str(REPO.parent / "shared" / "data")
    p.add_argument("--data", type=Path, default=Path(default), help="public data directory")
    cache = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "onestory-bench"
    p.add_argument("--cache", type=Path, default=cache, help="embedding cache directory")
    p.add_argument("--no-minilm", action="store_true", help="skip the MiniLM configurations")
    p.add_argument(
        "--minilm-int8", action="store_true", help="8-bit MiniLM on ONNX Runtime (ai.minilm_int8)"
    )
    return p


def machine() -> dict[str, Any]:
    return {
        "python": platform.python_version(),
        "cpu_count": os.cpu_count(),
        "processor": platform.processor() or platform.machine(),
    }


def emit(result: dict[str, Any]) -> None:
    result.setdefault("machine", machine())
    json.dump(result, sys.stdout, indent=2)
    sys.stdout.write("\n")


def load_banking77(data: Path, split: str) -> tuple[list[str], list[str]]:
    with (data / "banking77" / f"{split}.csv").open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    return [r["text"] for r in rows], [r["category"] for r in rows]


def load_goemotions(data: Path, split: str) -> tuple[list[str], list[list[str]]]:
    names = (data / "goemotions" / "labels.txt").read_text(encoding="utf-8").split()
    texts, labels = [], []
    for line in (data / "goemotions" / f"{split}.tsv").read_text(encoding="utf-8").splitlines():
        parts = line.split("\t")
        if len(parts) < 2:
            continue
        texts.append(parts[0])
        labels.append([names[int(i)] for i in parts[1].split(",")])
    return texts, labels


def load_tweeteval(data: Path, task: str, split: str) -> tuple[list[str], list[str]]:
    base = data / "tweeteval" / task
    mapping = {}
    for line in (base / "mapping.txt").read_text(encoding="utf-8").splitlines():
        idx, name = line.split("\t")
        mapping[idx.strip()] = name.strip()
    labels = [mapping[x.strip()] for x in (base / f"{split}_labels.txt").read_text().splitlines()]
    text_file = base / f"{split}_text.txt"
    texts = text_file.read_text(encoding="utf-8").splitlines() if text_file.exists() else []
    return texts, labels


def load_sst2(data: Path, split: str) -> tuple[list[str], list[str]]:
    texts, labels = [], []
    with (data / "sst2" / f"{split}.tsv").open(encoding="utf-8") as fh:
        next(fh)
        for line in fh:
            parts = line.rstrip("\n").split("\t")
            if len(parts) == 2:
                texts.append(parts[0].strip())
                labels.append("positive" if parts[1].strip() == "1" else "negative")
    return texts, labels


def minilm(cache: Path, *, int8: bool = False) -> Any:
    """A caching wrapper around MiniLMEmbedder, or None when the [ml] extra is missing."""
    from onestory.ai.classify.encoder import MiniLMEmbedder, minilm_available

    if not minilm_available():
        return None
    return CachedEmbedder(MiniLMEmbedder(int8=int8, cache_dir=cache / "encoders"), cache)


class CachedEmbedder:
    """Remembers every sentence's vector on disk, so overlapping data sets encode once."""

    def __init__(self, inner: Any, cache: Path) -> None:
        self.inner = inner
        self.name = inner.name
        self.version = inner.version
        self.dimension = inner.dimension
        self.path = cache / f"{self.name}-{self.version}-vectors.npz"
        self.rows: dict[str, np.ndarray] = {}
        if self.path.exists():
            stored = np.load(self.path)
            for key, vector in zip(stored["keys"], stored["vectors"], strict=True):
                self.rows[str(key)] = vector

    @staticmethod
    def key(text: str) -> str:
        return hashlib.sha256(text.encode()).hexdigest()[:32]

    def encode(self, texts: list[str]) -> np.ndarray:
        keys = [self.key(t) for t in texts]
        missing = sorted(
            {k: t for k, t in zip(keys, texts, strict=True) if k not in self.rows}.items()
        )
        if missing:
            vectors = self.inner.encode([t for _, t in missing])
            for (k, _), vector in zip(missing, vectors, strict=True):
                self.rows[k] = vector
            self.path.parent.mkdir(parents=True, exist_ok=True)
            np.savez(
                self.path,
                keys=np.array(list(self.rows)),
                vectors=np.stack(list(self.rows.values())),
            )
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        return np.stack([self.rows[k] for k in keys]).astype(np.float32)


class Timer:
    def __enter__(self) -> Timer:
        self.start = time.perf_counter()
        return self

    def __exit__(self, *exc: object) -> None:
        self.seconds = round(time.perf_counter() - self.start, 2)
