"""Time-sortable, prefixed identifiers (``evt_01J...``).

Ids are 26-character Crockford base32 strings (48-bit millisecond timestamp + 80 random bits,
the ULID layout) behind a short type prefix, so they sort by creation time, are safe in URLs
and tell a reader what they point at.
"""

from __future__ import annotations

import os
import time

_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def _encode(value: int, length: int) -> str:
    chars = []
    for _ in range(length):
        chars.append(_ALPHABET[value & 31])
        value >>= 5
    return "".join(reversed(chars))


def new_id(prefix: str, now_ms: int | None = None) -> str:
    """Return a new id such as ``evt_01JABCDEF...`` with the given prefix."""
    ms = int(time.time() * 1000) if now_ms is None else now_ms
    rand = int.from_bytes(os.urandom(10), "big")
    return f"{prefix}_{_encode(ms, 10)}{_encode(rand, 16)}"
