"""Personal-data detection and redaction for every ingested message and every log line.

`detect_pii(text)` finds spans of personal data; `redact(text)` replaces them with placeholders
such as ``[EMAIL]``. With the ``"encrypt"`` policy the original text is also kept, encrypted with
a Fernet key the caller owns, so an authorised reader can recover it while the stored text stays
redacted. `onestory.ai.extract.pii_logs` applies the same detection to log records.

Everything here is offline, pure and linear-time: no pattern can backtrack catastrophically, and
each detector is skipped when a cheap pre-check (an ``@``, enough digits, a capital letter) says
it cannot match. No function raises on any ``str`` input.
"""

from __future__ import annotations

import bisect
import functools
import logging
import re
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from ipaddress import ip_address
from typing import Literal, get_args

import phonenumbers
from cryptography.fernet import Fernet, InvalidToken
from phonenumbers import COUNTRY_CODE_TO_REGION_CODE, PhoneMetadata

from onestory.ai.extract._pii_ids import find_cards, find_ibans, find_national_ids
from onestory.ai.extract._pii_text import find_addresses, find_names

__all__ = [
    "PLACEHOLDERS",
    "PiiKind",
    "PiiSpan",
    "RedactionError",
    "RedactionPolicy",
    "RedactionResult",
    "Redactor",
    "decrypt_original",
    "detect_pii",
    "generate_key",
    "redact",
]

PiiKind = Literal["email", "phone", "card", "iban", "national_id", "ip", "address", "person"]
RedactionPolicy = Literal["redact", "encrypt"]

ALL_KINDS: frozenset[PiiKind] = frozenset(get_args(PiiKind))

PLACEHOLDERS: dict[PiiKind, str] = {
    "email": "[EMAIL]",
    "phone": "[PHONE]",
    "card": "[CARD]",
    "iban": "[IBAN]",
    "national_id": "[ID]",
    "ip": "[IP]",
    "address": "[ADDRESS]",
    "person": "[NAME]",
}

# When two detections overlap, the more specific (checksum-validated) kind wins.
_PRIORITY: dict[PiiKind, int] = {
    "email": 8,
    "iban": 7,
    "card": 6,
    "national_id": 5,
    "ip": 4,
    "phone": 3,
    "address": 2,
    "person": 1,
}


class RedactionError(Exception):
    """Raised only by `decrypt_original` when a token cannot be decrypted with the key."""


@dataclass(frozen=True, slots=True)
class PiiSpan:
    """A piece of personal data in a text: ``text[start:end]``."""

    start: int
    end: int
    kind: PiiKind
    confidence: float
    subtype: str | None = None  # card brand, IBAN country, "us_ssn", "uk_nino", ...

    def to_dict(self) -> dict[str, object]:
        return {
            "start": self.start,
            "end": self.end,
            "kind": self.kind,
            "confidence": round(self.confidence, 3),
            "subtype": self.subtype,
        }


@dataclass(frozen=True, slots=True)
class RedactionResult:
    """The redacted text, the spans found in the original, and (policy "encrypt") the original
    text encrypted with the caller's key. ``encrypted_original`` is None when nothing was found,
    since the stored text is then the original."""

    text: str
    spans: tuple[PiiSpan, ...] = ()
    policy: RedactionPolicy = "redact"
    encrypted_original: bytes | None = None
    # The same detections located in the *redacted* text (each covers its placeholder), for
    # highlighting a stored message whose original is gone.
    placeholders: tuple[PiiSpan, ...] = ()

    @property
    def changed(self) -> bool:
        return bool(self.spans)

    def to_dict(self) -> dict[str, object]:
        """What an insight row may store: kinds and positions in the redacted text only."""
        return {
            "policy": self.policy,
            "encrypted": self.encrypted_original is not None,
            "placeholders": [p.to_dict() for p in self.placeholders],
        }


# --- detectors -------------------------------------------------------------------------------

