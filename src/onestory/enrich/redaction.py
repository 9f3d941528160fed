"""Personal data never reaches the store in clear: the ingest payload filter.

Every text field of an incoming payload (see ``TEXT_FIELDS``) is scanned for personal data.
The stored payload holds the redacted text; ``payload["_redaction"]`` records, per field, the
kinds found and where their placeholders are, and — under the "encrypt" policy — the original
text encrypted with the deployment's key, which only an admin can reveal (audited).
"""

from __future__ import annotations

import base64
import logging
import os
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet, InvalidToken

from onestory.ai.extract import Redactor
from onestory.enrich.settings import AISettings
from onestory.events.types import TEXT_FIELDS

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
    """The ``payload_filter`` of the ingest path (``runtime.services["payload_filter"]``)."""

    def __init__(self, settings: AISettings, key: bytes | None) -> None:
        self.policy = settings.pii_policy
        self._redactor = Redactor(
            default_region=settings.default_region,
            policy=settings.pii_policy,
            key=key,
            min_confidence=settings.pii_min_confidence,
        )

    def __call__(self, event_type: str, payload: dict[str, Any]) -> dict[str, Any]:
        fields: dict[str, Any] = {}
        out = payload
        for name in TEXT_FIELDS:
            value = payload.get(name)
            if not isinstance(value, str) or not value:
                continue
            try:
                result = self._redactor.redact(value)
            except Exception as exc:  # keep the event; say that this field was not checked
                log.warning("personal-data scan failed on %s.%s: %s", event_type, name, exc)
                fields[name] = {"error": type(exc).__name__}
                continue
            if not result.changed:
                continue
            if out is payload:
                out = dict(payload)
            out[name] = result.text
            entry: dict[str, Any] = {
                "kinds": sorted({s.kind for s in result.spans}),
                "spans": [
                    {"kind": s.kind, "start": s.start, "end": s.end} for s in result.placeholders
                ],
            }
            if result.encrypted_original is not None:
                entry["encrypted"] = result.encrypted_original.decode("ascii")
            fields[name] = entry
        if fields:
            if out is payload:
                out = dict(payload)
            out[REDACTION_KEY] = {"policy": self.policy, "fields": fields}
        return out


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
