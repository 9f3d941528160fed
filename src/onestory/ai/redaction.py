"""Personal data never reaches the store in clear: the ingest payload filter.

Every string of an event payload — the message text and any other field, nested ones too — is
scanned for personal data, except identifiers the system keys on (``*_id`` fields, email
``message_id``/``in_reply_to``/``references``). The stored payload holds the redacted text;
``payload["_redaction"]`` records, per field (a dotted path such as ``items.0.note`` for nested
ones), the kinds found and where their placeholders are, and — under the "encrypt" policy — the
original text encrypted with the deployment's key, which only an admin can reveal (audited).

The same object is the process's `onestory.ai.privacy` scrubber, so events OneStory records
itself and the free-text columns of other tables are scrubbed by the same rules.
"""

from __future__ import annotations

import base64
import logging
import os
import re
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet, InvalidToken

from onestory.ai.extract import Redactor
from onestory.ai.settings import AISettings

log = logging.getLogger(__name__)

REDACTION_KEY = "_redaction"


def load_or_create_key(settings: AISettings, data_dir: Path) -> bytes | None:
    """The Fernet key for the "encrypt" policy: from settings, else ``<data_dir>/pii.key``
    (created with mode 0600 on first use). None under the "redact" policy."""
    if settings.pii_policy != "encrypt":
        return None
    if settings.pii_key:
        return settings.pii_key.encode()
    path = data_dir / "pii.key"
    if path.is_file():
        return path.read_bytes().strip()
    data_dir.mkdir(parents=True, exist_ok=True)
    key = Fernet.generate_key()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(key)
    return key


class PayloadRedactor:
    """The ``payload_filter`` of the ingest path (``runtime.payload_filter``)."""

    def __init__(self, settings: AISettings, key: bytes | None) -> None:
        self.policy = settings.pii_policy
        self._redactor = Redactor(
            default_region=settings.default_region,
            policy=settings.pii_policy,
            key=key,
            min_confidence=settings.pii_min_confidence,
        )
        # Columns outside the events table have nowhere to keep a ciphertext: redact only.
        self._plain = Redactor(
            default_region=settings.default_region,
            min_confidence=settings.pii_min_confidence,
        )

    def text(self, value: str) -> str:
        """``value`` with personal data replaced by placeholders (no original is kept)."""
        try:
            return self._plain.redact(value).text
        except Exception as exc:  # never store what could not be checked
            log.warning("personal-data scan failed: %s", type(exc).__name__)
            return "[UNCHECKED]"

    def payload(self, event_type: str, payload: dict[str, Any]) -> dict[str, Any]:
        return self(event_type, payload)

    def __call__(self, event_type: str, payload: dict[str, Any]) -> dict[str, Any]:
        fields: dict[str, Any] = {}
        out: dict[str, Any] = self._walk(event_type, payload, "", fields)
        if fields:
            if out is payload:
                out = dict(payload)
            out[REDACTION_KEY] = {"policy": self.policy, "fields": fields}
        return out

    def _walk(self, event_type: str, value: Any, path: str, fields: dict[str, Any]) -> Any:
        """``value`` with its strings redacted; the same object when nothing changed (most
        payloads), so the common case copies nothing."""
        if isinstance(value, str):
            return self._field(event_type, value, path, fields)
        if isinstance(value, dict):
            out: dict[str, Any] | None = None
            for key, item in value.items():
                if not path and key == REDACTION_KEY:
                    continue
                if isinstance(item, str):
                    if (
                        len(item) < _MIN_LENGTH
                        or _is_word(item)
                        or (_is_identifier(key) and _looks_like_id(item))
                    ):
                        continue
                elif isinstance(item, list):
                    if _is_identifier(key) and all(_looks_like_id(x) for x in item):
                        continue
                elif not isinstance(item, dict):
                    continue
                new = self._walk(event_type, item, f"{path}.{key}" if path else key, fields)
                if new is not item:
                    if out is None:
                        out = dict(value)
                    out[key] = new
            return value if out is None else out
        if isinstance(value, list):
            items: list[Any] | None = None
            for i, item in enumerate(value):
                if isinstance(item, str) and (len(item) < _MIN_LENGTH or _is_word(item)):
                    continue
                if isinstance(item, dict | list | str):
                    new = self._walk(event_type, item, f"{path}.{i}", fields)
                    if new is not item:
                        if items is None:
                            items = list(value)
                        items[i] = new
            return value if items is None else items
        return value

    def _field(self, event_type: str, value: str, path: str, fields: dict[str, Any]) -> str:
        try:
            result = self._redactor.redact(value)
        except Exception as exc:  # keep the event; say that this field was not checked
            log.warning("personal-data scan failed on %s.%s: %s", event_type, path, exc)
            fields[path] = {"error": type(exc).__name__}
            return "[UNCHECKED]"
        if not result.changed:
            return value
        entry: dict[str, Any] = {
            "kinds": sorted({s.kind for s in result.spans}),
            "spans": [
                {"kind": s.kind, "start": s.start, "end": s.end} for s in result.placeholders
            ],
        }
        if result.encrypted_original is not None:
            entry["encrypted"] = result.encrypted_original.decode("ascii")
        fields[path] = entry
        return result.text


# Shorter than any personal data the detectors know ("a@b.io" is six characters).
_MIN_LENGTH = 6
# Keys the system looks records up by: OneStory and provider ids, email threading headers.
_IDENTIFIER_KEYS = frozenset({"id", "message_id", "in_reply_to", "references", "idempotency_key"})


def _is_identifier(key: str) -> bool:
    return key in _IDENTIFIER_KEYS or key.endswith(("_id", "_ids", "_key", "_sid"))


# One token without digits, "@" or a spelled-out "(at)": no detector can match it ("inbound",
# "DPD", "queued"), so the common enum-like payload values skip the scan.
_WORD = re.compile(r"[^\s\d@(\[{]+")


def _is_word(value: str) -> bool:
    return _WORD.fullmatch(value) is not None


def _looks_like_id(value: object) -> bool:
    """An identifier is one short token; text with spaces under an id key is still scanned."""
    return isinstance(value, str) and len(value) <= 300 and " " not in value


def public_payload(payload: dict[str, Any]) -> dict[str, Any]:
    """The payload as API readers see it: ciphertexts are never sent out."""
    red = payload.get(REDACTION_KEY)
    if not isinstance(red, dict):
        return payload
    fields = {
        name: {k: v for k, v in entry.items() if k != "encrypted"}
        for name, entry in (red.get("fields") or {}).items()
        if isinstance(entry, dict)
    }
    return {**payload, REDACTION_KEY: {**red, "fields": fields}}


def reveal(payload: dict[str, Any], key: bytes | None) -> dict[str, str]:
    """The original text of each redacted field (policy "encrypt" only)."""
    red = payload.get(REDACTION_KEY)
    if key is None or not isinstance(red, dict):
        return {}
    out: dict[str, str] = {}
    fernet = Fernet(key)
    for name, entry in (red.get("fields") or {}).items():
        token = entry.get("encrypted") if isinstance(entry, dict) else None
        if not token:
            continue
        try:
            out[name] = fernet.decrypt(token.encode("ascii")).decode("utf-8", "surrogatepass")
        except (InvalidToken, ValueError):
            out[name] = ""
    return out


def is_fernet_key(value: str) -> bool:
    try:
        return len(base64.urlsafe_b64decode(value.encode())) == 32
    except (ValueError, TypeError):
        return False
