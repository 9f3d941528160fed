"""Build the pii_*.jsonl sets from their hand-written, marked-up .src.tsv files.

Each source line is ``region<TAB>lang<TAB>message`` where personal data is marked
``[[kind|text]]`` and ``\\n`` stands for a line break. The JSONL holds the plain message and the
gold spans as character offsets. Run: ``python bench/ai/extract_build_gold.py``.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

DATA = Path(__file__).resolve().parents[2] / "tests" / "ai" / "data"
MARK = re.compile(r"\[\[(\w+)\|(.*?)\]\]")
KINDS = {"email", "phone", "card", "iban", "national_id", "ip", "address", "person"}


def build(source: Path) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    for line in source.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        region, lang, marked = line.split("\t", 2)
        marked = marked.replace("\\n", "\n")
        text_parts: list[str] = []
        spans: list[dict[str, object]] = []
        pos = 0
        length = 0
        for m in MARK.finditer(marked):
            before = marked[pos : m.start()]
            text_parts.append(before)
            length += len(before)
            kind, value = m.group(1), m.group(2)
            if kind not in KINDS:
                raise ValueError(f"unknown kind {kind!r} in {line!r}")
            spans.append({"start": length, "end": length + len(value), "kind": kind})
            text_parts.append(value)
            length += len(value)
            pos = m.end()
        text_parts.append(marked[pos:])
        rows.append(
            {
                "id": f"pii-{len(rows) + 1:03d}",
                "region": region,
                "lang": lang,
                "text": "".join(text_parts),
                "spans": spans,
            }
        )
    return rows


def main() -> None:
    summary: dict[str, dict[str, int]] = {}
    for name in ("pii_gold", "pii_dev2", "pii_holdout", "pii_holdout2"):
        rows = build(DATA / f"{name}.src.tsv")
        with (DATA / f"{name}.jsonl").open("w", encoding="utf-8") as fh:
            for row in rows:
                fh.write(json.dumps(row, ensure_ascii=False) + "\n")
        spans = sum(len(r["spans"]) for r in rows if isinstance(r["spans"], list))
        summary[name] = {"messages": len(rows), "spans": spans}
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
