"""The one scrubber every free-text value passes before it is stored.

Events are scrubbed when they are prepared (``payload_filter``: every string of the payload,
nested ones too) and when OneStory records its own events (replies, notes, AI findings);
other tables declare their free-text columns with `onestory.db.private` types, which call
`scrub_text` / `scrub_json` on every write. Files that keep text (intent corrections) call
`scrub_text` too.

The composition root installs the deployment's scrubber (its region, confidence floor and
policy) with `install`; until then a default one — redaction with the built-in settings — is
used, so nothing is ever written in clear for want of configuration.
"""

from __future__ import annotations

import threading
from typing import Any, Protocol


class Scrubber(Protocol):
    """Removes personal data from text and from event payloads."""

    def text(self, value: str) -> str:
        """``value`` with personal data replaced by placeholders."""
        ...

    def payload(self, event_type: str, payload: dict[str, Any]) -> dict[str, Any]:
        """An event payload with every string scrubbed (and, under the "encrypt" policy, the
        originals kept encrypted in ``payload["_redaction"]``)."""
        ...


_lock = threading.Lock()
_current: Scrubber | None = None


def install(scrubber: Scrubber) -> None:
    """Make ``scrubber`` the one used by every store of this process."""
    global _current
    with _lock:
        _current = scrubber


def current() -> Scrubber:
    """The installed scrubber (or the default one, built on first use)."""
    global _current
    found = _current
    if found is not None:
        return found
    with _lock:
        if _current is None:
            # Imported on first use: the redaction engine pulls in the detectors.
            from onestory.ai.redaction import PayloadRedactor
            from onestory.ai.settings import AISettings

            _current = PayloadRedactor(AISettings(pii_policy="redact"), None)
        return _current


# Shorter than any kind of personal data the detectors know ("a@b.io" is six characters).
_MIN_LENGTH = 6


def scrub_text(value: str) -> str:
    """``value`` without personal data (short strings are returned as they are)."""
    if len(value) < _MIN_LENGTH:
        return value
    return current().text(value)


def scrub_json(value: Any) -> Any:
    """A JSON-like value with every string in it (keys excepted) scrubbed."""
    if isinstance(value, str):
        return scrub_text(value)
    if isinstance(value, dict):
        return {k: scrub_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [scrub_json(v) for v in value]
    return value
