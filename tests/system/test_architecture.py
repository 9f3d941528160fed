"""The import graph of ``src/onestory``: no module cycle (TYPE_CHECKING and function-local
imports included), and the import-linter contracts in pyproject.toml catch a new upward
import."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LINT = Path(sys.executable).with_name("lint-imports")


def _cycles(imports: dict[str, list[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for start in sorted(imports):
        if start in index:
            continue
        work = [(start, iter(imports[start]))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(imports[child])))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


_GRAPH = (
    "import grimp, json\n"
    "g = grimp.build_graph('onestory', exclude_type_checking_imports=False, cache_dir=None)\n"
    "print(json.dumps({m: sorted(g.find_modules_directly_imported_by(m)) for m in g.modules}))"
)


def _imports(src: Path) -> dict[str, list[str]]:
    """Module -> the modules it imports, for the tree under ``src`` (in a fresh process, so a
    modified copy is read, not the package this process imported)."""
    done = subprocess.run(
        [sys.executable, "-c", _GRAPH],
        env={**os.environ, "PYTHONPATH": str(src)},
        cwd=src,
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    graph: dict[str, list[str]] = json.loads(done.stdout)
    return graph


def test_no_module_imports_itself_through_others() -> None:
    assert _cycles(_imports(ROOT / "src")) == []


def test_the_cycle_finder_finds_a_cycle(tmp_path: Path) -> None:
    copy = tmp_path / "src"
    shutil.copytree(ROOT / "src" / "onestory", copy / "onestory")
    (copy / "onestory" / "kit" / "ids.py").write_text(
        (ROOT / "src/onestory/kit/ids.py").read_text() + "\nimport onestory.kit.clock\n"
    )
    clock = copy / "onestory" / "kit" / "clock.py"
    clock.write_text(clock.read_text() + "\nimport onestory.kit.ids\n")
    assert ["onestory.kit.clock", "onestory.kit.ids"] in _cycles(_imports(copy))


def _lint(src: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(src)}
    return subprocess.run(
        [str(LINT), "--config", str(ROOT / "pyproject.toml"), "--no-cache"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_contracts_hold_and_an_upward_import_breaks_them(tmp_path: Path) -> None:
    kept = _lint(ROOT / "src")
    assert kept.returncode == 0, kept.stdout + kept.stderr
    copy = tmp_path / "src"
    shutil.copytree(ROOT / "src" / "onestory", copy / "onestory")
    # The foundation reaching up into a domain, as kit/gctune once read a domain's service.
    gctune = copy / "onestory" / "kit" / "gctune.py"
    gctune.write_text(gctune.read_text() + "\nimport onestory.enrich.engine\n")
    broken = _lint(copy)
    assert broken.returncode != 0
    assert "onestory.kit.gctune -> onestory.enrich.engine" in broken.stdout
