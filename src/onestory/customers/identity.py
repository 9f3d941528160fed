"""Identifier normalisation: every identifier becomes a ``kind:value`` key.

Strong identifiers (email, phone, external ids, social handles) identify a person and may merge
two customer records when they meet. Weak ones (device, cookie) only ever attach to a customer:
they never merge two known people.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import idna
import phonenumbers

from onestory.events.schemas import Identifiers

_EMAIL_RE = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,255}$")


class IdentifierError(ValueError):
    """An identifier that cannot be normalised; ``field`` names it for the problem response."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(reason)
        self.field = field
        self.reason = reason


# Identifier kinds that only attach to a customer, never merge two (see the module docstring).
WEAK_KINDS = frozenset({"device", "cookie"})


def is_strong_key(key: str) -> bool:
    """Whether a stored ``kind:value`` identity key is a strong identifier."""
    return key.partition(":")[0] not in WEAK_KINDS


@dataclass(frozen=True, slots=True)
class IdentityKey:
    kind: str
    value: str
    strong: bool

    @property
    def key(self) -> str:
        return f"{self.kind}:{self.value}"


@lru_cache(maxsize=65536)
def normalize_email(raw: str) -> str:
    """Lower-case the address and encode an internationalised domain as IDNA (punycode)."""
    value = raw.strip()
    if not _EMAIL_RE.match(value):
        raise IdentifierError("customer.email", "not an email address (expected local@domain)")
    local, _, domain = value.rpartition("@")
    domain = domain.rstrip(".").lower()
    if "." not in domain:
        raise IdentifierError("customer.email", "the domain needs a dot, e.g. example.com")
    try:
        ascii_domain = domain if domain.isascii() else idna.encode(domain, uts46=True).decode()
    except idna.IDNAError as exc:
        raise IdentifierError("customer.email", f"invalid domain: {exc}") from exc
    return f"{local.lower()}@{ascii_domain}"


@lru_cache(maxsize=65536)
def normalize_phone(raw: str, default_region: str = "GB") -> str:
    """Parse any written form of a phone number into E.164 (``+447700900123``)."""
    try:
        parsed = phonenumbers.parse(raw, default_region)
    except phonenumbers.NumberParseException as exc:
        raise IdentifierError("customer.phone", f"not a phone number: {exc}") from exc
    if not phonenumbers.is_possible_number(parsed) or not phonenumbers.is_valid_number(parsed):
        raise IdentifierError("customer.phone", "not a valid phone number for its country")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def _clean(value: str) -> str:
    return value.strip()


def identity_keys(ids: Identifiers, default_region: str = "GB") -> list[IdentityKey]:
    """All identity keys of an envelope's identifiers, strong first. Raises IdentifierError."""
    keys: list[IdentityKey] = []
    if ids.email:
        keys.append(IdentityKey("email", normalize_email(ids.email), True))
    if ids.phone:
        keys.append(IdentityKey("phone", normalize_phone(ids.phone, default_region), True))
    for system, ext in sorted(ids.external_ids.items()):
        keys.append(IdentityKey(f"ext.{system.strip().lower()}", _clean(ext), True))
    for network, handle in sorted(ids.social.items()):
        keys.append(
            IdentityKey(
                f"social.{network.strip().lower()}", _clean(handle).lstrip("@").lower(), True
            )
        )
    if ids.device_id:
        keys.append(IdentityKey("device", _clean(ids.device_id), False))
    if ids.cookie_id:
        keys.append(IdentityKey("cookie", _clean(ids.cookie_id), False))
    return keys


def search_keys(query: str, default_region: str = "GB") -> list[str]:
    """Identity keys a free-text customer search could mean (email, phone, raw external id)."""
    q = query.strip()
    keys: list[str] = []
    if "@" in q:
        try:
            keys.append("email:" + normalize_email(q))
        except IdentifierError:
            pass
    if sum(c.isdigit() for c in q) >= 6:
        try:
            keys.append("phone:" + normalize_phone(q, default_region))
        except IdentifierError:
            pass
    return keys
