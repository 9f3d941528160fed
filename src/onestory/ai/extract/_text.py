"""Small text helpers shared by the extractors."""

from __future__ import annotations


def fold(text: str) -> str:
    """Lower-case ``text`` without changing its length, so match offsets stay valid.

    Case-sensitive patterns over folded text run many times faster than ``re.IGNORECASE``
    patterns (the regex engine can use literal prefixes again), which matters on every message.
    """
    low = text.lower()
    if len(low) == len(text):
        return low
    # A few characters ("İ") lower to two code points; keep the first so offsets line up.
    return "".join(ch.lower()[:1] or ch for ch in text)
