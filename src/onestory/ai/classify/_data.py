"""Labelled examples and the two file formats they come in (JSONL and CSV)."""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from pathlib import Path

_TEXT_KEYS = ("text", "sentence", "utterance")
_LABEL_KEYS = ("label", "intent", "category")


@dataclass(frozen=True, slots=True)
class Example:
    """One training text with its label."""

    text: str
    label: str


def _pick(row: dict[str, object], keys: tuple[str, ...], path: Path, line: int) -> str:
    for key in keys:
        value = row.get(key)
        if isinstance(value, str) and value.strip():
            return value.strip()
    raise ValueError(f"{path}:{line}: needs one of the columns {', '.join(keys)}")


def load_examples(path: Path | str) -> list[Example]:
    """Read ``text,label`` examples from a ``.jsonl`` or ``.csv`` file.

    JSONL: one object per line with ``text`` and ``label`` (``intent``/``category`` accepted).
    CSV: a header row naming the same columns. Blank lines are skipped; a row without text or
    label raises ``ValueError`` naming the file and line.
    """
    path = Path(path)
    out: list[Example] = []
    if path.suffix.lower() in {".jsonl", ".ndjson", ".json"}:
        with path.open(encoding="utf-8") as fh:
            for number, line in enumerate(fh, start=1):
                if not line.strip():
                    continue
                try:
                    row = json.loads(line)
                except ValueError as exc:
                    raise ValueError(f"{path}:{number}: not JSON ({exc})") from exc
                if not isinstance(row, dict):
                    raise ValueError(f"{path}:{number}: expected a JSON object")
                out.append(
                    Example(
                        _pick(row, _TEXT_KEYS, path, number),
                        _pick(row, _LABEL_KEYS, path, number),
                    )
                )
        return out
    with path.open(encoding="utf-8", newline="") as fh:
        for number, csv_row in enumerate(csv.DictReader(fh), start=2):
            row = dict(csv_row)
            out.append(
                Example(_pick(row, _TEXT_KEYS, path, number), _pick(row, _LABEL_KEYS, path, number))
            )
    return out
