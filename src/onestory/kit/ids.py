"""Time-sortable, prefixed identifiers (``evt_01J...``).

Ids are 26-character Crockford base32 strings (48-bit millisecond timestamp + 80 random bits,
the ULID layout) behind a short type prefix, so they sort by creation time, are safe in URLs
and tell a reader what they point at.
"""

from __future__ import annotations

import os

from onestory.kit.clock import epoch_ms

_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


# Two characters (10 bits) per lookup: ids are made for every event, customer and insight.
_PAIRS = [a + b for a in _ALPHABET for b in _ALPHABET]


def _encode(value: int, length: int) -> str:
    """``length`` (even) base32 characters of ``value``, most significant first."""
    return "".join([_PAIRS[(value >> shift) & 1023] for shift in range(5 * length - 10, -1, -10)])


def new_id(prefix: str, now_ms: int | None = None) -> str:
    """Return a new id such as ``evt_01JABCDEF...`` with the given prefix."""
    ms = epoch_ms() if now_ms is None else now_ms
    # 26 characters = 130 bits: the timestamp in the first 10, 80 random bits in the last 16.
    v = (ms << 80) | int.from_bytes(os.urandom(10), "big")
    p = _PAIRS
    return (
        f"{prefix}_{p[v >> 120 & 1023]}{p[v >> 110 & 1023]}{p[v >> 100 & 1023]}"
        f"{p[v >> 90 & 1023]}{p[v >> 80 & 1023]}{p[v >> 70 & 1023]}{p[v >> 60 & 1023]}"
        f"{p[v >> 50 & 1023]}{p[v >> 40 & 1023]}{p[v >> 30 & 1023]}{p[v >> 20 & 1023]}"
        f"{p[v >> 10 & 1023]}{p[v & 1023]}"
    )
