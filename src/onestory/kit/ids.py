"""Time-sortable, prefixed identifiers (``evt_01J...``).

Ids are 26-character Crockford base32 strings (48-bit millisecond timestamp + 80 random bits,
the ULID layout) behind a short type prefix, so they sort by creation time, are safe in URLs
and tell a reader what they point at.
"""

from __future__ import annotations

import os
import time

_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


# Two characters (10 bits) per lookup: ids are made for every event, customer and insight.
_PAIRS = [a + b for a in _ALPHABET for b in _ALPHABET]


def _encode(value: int, length: int) -> str:
    """``length`` (even) base32 characters of ``value``, most significant first."""
    return "".join(_PAIRS[(value >> shift) & 1023] for shift in range(5 * length - 10, -1, -10))


def new_id(prefix: str, now_ms: int | None = None) -> str:
    """Return a new id such as ``evt_01JABCDEF...`` with the given prefix."""
    ms = int(time.time() * 1000) if now_ms is None else now_ms
    rand = int.from_bytes(os.urandom(10), "big")
    return f"{prefix}_{_encode(ms, 10)}{_encode(rand, 16)}"