_EMAIL = re.compile(
    r"(?<![\w.%+\-])[\w.%+\-]{1,64}@[A-Za-z0-9\-]{1,63}(?:\.[A-Za-z0-9\-]{1,63}){1,8}"
)
# "john dot smith at gmail dot com", "anna(at)example(dot)org": written to dodge filters.
_SEP_DOT = r"(?:[ \t]?(?:\(dot\)|\[dot\]|\{dot\})[ \t]?|[ \t]dot[ \t]|\.)"
_SEP_AT = r"(?:[ \t]?(?:\(at\)|\[at\]|\{at\}|@)[ \t]?|[ \t]at[ \t])"
_OBFUSCATED_EMAIL = re.compile(
    rf"(?i)(?<![\w.])[a-z0-9_+\-]{{1,30}}(?:{_SEP_DOT}[a-z0-9_+\-]{{1,30}}){{0,3}}{_SEP_AT}"
    rf"[a-z0-9\-]{{1,40}}(?:{_SEP_DOT}[a-z0-9\-]{{1,20}}){{0,2}}{_SEP_DOT}"
    rf"(?:com|org|net|edu|gov|io|co|uk|de|fr|es|it|nl|be|ch|at|ie|eu|info|biz|me|us|ca|au)"
    r"(?![\w])"
)
_AT_SPLIT = re.compile(r"[ \t]?(?:\(at\)|\[at\]|\{at\}|@)[ \t]?|[ \t]at[ \t]")
_NOT_LOCAL = frozenset("i we you they he she it me us look was is am are be been were not".split())
_NOT_DOMAIN = frozenset(
    "the this that these those home work it my your our a an least all once first last times "
    "night noon school office church hand once".split()
)
# A run that could hold a phone number; phonenumbers then decides, on that slice only.
_PHONE_CANDIDATE = re.compile(r"(?<![\w+])(?:\+|00)?\(?\d[\d \u00a0\-.()/]{5,24}\d(?![\w])")
_PHONE_LABEL = re.compile(
    r"(?i:phone|tel|mobile|cell|call|ring|whatsapp|sms|text|number|handy|telefon|téléphone|"
    r"portable|teléfono|móvil|telefono|cellulare|nummer|numéro|número|reach me)"
)
_SLASH_PARTS = re.compile(r"[+(0-9][^/]*[0-9]")
# Digits right after these words are references, not phone numbers.
_REFERENCE_LABEL = re.compile(
    r"(?i:order|customer|account|invoice|ticket|case|tracking|reference|ref|member|contract|"
    r"serial|model|bestellung|kundennummer|vertragsnummer|rechnung|sendungsnummer|commande|"
    r"facture|colis|pedido|factura|ordine|fattura|bestelling|factuur)[\w.]{0,10}"
    r"(?:[ \t]{1,3}(?:no\.?|nr\.?|number|id|#|n°|nº))?[ \t:#]{0,3}$"
)
_DATE_LIKE = re.compile(
    r"\d{1,2}[./-]\d{1,2}[./-]\d{2,4}|(?:19|20)\d{2}[./-]\d{1,6}(?:[./-]\d{1,2})?"
)
_VERSION_LABEL = re.compile(r"(?i:version|firmware|release|build|v)[ \t:]{0,3}$")
_IPV4 = re.compile(
    r"(?<![\w.])(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)"
    r"(?![\w]|\.\d)"
)
_IPV6 = re.compile(r"(?<![\w:])(?:[0-9A-Fa-f]{0,4}:){2,7}[0-9A-Fa-f]{0,4}(?![\w:])")

# Phone matching by libphonenumber is the costliest detector; it only runs on candidates.
_MAX_PHONE_CANDIDATES = 2_000


def _emails(text: str) -> Iterable[PiiSpan]:
    if "@" not in text:
        return
    for m in _EMAIL.finditer(text):
        value = m.group()
        end = m.end()
        # Sentence punctuation or a hyphen is not part of the domain.
        while value[-1] in ".-":
            value = value[:-1]
            end -= 1
        tld = value.rsplit(".", 1)[-1]
        if not (2 <= len(tld) <= 24 and tld.isalpha()):
            continue
        local = value.split("@", 1)[0]
        if local.startswith(".") or local.endswith("."):
            continue
        yield PiiSpan(m.start(), end, "email", 0.98)


