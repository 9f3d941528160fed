"""Language detection with the offline ``lingua-language-detector`` models.

The detector is restricted to the ~28 languages customer messages in Europe, the Americas,
the Middle East and Asia most often use (fewer candidates = fewer confusions on short text and
a faster detector) and is built lazily, once per process, on first use. Lingua's n-gram models
load on demand, so start-up stays cheap. Texts with too few letters to decide ("ok", "thx",
"👍") are labelled ``unknown`` instead of guessing.
"""

from __future__ import annotations

import threading
import unicodedata
from collections.abc import Sequence
from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as package_version
from typing import Any

from onestory.ai.protocols import Prediction

UNKNOWN = "unknown"
MODEL_NAME = "lingua"

#: ISO 639-1 codes of the languages the default detector chooses from.
DEFAULT_LANGUAGES: tuple[str, ...] = (
    "en", "de", "fr", "es", "it", "pt", "nl", "pl", "sv", "da", "nb", "fi", "cs", "ro",
    "hu", "el", "tr", "ru", "uk", "ar", "he", "hi", "zh", "ja", "ko", "id", "vi", "th",
)  # fmt: skip

# Detecting from the first few hundred characters is as accurate and bounds latency.
_MAX_CHARS = 600
_MIN_LETTERS = 4
_MIN_CONFIDENCE = 0.08


def _letter_weight(text: str) -> int:
    """Letters in ``text``; ideographs and syllables count double (one carries a word)."""
    weight = 0
    for ch in text:
        if ch.isalpha():
            name = unicodedata.name(ch, "")
            weight += 2 if name.startswith(("CJK", "HANGUL", "HIRAGANA", "KATAKANA")) else 1
    return weight


class LanguageDetector:
    """Implements :class:`~onestory.ai.protocols.TextClassifier`; labels are ISO 639-1 codes."""

    def __init__(self, languages: Sequence[str] = DEFAULT_LANGUAGES) -> None:
        self._codes = tuple(languages)
        self._detector: Any = None
        self._lock = threading.Lock()
        try:
            self._version = package_version("lingua-language-detector")
        except PackageNotFoundError:  # pragma: no cover - it is a core dependency
            self._version = "unknown"

    @property
    def name(self) -> str:
        return MODEL_NAME

    @property
    def version(self) -> str:
        return self._version

    def _build(self) -> Any:
        if self._detector is None:
            with self._lock:
                if self._detector is None:
                    from lingua import IsoCode639_1, LanguageDetectorBuilder

                    codes = [getattr(IsoCode639_1, code.upper()) for code in self._codes]
                    self._detector = LanguageDetectorBuilder.from_iso_codes_639_1(*codes).build()
        return self._detector

    def predict(self, texts: Sequence[str]) -> list[Prediction]:
        return [self._one(text) for text in texts]

    def _one(self, text: str) -> Prediction:
        snippet = text[:_MAX_CHARS]
        if _letter_weight(snippet) < _MIN_LETTERS:
            return self._result(UNKNOWN, 0.0, "too few letters to tell")
        values = self._build().compute_language_confidence_values(snippet)
        if not values or values[0].value < _MIN_CONFIDENCE:
            return self._result(UNKNOWN, 0.0, "no language stands out")
        top = values[0]
        code = top.language.iso_code_639_1.name.lower()
        scores = {v.language.iso_code_639_1.name.lower(): round(v.value, 4) for v in values[:5]}
        runner_up = (
            f"; next {values[1].language.iso_code_639_1.name.lower()}" if len(values) > 1 else ""
        )
        return self._result(code, top.value, f"character n-gram model{runner_up}", scores)

    def _result(
        self, label: str, confidence: float, why: str, scores: dict[str, float] | None = None
    ) -> Prediction:
        return Prediction(
            label=label,
            confidence=round(float(confidence), 4),
            explanation=why,
            model=self.name,
            model_version=self.version,
            scores=scores,
        )


_default: LanguageDetector | None = None


def default_language_detector() -> LanguageDetector:
    """The process-wide detector (cheap to call; the lingua models load on first use)."""
    global _default
    if _default is None:
        _default = LanguageDetector()
    return _default
