"""Checksum-validated identifiers: payment cards, IBANs and national ids.

Every pattern here uses bounded quantifiers without nesting ambiguity, so matching stays linear
in the length of the text; checksums are applied after the regex has found a candidate.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import NamedTuple


class Hit(NamedTuple):
    start: int
    end: int
    subtype: str
    confidence: float


# --- payment cards ---------------------------------------------------------------------------

_CARD = re.compile(r"(?<![\d+])\d(?:[ \-]?\d){11,18}(?![\d])")


def luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = ord(ch) - 48
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def _card_brand(digits: str) -> str | None:
    n = len(digits)
    two = int(digits[:2])
    four = int(digits[:4])
    if digits[0] == "4" and n in (13, 16, 19):
        return "visa"
    if (51 <= two <= 55 or 2221 <= four <= 2720) and n == 16:
        return "mastercard"
    if two in (34, 37) and n == 15:
        return "amex"
    if (digits.startswith("6011") or two == 65 or 644 <= int(digits[:3]) <= 649) and n >= 16:
        return "discover"
    if 3528 <= four <= 3589 and n >= 16:
        return "jcb"
    if (two in (36, 38, 39) or 300 <= int(digits[:3]) <= 305) and n >= 14:
        return "diners"
    if two == 62 and n >= 16:
        return "unionpay"
    if four in (5018, 5020, 5038, 5893, 6304, 6759, 6761, 6762, 6763) and n >= 12:
        return "maestro"
    return None


def find_cards(text: str) -> Iterator[Hit]:
    for m in _CARD.finditer(text):
        raw = m.group()
        digits = raw.replace(" ", "").replace("-", "")
        if not 12 <= len(digits) <= 19:
            continue
        brand = _card_brand(digits)
        if brand is None or not luhn_ok(digits):
            continue
        # Mixed separators ("4111-1111 1111") are still cards; uniform groups are likelier.
        yield Hit(m.start(), m.end(), brand, 0.97 if (" " in raw or "-" in raw) else 0.93)


# --- IBAN ------------------------------------------------------------------------------------

_IBAN_LENGTHS: dict[str, int] = {
    "AD": 24, "AE": 23, "AL": 28, "AT": 20, "AZ": 28, "BA": 20, "BE": 16, "BG": 22, "BH": 22,
    "BR": 29, "BY": 28, "CH": 21, "CR": 22, "CY": 28, "CZ": 24, "DE": 22, "DK": 18, "DO": 28,
    "EE": 20, "EG": 29, "ES": 24, "FI": 18, "FO": 18, "FR": 27, "GB": 22, "GE": 22, "GI": 23,
    "GL": 18, "GR": 27, "GT": 28, "HR": 21, "HU": 28, "IE": 22, "IL": 23, "IQ": 23, "IS": 26,
    "IT": 27, "JO": 30, "KW": 30, "KZ": 20, "LB": 28, "LC": 32, "LI": 21, "LT": 20, "LU": 20,
    "LV": 21, "MC": 27, "MD": 24, "ME": 22, "MK": 19, "MR": 27, "MT": 31, "MU": 30, "NL": 18,
    "NO": 15, "PK": 24, "PL": 28, "PS": 29, "PT": 25, "QA": 29, "RO": 24, "RS": 22, "SA": 24,
    "SC": 31, "SE": 24, "SI": 19, "SK": 24, "SM": 27, "ST": 25, "SV": 28, "TL": 23, "TN": 24,
    "TR": 26, "UA": 29, "VA": 22, "VG": 24, "XK": 20,
}  # fmt: skip

_IBAN = re.compile(r"(?<![A-Za-z0-9])[A-Za-z]{2}\d{2}(?:[ ]?[A-Za-z0-9]){10,30}")


def iban_ok(compact: str) -> bool:
    rearranged = compact[4:] + compact[:4]
    number = "".join(str(int(ch, 36)) for ch in rearranged)
    return int(number) % 97 == 1


def find_ibans(text: str) -> Iterator[Hit]:
    for m in _IBAN.finditer(text):
        raw = m.group()
        country = raw[:2].upper()
        length = _IBAN_LENGTHS.get(country)
        if length is None:
            continue
        # The regex is greedy and may run into the next word; cut at the country's length.
        seen = 0
        end = m.start()
        for i, ch in enumerate(raw):
            if ch != " ":
                seen += 1
            if seen == length:
                end = m.start() + i + 1
                break
        if seen < length or (end < len(text) and text[end].isalnum()):
            continue
        compact = text[m.start() : end].replace(" ", "").upper()
        if not compact[4:].isalnum() or not iban_ok(compact):
            continue
        yield Hit(m.start(), end, country.lower(), 0.99)


# --- national ids ----------------------------------------------------------------------------

_SSN = re.compile(r"(?<![\w-])(?!000|666|9\d\d)\d{3}([- ])(?!00)\d{2}\1(?!0000)\d{4}(?![\w-])")
_SSN_PLAIN = re.compile(
    r"(?i:\b(?:ssn|social security(?: number| no\.?| #)?)[\s:#]{0,5}(?:is[ \t]+)?)"
    r"(?!000|666|9\d\d)(\d{9})(?!\w)"
)
_NINO = re.compile(
    r"(?<![A-Za-z0-9])(?!BG|GB|NK|KN|TN|NT|ZZ)[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z]"
    r"[ ]?\d{2}[ ]?\d{2}[ ]?\d{2}[ ]?[A-D](?![A-Za-z0-9])"
)
_DNI = re.compile(r"(?<![A-Za-z0-9])([XYZ]?)[ -]?(\d{7,8})[ -]?([A-Z])(?![A-Za-z0-9])")
_DNI_LETTERS = "TRWAGMYFPDXBNJZSQVHLCKE"
_NIR = re.compile(
    r"(?<![\d])([12])[ ]?(\d{2})[ ]?(0[1-9]|1[0-2]|[2-9]\d)[ ]?(\d{2}|2A|2B)[ ]?(\d{3})[ ]?"
    r"(\d{3})[ ]?(\d{2})(?!\d)"
)
_CF = re.compile(r"(?<![A-Za-z0-9])[A-Z]{6}\d{2}[A-EHLMPRST]\d{2}[A-Z]\d{3}[A-Z](?![A-Za-z0-9])")
_CF_ODD = {
    **dict(zip("0123456789", (1, 0, 5, 7, 9, 13, 15, 17, 19, 21), strict=True)),
    **dict(
        zip(
            "ABCDEFGHIJKLMNOPQRSTUVWXYZ",
            (1, 0, 5, 7, 9, 13, 15, 17, 19, 21, 2, 4, 18, 20, 11, 3, 6, 8, 12, 14, 16, 10, 22,
             25, 24, 23),
            strict=True,
        )
    ),
}  # fmt: skip
_KEYWORD_ID = re.compile(
    r"(?i:\b(bsn|burgerservicenummer|steuer-?id|steueridentifikationsnummer|"
    r"identifikationsnummer|sin|social insurance(?: number)?)[\s:#]{0,5}(?:is[ \t]+|ist[ \t]+)?)"
    r"(\d{3}[ -]?\d{3}[ -]?\d{3}(?:[ -]?\d{2})?)(?!\d)"
)
_ID_KEYWORDS = ("bsn", "burgerservice", "steuer", "identifikations", "sin", "social insurance")
_SIN = re.compile(r"(?<![\d-])[1-79]\d{2}-\d{3}-\d{3}(?![\d-])")


def _cf_ok(code: str) -> bool:
    total = 0
    for i, ch in enumerate(code[:15]):
        if i % 2 == 0:
            total += _CF_ODD[ch]
        else:
            total += int(ch) if ch.isdigit() else ord(ch) - 65
    return chr(65 + total % 26) == code[15]


def _bsn_ok(digits: str) -> bool:
    if len(digits) != 9:
        return False
    total = sum((9 - i) * int(d) for i, d in enumerate(digits[:8])) - int(digits[8])
    return total % 11 == 0 and digits != "000000000"


def _steuer_id_ok(digits: str) -> bool:
    if len(digits) != 11 or digits[0] == "0":
        return False
    product = 10
    for d in digits[:10]:
        s = (int(d) + product) % 10
        if s == 0:
            s = 10
        product = (s * 2) % 11
    check = 11 - product
    if check == 10:
        check = 0
    return check == int(digits[10])


def _nir_ok(m: re.Match[str]) -> bool:
    dept = m.group(4)
    body = m.group(1) + m.group(2) + m.group(3) + dept + m.group(5) + m.group(6)
    # Corsica's departments carry letters; the standard substitutes them before the mod-97.
    if dept == "2A":
        value = int(body.replace("2A", "19", 1))
    elif dept == "2B":
        value = int(body.replace("2B", "18", 1))
    else:
        value = int(body)
    return 97 - value % 97 == int(m.group(7))


def find_national_ids(text: str) -> Iterator[Hit]:
    # Each format needs a minimum number of n_digits; most messages have too few for any.
    n_digits = sum(map(str.isdigit, text))
    if n_digits < 6:
        return
    lower = text.lower() if n_digits >= 9 else ""
    if n_digits >= 9:
        for m in _SSN.finditer(text):
            yield Hit(m.start(), m.end(), "us_ssn", 0.9 if m.group(1) == "-" else 0.75)
        if "ssn" in lower or "social security" in lower:
            for m in _SSN_PLAIN.finditer(text):
                yield Hit(m.start(1), m.end(1), "us_ssn", 0.9)
    for m in _NINO.finditer(text):
        yield Hit(m.start(), m.end(), "uk_nino", 0.9)
    if n_digits < 7:
        return
    for m in _DNI.finditer(text):
        prefix, number, letter = m.group(1), m.group(2), m.group(3)
        if prefix:
            if len(number) != 7:
                continue
            value = int(str("XYZ".index(prefix)) + number)
            subtype = "es_nie"
        else:
            if len(number) != 8:
                continue
            value = int(number)
            subtype = "es_dni"
        if _DNI_LETTERS[value % 23] == letter:
            yield Hit(m.start(), m.end(), subtype, 0.95)
    for m in _CF.finditer(text):
        if _cf_ok(m.group()):
            yield Hit(m.start(), m.end(), "it_cf", 0.97)
    if n_digits < 9:
        return
    if n_digits >= 13:
        for m in _NIR.finditer(text):
            if _nir_ok(m):
                yield Hit(m.start(), m.end(), "fr_nir", 0.95)
    if "-" in text:
        for m in _SIN.finditer(text):
            if luhn_ok(m.group().replace("-", "")):
                yield Hit(m.start(), m.end(), "ca_sin", 0.8)
    if not any(k in lower for k in _ID_KEYWORDS):
        return
    for m in _KEYWORD_ID.finditer(text):
        keyword = m.group(1).lower()
        digits = re.sub(r"[ -]", "", m.group(2))
        if keyword in ("bsn", "burgerservicenummer") and _bsn_ok(digits):
            yield Hit(m.start(2), m.end(2), "nl_bsn", 0.95)
        elif keyword.startswith(("steuer", "identifikations")) and _steuer_id_ok(digits):
            yield Hit(m.start(2), m.end(2), "de_steuer_id", 0.95)
        elif keyword.startswith(("sin", "social")) and len(digits) == 9 and luhn_ok(digits):
            yield Hit(m.start(2), m.end(2), "ca_sin", 0.95)
