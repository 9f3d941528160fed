"""One clock: nothing in src/onestory reads the time except onestory.kit.clock."""

from __future__ import annotations

import ast
from pathlib import Path

import onestory

PACKAGE = Path(onestory.__file__).resolve().parent
CLOCK = PACKAGE / "kit" / "clock.py"

# Fully qualified names of the calls that read the system clock.
FORBIDDEN = {
    "time.time",
    "time.time_ns",
    "time.monotonic",
    "time.monotonic_ns",
    "datetime.datetime.now",
    "datetime.datetime.utcnow",
    "datetime.datetime.today",
    "datetime.date.today",
}


def _aliases(tree: ast.Module) -> dict[str, str]:
    """Local name -> fully qualified name, from the module's imports."""
    names: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname:
                    names[alias.asname] = alias.name
                else:
                    top = alias.name.split(".")[0]
                    names[top] = top
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            for alias in node.names:
                names[alias.asname or alias.name] = f"{node.module}.{alias.name}"
    return names


def _dotted(node: ast.expr) -> str | None:
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    parts.append(node.id)
    return ".".join(reversed(parts))


def clock_reads(path: Path, root: Path) -> list[str]:
    """``file:line name`` (relative to ``root``) for every call in ``path`` that reads the
    system clock."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    aliases = _aliases(tree)
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        dotted = _dotted(node.func)
        if dotted is None:
            continue
        head, _, rest = dotted.partition(".")
        qualified = aliases.get(head, head) + (f".{rest}" if rest else "")
        if qualified in FORBIDDEN:
            found.append(f"{path.relative_to(root)}:{node.lineno} {qualified}()")
    return found


def test_the_scanner_sees_every_spelling(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text(
        "import time\n"
        "import datetime as dt\n"
        "from datetime import date, datetime\n"
        "from time import monotonic as mono\n"
        "time.time()\n"
        "dt.datetime.now()\n"
        "datetime.utcnow()\n"
        "date.today()\n"
        "mono()\n"
        "time.sleep(0)\n"
        "datetime.fromisoformat('2026-01-01')\n"
    )
    assert clock_reads(sample, tmp_path) == [
        "sample.py:5 time.time()",
        "sample.py:6 datetime.datetime.now()",
        "sample.py:7 datetime.datetime.utcnow()",
        "sample.py:8 datetime.date.today()",
        "sample.py:9 time.monotonic()",
    ]


def test_only_kit_clock_reads_the_system_clock() -> None:
    offenders = [
        read
        for path in sorted(PACKAGE.rglob("*.py"))
        if path != CLOCK
        for read in clock_reads(path, PACKAGE.parent)
    ]
    assert not offenders, "read the time through onestory.kit.clock:\n" + "\n".join(offenders)