@functools.lru_cache(maxsize=4096)
def _simple_prefixes(region: str) -> tuple[str, ...] | None:
    """National prefixes a region's numbers may start with, when they are plain digits."""
    metadata = PhoneMetadata.metadata_for_region(region)
    if metadata is None:
        return None
    rule = metadata.national_prefix_for_parsing or metadata.national_prefix or ""
    if metadata.national_prefix_transform_rule:
        return None
    parts = tuple(p for p in rule.split("|") if p)
    if not all(p.isdigit() for p in parts):
        return None
    return parts


@functools.lru_cache(maxsize=8192)
def _valid_number(digits: str, international: bool, region: str) -> bool:
    """Whether a digit string is a valid phone number, without libphonenumber's slow parser.

    Country codes are prefix-free, so the first 1-3 digits that name a country are the code.
    Regions whose national prefix is a pattern rather than digits fall back to the parser.
    Results are cached: the same numbers (an agent's signature, a customer's mobile) recur.
    """
    if international:
        for size in (1, 2, 3):
            code = int(digits[:size])
            if code in COUNTRY_CODE_TO_REGION_CODE:
                national = digits[size:]
                break
        else:
            return False
    else:
        prefixes = _simple_prefixes(region)
        code = phonenumbers.country_code_for_region(region)
        if prefixes is None or code == 0:
            try:
                return bool(phonenumbers.is_valid_number(phonenumbers.parse(digits, region)))
            except phonenumbers.NumberParseException:
                return False
        national = digits
        for prefix in sorted(prefixes, key=len, reverse=True):
            if digits.startswith(prefix):
                national = digits[len(prefix) :]
                break
    if not 4 <= len(national) <= 15:
        return False
    number = phonenumbers.PhoneNumber(country_code=code, national_number=int(national))
    zeros = len(national) - len(national.lstrip("0"))
    if zeros:
        number.italian_leading_zero = True
        if zeros > 1:
            number.number_of_leading_zeros = zeros
    return bool(phonenumbers.is_valid_number(number))


def _obfuscated_emails(text: str, lower: str) -> Iterable[PiiSpan]:
    if not any(mark in lower for mark in (" dot ", "(dot)", "[dot]", "{dot}", "(at)", "[at]")):
        return
    for m in _OBFUSCATED_EMAIL.finditer(text):
        value = m.group().lower()
        # Plain "@" with plain dots is a normal address, found by the main detector.
        if "@" in value and " dot " not in value and "(dot)" not in value:
            continue
        # "look at this dot net", "I was at home dot com": English, not an address.
        parts = _AT_SPLIT.split(value, maxsplit=1)
        local, domain = parts[0], parts[-1]
        local_last = re.split(r"[\s.()\[\]{}]+", local.strip())[-1]
        domain_first = re.split(r"[\s.()\[\]{}]+", domain.strip())[0]
        if local_last in _NOT_LOCAL or domain_first in _NOT_DOMAIN:
            continue
        yield PiiSpan(m.start(), m.end(), "email", 0.85, "obfuscated")


def _phones(text: str, region: str) -> Iterable[PiiSpan]:
    for n, m in enumerate(_PHONE_CANDIDATE.finditer(text)):
        if n >= _MAX_PHONE_CANDIDATES:
            return
        # "020 7946 0958 / 07700 900123" is two numbers in one run.
        for part in _SLASH_PARTS.finditer(m.group()):
            chunk = part.group()
            digits = "".join(ch for ch in chunk if ch.isdigit())
            if not 7 <= len(digits) <= 17:
                continue
            stripped = chunk.lstrip("(")
            international = stripped.startswith(("+", "00"))
            if international and stripped.startswith("00"):
                digits = digits[2:]
            start = m.start() + part.start()
            if not international and _DATE_LIKE.fullmatch(chunk.strip()):
                continue
            context = text[max(0, start - 40) : start]
            if _REFERENCE_LABEL.search(context):
                continue
            labelled = _PHONE_LABEL.search(context) is not None
            if _valid_number(digits, international, region):
                confidence = 0.9 if (international or labelled) else 0.8
            elif _looks_like_phone(chunk, digits, international, labelled):
                # Unallocated, fictional ("+44 7700 900123") or foreign numbers are still
                # someone's contact detail as far as the writer meant it.
                confidence = 0.7 if (international or labelled) else 0.6
            else:
                continue
            yield PiiSpan(start, m.start() + part.end(), "phone", confidence)


