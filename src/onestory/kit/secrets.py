"""Secrets generated once and kept in the data directory, so a fresh install is signed from the
first start without anyone inventing a key, and every process sharing ``data_dir`` agrees."""

from __future__ import annotations

import secrets
from pathlib import Path


def persisted_secret(data_dir: Path, name: str, *, nbytes: int = 32) -> str:
    """The secret stored in ``data_dir/name``, created (mode 0600) on first use.

    Two processes starting together both try an exclusive create; the loser reads the
    winner's file, so they never end up with different keys.
    """
    path = Path(data_dir) / name
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            with path.open("x") as fh:
                fh.write(secrets.token_urlsafe(nbytes))
            path.chmod(0o600)
        except FileExistsError:
            pass  # another process created it first; use theirs
    return path.read_text().strip()
