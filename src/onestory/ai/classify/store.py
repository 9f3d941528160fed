"""Versioned storage for trained models: one directory per version, one pointer to the active one.

Layout under the store directory (the app uses ``<data_dir>/models/<kind>``)::

    v1/model.joblib   v1/meta.json   v1/examples.jsonl (intents: the training set it was given)
    v2/model.joblib   v2/meta.json   v2/examples.jsonl
    active.json       {"version": "v2"}   (absent: the newest version is active)
    corrections.jsonl agent corrections merged into the next training run (intents only)

Model files are pickles: only load stores you wrote yourself (the data directory is trusted).
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import joblib

from onestory.ai import privacy
from onestory.ai.classify._data import Example, load_examples
from onestory.kit.clock import Clock, SystemClock

_VERSION = re.compile(r"^v(\d+)$")
LATEST = "latest"


class ModelNotFound(LookupError):
    """The store holds no model (or not the requested version)."""


@dataclass(frozen=True, slots=True)
class ModelVersion:
    """What the store knows about one saved version (the contents of ``meta.json``)."""

    version: str
    trained_at: str
    active: bool
    meta: dict[str, Any]


def _atomic_write(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=path.suffix)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


class ModelStore:
    """Saves model objects as numbered versions with JSON metadata; one version is active."""

    def __init__(self, directory: Path | str, *, clock: Clock | None = None) -> None:
        self.directory = Path(directory)
        # A store on disk is opened from many places (CLI, training, the app); the clock only
        # stamps metadata, so the system clock is the default and tests may pass their own.
        self._clock = clock or SystemClock()

    def _versions(self) -> list[int]:
        if not self.directory.is_dir():
            return []
        numbers = []
        for child in self.directory.iterdir():
            match = _VERSION.match(child.name)
            if match and (child / "meta.json").is_file() and (child / "model.joblib").is_file():
                numbers.append(int(match.group(1)))
        return sorted(numbers)

    def active_version(self) -> str | None:
        """The version :meth:`load` returns for ``"latest"``, or None when the store is empty."""
        versions = self._versions()
        if not versions:
            return None
        pointer = self.directory / "active.json"
        if pointer.is_file():
            try:
                chosen = json.loads(pointer.read_text(encoding="utf-8"))["version"]
            except (ValueError, KeyError, TypeError):
                chosen = None
            if isinstance(chosen, str) and (match := _VERSION.match(chosen)):
                if int(match.group(1)) in versions:
                    return chosen
        return f"v{versions[-1]}"

    def list(self) -> list[ModelVersion]:
        """All saved versions, oldest first."""
        active = self.active_version()
        out = []
        for number in self._versions():
            version = f"v{number}"
            meta = json.loads((self.directory / version / "meta.json").read_text("utf-8"))
            out.append(
                ModelVersion(
                    version=version,
                    trained_at=str(meta.get("trained_at", "")),
                    active=version == active,
                    meta=meta,
                )
            )
        return out

    def save(
        self,
        model: object,
        meta: dict[str, Any],
        *,
        activate: bool = True,
        files: dict[str, str] | None = None,
    ) -> ModelVersion:
        """Write ``model`` as the next version; make it active unless ``activate`` is False.

        ``files`` (name → text) are written into the version's directory before its
        ``meta.json``, so a listed version always has them.
        """
        self.directory.mkdir(parents=True, exist_ok=True)
        versions = self._versions()
        number = (versions[-1] + 1) if versions else 1
        version = f"v{number}"
        target = self.directory / version
        # A half-written directory from a crash is not listed (no meta.json): reuse its slot.
        target.mkdir(exist_ok=True)
        full_meta = {"trained_at": self._clock.now().isoformat(timespec="seconds"), **meta}
        full_meta["version"] = version
        if hasattr(model, "version"):
            try:
                model.version = version
            except AttributeError:
                pass
        for name, text in (files or {}).items():
            if Path(name).name != name or name in {"meta.json", "model.joblib"}:
                raise ValueError(f"not a plain extra file name: {name!r}")
            _atomic_write(target / name, text)
        joblib.dump(model, target / "model.joblib", compress=3)
        _atomic_write(target / "meta.json", json.dumps(full_meta, indent=2, sort_keys=True))
        if activate:
            self._set_active(version)
        elif versions and not (self.directory / "active.json").is_file():
            # Keep the previously newest version active when the new one is saved inactive.
            self._set_active(f"v{versions[-1]}")
        return ModelVersion(version, full_meta["trained_at"], activate, full_meta)

    def load(self, version: str = LATEST) -> Any:
        """Load a version (``"latest"`` = the active one). Raises :class:`ModelNotFound`."""
        chosen = self.active_version() if version == LATEST else version
        if chosen is None:
            raise ModelNotFound(f"no model saved in {self.directory}")
        path = self.directory / chosen / "model.joblib"
        if not _VERSION.match(chosen) or not path.is_file():
            raise ModelNotFound(f"no model version {chosen!r} in {self.directory}")
        model = joblib.load(path)
        if hasattr(model, "version"):
            model.version = chosen
        return model

    def rollback(self, version: str) -> ModelVersion:
        """Make an existing version the active one (undoable: roll forward the same way)."""
        for item in self.list():
            if item.version == version:
                self._set_active(version)
                return ModelVersion(item.version, item.trained_at, True, item.meta)
        raise ModelNotFound(f"no model version {version!r} in {self.directory}")

    def _set_active(self, version: str) -> None:
        _atomic_write(self.directory / "active.json", json.dumps({"version": version}))


EXAMPLES_FILE = "examples.jsonl"


def examples_jsonl(examples: Iterable[Example]) -> str:
    """Examples as JSONL text (one ``{"text", "label"}`` object per line)."""
    return "".join(
        json.dumps({"text": e.text, "label": e.label}, ensure_ascii=False) + "\n" for e in examples
    )


class IntentModelStore(ModelStore):
    """A :class:`ModelStore` for intent models that also keeps agents' corrections and, per
    version, the training set it was given (without the corrections), so a retrain keeps a
    brand's own data."""

    def training_examples(self, version: str = LATEST) -> list[Example] | None:
        """The examples ``version`` was trained on before corrections were merged, or None
        when the store is empty or the version was saved without them (older versions)."""
        chosen = self.active_version() if version == LATEST else version
        if chosen is None or not _VERSION.match(chosen):
            return None
        path = self.directory / chosen / EXAMPLES_FILE
        if not path.is_file():
            return None
        return load_examples(path)

    @property
    def corrections_path(self) -> Path:
        return self.directory / "corrections.jsonl"

    def add_correction(
        self, text: str, label: str, *, source: str | None = None, new_label: bool = False
    ) -> None:
        """Record that ``text`` should have been classified as ``label``.

        ``new_label``: ``label`` is a new intent added by someone allowed to manage the
        taxonomy; only such corrections may bring a label the model does not know.

        Corrections are appended (one JSON object per line) and merged into the next
        :func:`~onestory.ai.classify.intent.train_intent_model` run by the CLI and by
        :func:`~onestory.ai.classify.intent.retrain_with_corrections`.
        """
        text, label = text.strip(), label.strip()
        if not text or not label:
            raise ValueError("a correction needs a non-empty text and label")
        # The file outlives the message it came from: it must not hold personal data either.
        text = privacy.scrub_text(text)
        self.directory.mkdir(parents=True, exist_ok=True)
        row: dict[str, str] = {
            "text": text,
            "label": label,
            "added_at": self._clock.now().isoformat(timespec="seconds"),
        }
        if source:
            row["source"] = source
        if new_label:
            row["new_label"] = "true"
        with self.corrections_path.open("a", encoding="utf-8") as fh:
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")

    def corrections(self) -> list[Example]:
        """All recorded corrections, oldest first (malformed lines are skipped)."""
        if not self.corrections_path.is_file():
            return []
        out = []
        for line in self.corrections_path.read_text(encoding="utf-8").splitlines():
            try:
                row = json.loads(line)
                out.append(Example(str(row["text"]), str(row["label"])))
            except (ValueError, KeyError, TypeError):
                continue
        return out

    def accepted_corrections(self, known: set[str]) -> tuple[list[Example], int]:
        """The corrections a retrain may use: those naming a ``known`` label or a label
        recorded as a new intent; and how many others were left out."""
        if not self.corrections_path.is_file():
            return [], 0
        rows = []
        for line in self.corrections_path.read_text(encoding="utf-8").splitlines():
            try:
                row = json.loads(line)
                rows.append(
                    (Example(str(row["text"]), str(row["label"])), bool(row.get("new_label")))
                )
            except (ValueError, KeyError, TypeError, AttributeError):
                continue
        allowed = known | {e.label for e, new in rows if new}
        kept = [e for e, _new in rows if e.label in allowed]
        return kept, len(rows) - len(kept)


def merge_examples(base: Iterable[Example], corrections: Iterable[Example]) -> list[Example]:
    """Training set plus corrections; a correction replaces the label of an identical text."""
    fixes: dict[str, Example] = {}
    for example in corrections:
        fixes[example.text.strip().lower()] = example
    kept = [e for e in base if e.text.strip().lower() not in fixes]
    return kept + list(fixes.values())