# How people write a number they mean as a phone number: a trunk "0" and groups
# ("07700 900123", "0176 12345678"), or North American groups ("(555) 010-4477").
_TRUNK_GROUPED = re.compile(r"\(?0\d{1,5}\)?[ \u00a0\-./]\d[\d \u00a0\-./]*")
_NANP_GROUPED = re.compile(r"\(?\d{3}\)?[ \u00a0\-.]?\d{3}[\u00a0\-. ]\d{4}")


def _looks_like_phone(chunk: str, digits: str, international: bool, labelled: bool) -> bool:
    """A number libphonenumber rejects that is written the way phone numbers are written."""
    if international:
        for size in (1, 2, 3):
            if int(digits[:size]) in COUNTRY_CODE_TO_REGION_CODE:
                return 6 <= len(digits) - size <= 13
        return False
    if labelled:
        return 7 <= len(digits) <= 13
    stripped = chunk.strip()
    if 10 <= len(digits) <= 12 and _TRUNK_GROUPED.fullmatch(stripped):
        return True
    return len(digits) == 10 and _NANP_GROUPED.fullmatch(stripped) is not None


def _ips(text: str) -> Iterable[PiiSpan]:
    if "." in text:
        for m in _IPV4.finditer(text):
            # "1.2.3.4" looks like a version number; real addresses rarely have all parts < 10.
            if _VERSION_LABEL.search(text[max(0, m.start() - 12) : m.start()]):
                continue
            parts = m.group().split(".")
            confidence = 0.6 if all(len(p) == 1 for p in parts) else 0.9
            yield PiiSpan(m.start(), m.end(), "ip", confidence)
    if text.count(":") >= 2:
        for m in _IPV6.finditer(text):
            value = m.group()
            if sum(ch not in ":" for ch in value) < 4:
                continue
            try:
                ip_address(value)
            except ValueError:
                continue
            yield PiiSpan(m.start(), m.end(), "ip", 0.9)


_ASCII_DIGIT = re.compile(r"[0-9]")


def _count_digits(text: str) -> int:
    """ASCII digits in ``text`` (each detector needs a minimum before it is worth running)."""
    return len(_ASCII_DIGIT.findall(text))


def _resolve_overlaps(spans: list[PiiSpan]) -> list[PiiSpan]:
    spans.sort(key=lambda s: (-_PRIORITY[s.kind], -s.confidence, -(s.end - s.start), s.start))
    # Accepted spans never overlap, so their starts and ends sort the same way: a span fits
    # when the accepted span just before it ends before it starts and the next starts after it.
    starts: list[int] = []
    ends: list[int] = []
    taken: list[PiiSpan] = []
    for span in spans:
        i = bisect.bisect_right(starts, span.start)
        if i > 0 and ends[i - 1] > span.start:
            continue
        if i < len(starts) and starts[i] < span.end:
            continue
        starts.insert(i, span.start)
        ends.insert(i, span.end)
        taken.insert(i, span)
    return taken


def _detect(text: str, region: str, kinds: Collection[PiiKind]) -> list[PiiSpan]:
    found: list[PiiSpan] = []
    if "email" in kinds:
        found.extend(_emails(text))
        found.extend(_obfuscated_emails(text, text.lower()))
    digits = _count_digits(text)
    if digits >= 5:
        if "iban" in kinds:
            found.extend(
                PiiSpan(h.start, h.end, "iban", h.confidence, h.subtype) for h in find_ibans(text)
            )
        if "card" in kinds:
            found.extend(
                PiiSpan(h.start, h.end, "card", h.confidence, h.subtype) for h in find_cards(text)
            )
        if "national_id" in kinds:
            found.extend(
                PiiSpan(h.start, h.end, "national_id", h.confidence, h.subtype)
                for h in find_national_ids(text)
            )
    if "ip" in kinds and digits >= 4:
        found.extend(_ips(text))
    if "phone" in kinds and digits >= 7:
        found.extend(_phones(text, region))
    if "address" in kinds and digits >= 1:
        found.extend(
            PiiSpan(h.start, h.end, "address", h.confidence, h.subtype)
            for h in find_addresses(text)
        )
    if "person" in kinds:
        found.extend(PiiSpan(h.start, h.end, "person", h.confidence) for h in find_names(text))
    return _resolve_overlaps(found)


