"""Promise extraction on hand-written agent messages (tests/ai/data/promises_*.tsv).

promises_gold and promises_dev2 are development sets the extractor was tuned on;
promises_holdout was written before dev2 and its first, blind score is recorded in the docs.

Run: ``python bench/ai/extract_promises.py [--errors]`` — prints one JSON document: detection
precision/recall (a predicted promise counts when the message holds a gold promise not yet
matched, in order), then accuracy of kind, who, due date and window on the matched ones.
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from onestory.ai.extract.promises import PromiseDraft, extract_promises

DATA = Path(__file__).resolve().parents[2] / "tests" / "ai" / "data"
NOW = __import__("datetime").datetime(2025, 3, 12, 15, 30, tzinfo=ZoneInfo("UTC"))
TZ = "Europe/London"


def load(name: str) -> list[tuple[str, list[dict[str, str | None]]]]:
    rows: list[tuple[str, list[dict[str, str | None]]]] = []
    for line in (DATA / f"{name}.tsv").read_text(encoding="utf-8").splitlines():
        if not line or line.startswith("#"):
            continue
        text, _, expected = line.partition("\t")
        gold: list[dict[str, str | None]] = []
        for item in filter(None, (e.strip() for e in expected.split(" ; "))):
            parts = item.split("/")
            gold.append(
                {
                    "kind": parts[0],
                    "who": parts[1],
                    "due": None if parts[2] == "-" else parts[2],
                    "window": parts[3] if len(parts) > 3 else None,
                }
            )
        rows.append((text, gold))
    return rows


def _window(p: PromiseDraft) -> str | None:
    if p.window_start is None or p.window_end is None:
        return None
    return f"{p.window_start:%H:%M}-{p.window_end:%H:%M}"


def evaluate(name: str, with_errors: bool) -> dict[str, Any]:
    rows = load(name)
    tp = fp = fn = 0
    kind_ok = who_ok = due_ok = due_n = window_ok = window_n = 0
    errors: list[dict[str, Any]] = []
    timings: list[float] = []
    for text, gold in rows:
        started = time.perf_counter()
        found = extract_promises(text, now=NOW, tz=TZ)
        timings.append((time.perf_counter() - started) * 1e3)
        matched = min(len(found), len(gold))
        tp += matched
        fp += len(found) - matched
        fn += len(gold) - matched
        for p, g in zip(found, gold, strict=False):
            kind_ok += p.kind == g["kind"]
            who_ok += p.who == g["who"]
            if g["due"] is not None:
                due_n += 1
                due_ok += p.due_by.date().isoformat() == g["due"]
            if g["window"] is not None:
                window_n += 1
                window_ok += _window(p) == g["window"]
        got = [f"{p.kind}/{p.who}/{p.due_by.date()}/{_window(p)}" for p in found]
        want = [f"{g['kind']}/{g['who']}/{g['due']}/{g['window']}" for g in gold]
        if len(got) != len(want) or any(
            a.split("/")[:2] != b.split("/")[:2] for a, b in zip(got, want, strict=False)
        ):
            errors.append({"text": text, "got": got, "want": want})
    out: dict[str, Any] = {
        "messages": len(rows),
        "gold_promises": tp + fn,
        "detection": {
            "precision": round(tp / (tp + fp), 3) if tp + fp else 1.0,
            "recall": round(tp / (tp + fn), 3) if tp + fn else 1.0,
            "false_positives": fp,
            "missed": fn,
        },
        "on_matched": {
            "kind_accuracy": round(kind_ok / tp, 3) if tp else None,
            "who_accuracy": round(who_ok / tp, 3) if tp else None,
            "due_date_accuracy": round(due_ok / due_n, 3) if due_n else None,
            "due_date_n": due_n,
            "window_accuracy": round(window_ok / window_n, 3) if window_n else None,
            "window_n": window_n,
        },
        "ms_per_message": {
            "mean": round(statistics.fmean(timings), 3),
            "max": round(max(timings), 3),
        },
    }
    if with_errors:
        out["errors"] = errors
    return out


def main() -> None:
    errors = "--errors" in sys.argv
    names = ("promises_gold", "promises_dev2", "promises_holdout")
    out = {name: evaluate(name, errors) for name in names}
    print(json.dumps(out, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
