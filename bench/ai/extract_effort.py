"""Effort signals on hand-written customer messages: effort_dev (tuned on) and effort_holdout
(written before the dev set and the tuning on it; its first run is recorded in docs).

Run: ``python bench/ai/extract_effort.py [--errors]`` — prints one JSON document with
message-level precision/recall per signal kind (a kind counts once per message) and the mean
effort score of messages with and without any gold signal.
"""

from __future__ import annotations

import json
import statistics
import sys
from collections import Counter
from pathlib import Path
from typing import Any

from onestory.ai.extract.effort import effort_score, message_effort

DATA = Path(__file__).resolve().parents[2] / "tests" / "ai" / "data"


def evaluate(name: str, with_errors: bool) -> dict[str, Any]:
    rows: list[tuple[str, set[str]]] = []
    for line in (DATA / f"{name}.tsv").read_text(encoding="utf-8").splitlines():
        if not line or line.startswith("#"):
            continue
        text, _, labels = line.partition("\t")
        rows.append((text, {k.strip() for k in labels.split(",") if k.strip()}))
    counts: dict[str, Counter[str]] = {}
    errors: list[dict[str, Any]] = []
    with_signal: list[float] = []
    without: list[float] = []
    for text, gold in rows:
        effort = message_effort(text)
        found = {s.kind for s in effort.signals}
        score = effort_score(effort).score
        (with_signal if gold else without).append(score)
        for kind in gold | found:
            c = counts.setdefault(kind, Counter())
            c["tp"] += kind in gold and kind in found
            c["fp"] += kind in found and kind not in gold
            c["fn"] += kind in gold and kind not in found
        if gold != found:
            errors.append({"text": text, "gold": sorted(gold), "found": sorted(found)})
    total: Counter[str] = Counter()
    per_kind: dict[str, Any] = {}
    for kind, c in sorted(counts.items()):
        total.update(c)
        per_kind[kind] = _prf(c)
    per_kind["all"] = _prf(total)
    out: dict[str, Any] = {
        "messages": len(rows),
        "per_kind": per_kind,
        "mean_score_with_gold_signal": round(statistics.fmean(with_signal), 3),
        "mean_score_without": round(statistics.fmean(without), 3),
        "exact_message_match": round(1 - len(errors) / len(rows), 3),
    }
    if with_errors:
        out["errors"] = errors
    return out


def main() -> None:
    errors = "--errors" in sys.argv
    out = {name: evaluate(name, errors) for name in ("effort_dev", "effort_holdout")}
    print(json.dumps(out, indent=2, ensure_ascii=False))


def _prf(c: Counter[str]) -> dict[str, Any]:
    p = c["tp"] / (c["tp"] + c["fp"]) if c["tp"] + c["fp"] else 1.0
    r = c["tp"] / (c["tp"] + c["fn"]) if c["tp"] + c["fn"] else 1.0
    return {"precision": round(p, 3), "recall": round(r, 3), "gold": c["tp"] + c["fn"]}


if __name__ == "__main__":
    main()
