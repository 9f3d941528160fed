"""The small interfaces every AI model in OneStory sits behind.

A pipeline stage never talks to scikit-learn, sentence-transformers or an LLM endpoint
directly: it holds a :class:`TextClassifier`, an :class:`Embedder` or a :class:`Generator`.
The defaults are built from installed packages and work offline; tests pass in-memory fakes.
Every result carries the model name and version so each stored insight can say what made it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

import httpx
import numpy as np
from numpy.typing import NDArray

__all__ = [
    "Embedder",
    "GenerationError",
    "Generator",
    "OpenAICompatibleGenerator",
    "Prediction",
    "TextClassifier",
]


@dataclass(frozen=True, slots=True)
class Prediction:
    """One model decision about one text.

    ``label`` is the decision (``"unknown"`` when the model could not decide or failed,
    ``"out_of_scope"`` for an intent model that recognised nothing it knows). ``confidence``
    is in [0, 1]. ``explanation`` is a short human-readable reason (for the audit log and the
    agent desktop). ``scores`` optionally holds the score of every label the model knows.
    """

    label: str
    confidence: float
    explanation: str
    model: str
    model_version: str
    scores: dict[str, float] | None = None


@runtime_checkable
class TextClassifier(Protocol):
    """Assigns one label (with confidence and a reason) to each text.

    Implementations must return exactly one :class:`Prediction` per input text, in order.
    They may raise on internal failure; callers that must never fail wrap them in
    :class:`onestory.ai.classify.SafeClassifier`.
    """

    @property
    def name(self) -> str:
        """Stable model name, e.g. ``"onestory-intent-tfidf-lr"``."""
        ...

    @property
    def version(self) -> str:
        """Version of the trained artefact (or of the rule set for rule-based models)."""
        ...

    def predict(self, texts: Sequence[str]) -> list[Prediction]:
        """Classify each text."""
        ...


@runtime_checkable
class Embedder(Protocol):
    """Turns texts into fixed-size dense vectors (rows L2-normalised)."""

    @property
    def name(self) -> str:
        """Model name, e.g. ``"all-MiniLM-L6-v2"``."""
        ...

    @property
    def version(self) -> str:
        """Version of the weights (package version for packaged models)."""
        ...

    @property
    def dimension(self) -> int:
        """Length of each vector."""
        ...

    def encode(self, texts: Sequence[str]) -> NDArray[np.float32]:
        """Return an array of shape ``(len(texts), dimension)``."""
        ...


@runtime_checkable
class Generator(Protocol):
    """Generates text from a prompt (an optional LLM; never required by the default stack)."""

    @property
    def name(self) -> str:
        """Model name as the endpoint knows it."""
        ...

    @property
    def version(self) -> str:
        """Model version or deployment tag, as far as it is known."""
        ...

    def generate(
        self,
        prompt: str,
        *,
        system: str | None = None,
        max_tokens: int = 256,
        temperature: float = 0.0,
    ) -> str:
        """Return the completion for ``prompt``; raise :class:`GenerationError` on failure."""
        ...


class GenerationError(RuntimeError):
    """The generator could not produce an answer (network, HTTP status, malformed reply)."""


class OpenAICompatibleGenerator:
    """A :class:`Generator` for any server speaking the OpenAI chat-completions API.

    Works with vLLM, llama.cpp server, Ollama, LM Studio and hosted endpoints alike. It is
    only constructed when settings name an endpoint: nothing in the default stack calls it.
    Pass ``transport`` (an ``httpx.MockTransport`` in tests) to avoid a real network.
    """

    def __init__(
        self,
        base_url: str,
        model: str,
        *,
        api_key: str | None = None,
        timeout: float = 30.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._model = model
        self._url = base_url.rstrip("/") + "/chat/completions"
        self._client = httpx.Client(headers=headers, timeout=timeout, transport=transport)

    @property
    def name(self) -> str:
        return self._model

    @property
    def version(self) -> str:
        return self._model

    def generate(
        self,
        prompt: str,
        *,
        system: str | None = None,
        max_tokens: int = 256,
        temperature: float = 0.0,
    ) -> str:
        messages: list[dict[str, str]] = []
        if system:
            messages.append({"role": "system", "content": system})
        messages.append({"role": "user", "content": prompt})
        body: dict[str, Any] = {
            "model": self._model,
            "messages": messages,
            "max_tokens": max_tokens,
            "temperature": temperature,
        }
        try:
            response = self._client.post(self._url, json=body)
            response.raise_for_status()
            data = response.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise GenerationError(f"LLM endpoint {self._url} failed: {exc}") from exc
        try:
            content = data["choices"][0]["message"]["content"]
        except (KeyError, IndexError, TypeError) as exc:
            raise GenerationError(f"LLM endpoint {self._url} sent an unexpected reply") from exc
        if not isinstance(content, str):
            raise GenerationError(f"LLM endpoint {self._url} sent a non-text reply")
        return content

    def close(self) -> None:
        self._client.close()
