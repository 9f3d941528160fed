"""Models and migrations in lockstep: a database built by the real migrations has exactly
the schema the ORM models describe, on SQLite and PostgreSQL, and ``migrations/env.py``
registers every table the code defines."""

from __future__ import annotations

import ast
import importlib
import json
import pkgutil
import subprocess
import sys
from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine

import onestory
from onestory.db.base import Base
from onestory.db.migrate import MIGRATIONS, upgrade

ENV_PY = MIGRATIONS / "env.py"


def env_model_imports() -> list[str]:
    """The ``onestory`` modules env.py imports (read from its source, not re-listed here)."""
    tree = ast.parse(ENV_PY.read_text())
    names: list[str] = []
    for node in tree.body:
        if isinstance(node, ast.Import):
            names += [a.name for a in node.names if a.name.startswith("onestory.")]
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("onestory."):
            names.append(node.module or "")
    return names


def import_all_onestory() -> None:
    for info in pkgutil.walk_packages(onestory.__path__, "onestory."):
        if not info.name.endswith("__main__"):
            importlib.import_module(info.name)


def full_metadata() -> Any:
    import_all_onestory()
    return Base.metadata


# Search indexes each dialect builds its own way, outside the ORM (migration 0001, rebuilt by
# 0007): SQLite's FTS5 virtual table ``events_fts`` with its shadow tables, PostgreSQL's GIN
# expression index on ``to_tsvector(events.text)``. No model can declare them on both
# dialects, and the search tests (tests/customers, tests/events) exercise them; only these
# exact reflected objects are skipped, so any other table or index the migrations add
# still shows up.
SEARCH_INDEX_TABLE_PREFIX = "events_fts"
SEARCH_INDEXES = {"ix_events_text_fts"}


def _include(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
    if not reflected or compare_to is not None:
        return True
    if type_ == "table":
        return name != "alembic_version" and not (name or "").startswith(SEARCH_INDEX_TABLE_PREFIX)
    if type_ == "index":
        return name not in SEARCH_INDEXES
    return True


def schema_differences(url: str) -> list[Any]:
    """Build a database with the real migrations and autogenerate-compare it to the models."""
    engine = create_engine(url)
    try:
        upgrade(engine)
        metadata = full_metadata()
        with engine.connect() as conn:
            # Configured like migrations/env.py, plus the filter above.
            context = MigrationContext.configure(
                conn,
                opts={
                    "compare_type": True,
                    "include_object": _include,
                    "render_as_batch": conn.dialect.name == "sqlite",
                },
            )
            return list(compare_metadata(context, metadata))
    finally:
        engine.dispose()


def test_migrated_schema_matches_models(database_url: str) -> None:
    # ``database_url`` (tests/conftest.py): a fresh SQLite file, and a throwaway PostgreSQL schema.
    diffs = schema_differences(database_url)
    assert not diffs, "migrations and models differ:\n" + "\n".join(repr(d) for d in diffs)


def test_env_py_registers_every_table() -> None:
    imports = env_model_imports()
    # A fresh interpreter: only what env.py imports is loaded, as when Alembic runs it.
    script = (
        "import json, sys\n"
        + "".join(f"import {m}\n" for m in imports)
        + "from onestory.db.base import Base\n"
        + "json.dump(sorted(Base.metadata.tables), sys.stdout)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    ).stdout
    registered = set(json.loads(out))
    defined = set(full_metadata().tables)
    assert defined - registered == set(), (
        f"tables defined under onestory but not registered by {ENV_PY}: "
        f"{sorted(defined - registered)} — import their models module in env.py"
    )
    assert registered == defined
