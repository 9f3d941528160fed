""" "Don't make me repeat myself": facts a customer already gave, pulled from their messages.

Only deterministic extraction (labelled references, addresses, contact details, the first
statement of the problem); each fact remembers the event it came from.
"""

from __future__ import annotations

import re
from typing import Any

from onestory.ai.extract.entities import find_references

_ADDRESS = re.compile(
    r"\b\d{1,5}[A-Za-z]?\s+(?:[A-Z][a-z]+\s){1,4}"
    r"(?:Street|St|Road|Rd|Avenue|Ave|Lane|Ln|Drive|Dr|Close|Way|Court|Ct|Place|Pl|Boulevard|"
    r"Blvd|Gardens|Terrace|Crescent)\b\.?(?:,\s*[A-Z][A-Za-z]+)?(?:,?\s*[A-Z]{1,2}\d[A-Z\d]?\s?"
    r"\d[A-Z]{2})?"
)
_EMAIL = re.compile(r"\b[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}\b")
_PHONE = re.compile(r"(?<![\w+])\+?\d[\d\s().-]{7,}\d\b")
MAX_PROBLEM_CHARS = 300
# Personal data is redacted at ingest; the placeholder still tells the next agent that the
# customer gave it (its value can be revealed through the audited reveal, if stored).
_PLACEHOLDERS = {
    "[ADDRESS]": "address",
    "[EMAIL]": "email",
    "[PHONE]": "phone",
    "[CARD]": "payment_card",
    "[IBAN]": "bank_account",
}


def capture(
    facts: dict[str, Any], text: str, *, event_id: str, intent: str | None = None
) -> dict[str, Any]:
    """Return ``facts`` updated with what ``text`` (a customer message) tells us."""
    out = dict(facts)
    if text.strip() and "problem" not in out:
        out["problem"] = {"text": text.strip()[:MAX_PROBLEM_CHARS], "event_id": event_id}
    if intent and "intent" not in out:
        out["intent"] = {"value": intent, "event_id": event_id}
    for ref in find_references(text):
        key = f"{ref.kind}_number" if ref.kind != "reference" else "reference"
        out[key] = {"value": ref.value, "event_id": event_id}
    for placeholder, name in _PLACEHOLDERS.items():
        if placeholder in text:
            out[name] = {"value": placeholder, "redacted": True, "event_id": event_id}
    if m := _ADDRESS.search(text):
        out["address"] = {"value": m.group(0).strip(), "event_id": event_id}
    if m := _EMAIL.search(text):
        out["email"] = {"value": m.group(0), "event_id": event_id}
    if m := _PHONE.search(text):
        out["phone"] = {"value": re.sub(r"[\s().-]", "", m.group(0)), "event_id": event_id}
    return out
