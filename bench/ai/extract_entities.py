"""Entity extraction (references, money, dates) on a hand-written held-out set.

Run: ``python bench/ai/extract_entities.py [--errors]`` — prints one JSON document with
precision/recall per entity type. References match on (kind, value), money on (amount,
currency), dates on the last day of each mention in the customer's zone.
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from onestory.ai.extract.entities import extract_entities

DATA = Path(__file__).resolve().parents[2] / "tests" / "ai" / "data" / "entities_holdout.tsv"
NOW = datetime(2025, 3, 12, 15, 30, tzinfo=ZoneInfo("UTC"))
TZ = "Europe/London"


def _split(field: str) -> list[str]:
    return [x.strip() for x in field.split(";") if x.strip()]


def main() -> None:
    counts = {k: Counter[str]() for k in ("references", "money", "dates")}
    errors: list[dict[str, Any]] = []
    rows = 0
    for line in DATA.read_text(encoding="utf-8").splitlines():
        if not line or line.startswith("#"):
            continue
        rows += 1
        text, refs, money, dates = [*line.split("\t"), "", "", ""][:4]
        entities = extract_entities(text, now=NOW, tz=TZ)
        gold = {
            "references": Counter(_split(refs)),
            "money": Counter(
                f"{Decimal(a).normalize()}:{c}" for a, c in (m.split(":") for m in _split(money))
            ),
            "dates": Counter(_split(dates)),
        }
        found = {
            "references": Counter(f"{r.kind}:{r.value}" for r in entities.references),
            "money": Counter(f"{m.amount.normalize()}:{m.currency}" for m in entities.money),
            "dates": Counter(d.end_at.date().isoformat() for d in entities.dates),
        }
        for key in counts:
            tp = sum((gold[key] & found[key]).values())
            counts[key]["tp"] += tp
            counts[key]["gold"] += sum(gold[key].values())
            counts[key]["found"] += sum(found[key].values())
            if gold[key] != found[key]:
                errors.append(
                    {"text": text, key: {"gold": sorted(gold[key]), "found": sorted(found[key])}}
                )
    out: dict[str, Any] = {"messages": rows}
    for key, c in counts.items():
        out[key] = {
            "precision": round(c["tp"] / c["found"], 3) if c["found"] else 1.0,
            "recall": round(c["tp"] / c["gold"], 3) if c["gold"] else 1.0,
            "gold": c["gold"],
        }
    if "--errors" in sys.argv:
        out["errors"] = errors
    print(json.dumps(out, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