def _normalise_region(region: str) -> str:
    region = (region or "").strip().upper()
    return region if len(region) == 2 and region.isalpha() else "US"


def detect_pii(
    text: str,
    *,
    default_region: str = "US",
    kinds: Collection[PiiKind] | None = None,
    min_confidence: float = 0.0,
) -> list[PiiSpan]:
    """Find personal data in ``text``; spans are sorted and never overlap.

    ``default_region`` (ISO 3166 alpha-2) is how phone numbers written without a country code
    are read, e.g. "GB" makes "020 7946 0958" a London number. Never raises: a text that cannot
    be analysed yields an empty list.
    """
    if not isinstance(text, str) or not text:
        return []
    try:
        spans = _detect(text, _normalise_region(default_region), kinds or ALL_KINDS)
    except Exception:  # a detector bug must not lose the message; log without the text itself
        logging.getLogger(__name__).exception("pii detection failed")
        return []
    return [s for s in spans if s.confidence >= min_confidence]


# --- redaction -------------------------------------------------------------------------------


def generate_key() -> bytes:
    """A new key for the "encrypt" policy (url-safe base64, 32 bytes). Store it as a secret."""
    return Fernet.generate_key()


def decrypt_original(token: bytes, key: bytes) -> str:
    """Recover the original text kept by the "encrypt" policy. Raises `RedactionError` when the
    key is wrong or the token was tampered with."""
    try:
        return Fernet(key).decrypt(token).decode("utf-8", "surrogatepass")
    except (InvalidToken, ValueError, TypeError) as exc:
        raise RedactionError("cannot decrypt: wrong key or corrupted token") from exc


def _apply(text: str, spans: Iterable[PiiSpan]) -> tuple[str, tuple[PiiSpan, ...]]:
    parts: list[str] = []
    placed: list[PiiSpan] = []
    pos = 0
    length = 0
    for span in spans:
        before = text[pos : span.start]
        parts.append(before)
        length += len(before)
        placeholder = PLACEHOLDERS[span.kind]
        parts.append(placeholder)
        placed.append(
            PiiSpan(length, length + len(placeholder), span.kind, span.confidence, span.subtype)
        )
        length += len(placeholder)
        pos = span.end
    parts.append(text[pos:])
    return "".join(parts), tuple(placed)


@dataclass(frozen=True, slots=True)
class Redactor:
    """Redaction settings bound once (e.g. per tenant) and applied to every message.

    ``key`` is required by the "encrypt" policy; without it `redact` falls back to plain
    redaction rather than storing the original in clear.
    """

    default_region: str = "US"
    policy: RedactionPolicy = "redact"
    key: bytes | None = field(default=None, repr=False)
    min_confidence: float = 0.5
    kinds: frozenset[PiiKind] = ALL_KINDS

    def redact(self, text: str) -> RedactionResult:
        if not isinstance(text, str):
            return RedactionResult(text="")
        spans = tuple(
            detect_pii(
                text,
                default_region=self.default_region,
                kinds=self.kinds,
                min_confidence=self.min_confidence,
            )
        )
        if not spans:
            return RedactionResult(text=text, policy=self.policy)
        redacted, placed = _apply(text, spans)
        if self.policy == "encrypt" and self.key is not None:
            try:
                token = Fernet(self.key).encrypt(text.encode("utf-8", "surrogatepass"))
            except (ValueError, TypeError):
                logging.getLogger(__name__).error("pii encryption key is invalid; redacting only")
                token = None
            return RedactionResult(redacted, spans, "encrypt", token, placed)
        return RedactionResult(redacted, spans, "redact", None, placed)


def redact(
    text: str,
    *,
    default_region: str = "US",
    policy: RedactionPolicy = "redact",
    key: bytes | None = None,
    min_confidence: float = 0.5,
) -> RedactionResult:
    """Replace personal data in ``text`` with placeholders ([EMAIL], [PHONE], [CARD], ...)."""
    return Redactor(default_region, policy, key, min_confidence).redact(text)
