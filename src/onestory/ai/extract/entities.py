"""Entities customers mention: references (order, account, ticket, invoice numbers), money
amounts with their currency, dates and times (see `dates`), and products from a catalogue.

All functions are pure and never raise on any ``str`` input.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, tzinfo
from decimal import Decimal, InvalidOperation
from typing import Literal

from onestory.ai.extract._text import fold
from onestory.ai.extract.dates import DateMention, find_dates

__all__ = [
    "Entities",
    "MoneyMention",
    "ProductCatalogue",
    "ProductMention",
    "ReferenceKind",
    "ReferenceMention",
    "extract_entities",
    "find_money",
    "find_references",
]

ReferenceKind = Literal[
    "order", "account", "ticket", "invoice", "booking", "tracking", "contract", "return",
    "reference",
]  # fmt: skip


@dataclass(frozen=True, slots=True)
class ReferenceMention:
    """``value`` is the identifier as written, without its label ("ORD-2024-001", "12345")."""

    kind: ReferenceKind
    value: str
    start: int
    end: int
    confidence: float

    def to_dict(self) -> dict[str, object]:
        return {
            "kind": self.kind,
            "value": self.value,
            "start": self.start,
            "end": self.end,
            "confidence": self.confidence,
        }


@dataclass(frozen=True, slots=True)
class MoneyMention:
    amount: Decimal
    currency: str  # ISO 4217
    start: int
    end: int
    text: str

    def to_dict(self) -> dict[str, object]:
        return {
            "amount": str(self.amount),
            "currency": self.currency,
            "start": self.start,
            "end": self.end,
            "text": self.text,
        }


@dataclass(frozen=True, slots=True)
class ProductMention:
    name: str  # the catalogue's canonical name
    start: int
    end: int
    text: str

    def to_dict(self) -> dict[str, object]:
        return {"name": self.name, "start": self.start, "end": self.end, "text": self.text}


@dataclass(frozen=True, slots=True)
class Entities:
    references: tuple[ReferenceMention, ...] = ()
    money: tuple[MoneyMention, ...] = ()
    dates: tuple[DateMention, ...] = ()
    products: tuple[ProductMention, ...] = ()

    def to_dict(self) -> dict[str, list[dict[str, object]]]:
        return {
            "references": [r.to_dict() for r in self.references],
            "money": [m.to_dict() for m in self.money],
            "dates": [d.to_dict() for d in self.dates],
            "products": [p.to_dict() for p in self.products],
        }


# A message naming more than this many of one kind is a paste or an attack, not a customer
# writing; stopping there keeps every function linear in the text.
_MAX_PER_KIND = 200

# --- references ------------------------------------------------------------------------------

_LABEL_KIND: dict[str, ReferenceKind] = {}
for _kind, _words in (
    ("order", "order ord purchase-order po bestellung bestellnummer auftrag auftragsnummer "
              "commande pedido ordine bestelling"),
    ("account", "account acct acc customer member subscription kundennummer kundenkonto konto "
                "compte cuenta cliente klantnummer"),
    ("ticket", "ticket case incident claim dossier complaint vorgang anfrage"),
    ("invoice", "invoice inv bill rechnung rechnungsnummer facture factura fattura factuur"),
    ("booking", "booking reservation buchung réservation reserva prenotazione"),
    ("tracking", "tracking shipment parcel package consignment sendung sendungsnummer colis "
                 "envío envio spedizione"),
    ("contract", "contract vertrag vertragsnummer contrat contrato contratto"),
    ("return", "return rma retoure"),
    ("reference", "ref reference referenz référence referencia"),
):  # fmt: skip
    for _word in _words.split():
        _LABEL_KIND[_word.replace("-", " ")] = _kind  # type: ignore[assignment]

_LABELS = "|".join(
    re.escape(w).replace(r"\ ", r"\s") for w in sorted(_LABEL_KIND, key=len, reverse=True)
)
_REF_LABELLED = re.compile(
    rf"(?<![\w])(?P<label>{_LABELS})"
    r"(?:\s{1,3}(?:no\.?|nr\.?|number|num\.?|id|code|numéro|número|nummer|n°|nº|#))?"
    r"(?:\s{0,3}[:#]\s{0,3}|\s{1,3})"
    r"(?:is\s{1,3}|ist\s{1,3}|es\s{1,3}|est\s{1,3})?"
    r"(?P<value>#?[A-Za-z0-9](?:[A-Za-z0-9]|[\-/.](?=[A-Za-z0-9])){2,39})(?![\w])"
)
_REF_PREFIXED = re.compile(
    r"(?<![\w\-])(?P<value>(?P<prefix>ORD|ORDER|PO|INV|TKT|TCK|TIX|CASE|CS|SR|INC|AC|ACC|ACCT|BK|"
    r"RMA|REF|CT|CUST)[\-#]?\d[A-Z0-9]{1,20}(?:-[A-Z0-9]{1,20}){0,4})(?![\w\-])"
)
_REF_HASH = re.compile(r"(?<![\w&])#(?P<value>\d{3,20})(?![\w])")
_PREFIX_KIND: dict[str, ReferenceKind] = {
    "ORD": "order",
    "ORDER": "order",
    "PO": "order",
    "INV": "invoice",
    "TKT": "ticket",
    "TCK": "ticket",
    "TIX": "ticket",
    "CASE": "ticket",
    "CS": "ticket",
    "SR": "ticket",
    "INC": "ticket",
    "AC": "account",
    "ACC": "account",
    "ACCT": "account",
    "CUST": "account",
    "BK": "booking",
    "RMA": "return",
    "REF": "reference",
    "CT": "contract",
}


def find_references(text: str) -> list[ReferenceMention]:
    """Order, account, ticket, invoice, booking, tracking, contract and return identifiers."""
    if not isinstance(text, str) or not text:
        return []
    try:
        return _find_references(text)
    except Exception:
        return []


def _find_references(text: str) -> list[ReferenceMention]:
    found: list[ReferenceMention] = []

    def free(start: int, end: int) -> bool:
        return all(end <= r.start or start >= r.end for r in found)

    low = fold(text)  # labels are matched lower case; values are read from the original
    for n, m in enumerate(_REF_LABELLED.finditer(low)):
        if n >= _MAX_PER_KIND:
            break
        value = text[m.start("value") : m.end("value")]
        if not any(ch.isdigit() for ch in value):
            continue
        label = re.sub(r"\s+", " ", m.group("label").lower())
        kind = _LABEL_KIND.get(label, "reference")
        start = m.start("value") + (1 if value.startswith("#") else 0)
        found.append(ReferenceMention(kind, value.lstrip("#"), start, m.end("value"), 0.9))
    for n, m in enumerate(_REF_PREFIXED.finditer(text)):
        if n >= _MAX_PER_KIND:
            break
        if free(m.start(), m.end()):
            kind = _PREFIX_KIND.get(m.group("prefix"), "reference")
            found.append(ReferenceMention(kind, m.group("value"), m.start(), m.end(), 0.85))
    for n, m in enumerate(_REF_HASH.finditer(text)):
        if n >= _MAX_PER_KIND:
            break
        if free(m.start(), m.end()):
            found.append(
                ReferenceMention("reference", m.group("value"), m.start("value"), m.end(), 0.6)
            )
    found.sort(key=lambda r: r.start)
    return found


# --- money -----------------------------------------------------------------------------------

_AMOUNT = r"\d{1,3}(?:[,.'\u00a0]\d{3}){1,5}(?:[.,]\d{1,2})?|\d{1,12}(?:[.,]\d{1,2})?"
_SYMBOLS: dict[str, str] = {
    "€": "EUR",
    "$": "USD",
    "us$": "USD",
    "£": "GBP",
    "¥": "JPY",
    "₹": "INR",
    "chf": "CHF",
    "fr.": "CHF",
    "c$": "CAD",
    "ca$": "CAD",
    "a$": "AUD",
    "au$": "AUD",
    "r$": "BRL",
    "zł": "PLN",
    "kr": "SEK",
}
_WORDS: dict[str, str] = {
    "euro": "EUR", "euros": "EUR", "eur": "EUR", "€": "EUR", "usd": "USD", "dollar": "USD",
    "dollars": "USD", "bucks": "USD", "gbp": "GBP", "pound": "GBP", "pounds": "GBP",
    "quid": "GBP", "chf": "CHF", "franken": "CHF", "francs": "CHF", "jpy": "JPY", "yen": "JPY",
    "cad": "CAD", "aud": "AUD", "sek": "SEK", "nok": "NOK", "dkk": "DKK", "pln": "PLN",
    "inr": "INR", "rupees": "INR", "brl": "BRL", "mxn": "MXN", "zł": "PLN", "kr": "SEK",
    "£": "GBP", "$": "USD", "cents": "USD.c", "pence": "GBP.c", "p": "GBP.c", "cent": "EUR.c",
}  # fmt: skip
_SYM_RE = "|".join(re.escape(s) for s in sorted(_SYMBOLS, key=len, reverse=True))
_WORD_RE = "|".join(re.escape(s) for s in sorted(_WORDS, key=len, reverse=True))
_MONEY = re.compile(
    rf"(?<![\w$€£¥₹])(?:"
    rf"(?P<sym>{_SYM_RE})\s?(?P<a1>{_AMOUNT})(?:\s?(?P<mult1>k|m|bn)\b)?"
    rf"|(?P<code>eur|usd|gbp|chf|cad|aud|jpy|sek|nok|dkk|pln|inr)\s?(?P<a2>{_AMOUNT})"
    rf"|(?P<a3>{_AMOUNT})(?:\s?(?P<mult3>k|m|bn)\b)?\s?(?P<word>{_WORD_RE})"
    rf")(?![\w$€£])"
)


def _parse_amount(raw: str) -> Decimal | None:
    raw = raw.replace("\u00a0", "").replace("'", "")
    last_dot, last_comma = raw.rfind("."), raw.rfind(",")
    if last_dot >= 0 and last_comma >= 0:
        decimal_sep = "." if last_dot > last_comma else ","
    elif last_dot >= 0 or last_comma >= 0:
        sep = "." if last_dot >= 0 else ","
        tail = raw.rsplit(sep, 1)[1]
        decimal_sep = sep if (raw.count(sep) == 1 and len(tail) != 3) else ""
    else:
        decimal_sep = ""
    thousands = {".", ","} - {decimal_sep}
    for t in thousands:
        raw = raw.replace(t, "")
    if decimal_sep:
        raw = raw.replace(decimal_sep, ".")
    try:
        return Decimal(raw)
    except InvalidOperation:
        return None


_MULTIPLIERS = {"k": Decimal(1000), "m": Decimal(1_000_000), "bn": Decimal(1_000_000_000)}


def find_money(text: str, *, dollar: str = "USD") -> list[MoneyMention]:
    """Money amounts with currency: "€12.50", "12,50 EUR", "$1,200", "£30", "30 pounds".

    ``dollar`` is the ISO code a bare "$" means for this customer (e.g. "CAD" in Canada).
    """
    if not isinstance(text, str) or not text:
        return []
    try:
        return _find_money(text, dollar)
    except Exception:
        return []


def _find_money(text: str, dollar: str) -> list[MoneyMention]:
    found: list[MoneyMention] = []
    for n, m in enumerate(_MONEY.finditer(fold(text))):
        if n >= _MAX_PER_KIND:
            break
        g = m.groupdict()
        raw = g["a1"] or g["a2"] or g["a3"]
        amount = _parse_amount(raw)
        if amount is None:
            continue
        if g["sym"]:
            currency = _SYMBOLS[g["sym"].lower()]
        elif g["code"]:
            currency = g["code"].upper()
        else:
            currency = _WORDS[g["word"].lower()]
            if g["word"].lower() == "p" and "." in raw:
                continue  # "2.5p" is rarely money; "50p" is
        if currency == "USD" and (g["sym"] == "$" or (g["word"] or "").lower() == "$"):
            currency = dollar
        mult = (g["mult1"] or g["mult3"] or "").lower()
        if mult:
            amount *= _MULTIPLIERS[mult]
        if currency.endswith(".c"):
            currency = currency[:-2]
            amount = amount / 100
        found.append(MoneyMention(amount, currency, m.start(), m.end(), text[m.start() : m.end()]))
    return found


# --- products --------------------------------------------------------------------------------

_TOKEN = re.compile(r"[^\W_]+")


@dataclass(frozen=True, slots=True)
class ProductCatalogue:
    """Product names to find in text: case-insensitive, on word boundaries, longest first.

    Build once per catalogue version and reuse: matching is a dictionary lookup per word
    window, so it stays fast with tens of thousands of names. Pass a mapping to give aliases
    ("iphone 15" -> "Apple iPhone 15").
    """

    _index: dict[tuple[str, ...], str] = field(default_factory=dict)
    _longest: int = 0

    @classmethod
    def build(cls, names: Iterable[str] | Mapping[str, str]) -> ProductCatalogue:
        pairs: Iterable[tuple[str, str]]
        if isinstance(names, Mapping):
            pairs = names.items()
        else:
            pairs = ((n, n) for n in names)
        index: dict[tuple[str, ...], str] = {}
        for alias, canonical in pairs:
            if not isinstance(alias, str) or not isinstance(canonical, str):
                continue
            key = tuple(t.casefold() for t in _TOKEN.findall(alias))
            if key:
                index.setdefault(key, canonical)
        return cls(index, max((len(k) for k in index), default=0))

    def find(self, text: str) -> list[ProductMention]:
        if not isinstance(text, str) or not self._index:
            return []
        tokens = [(m.start(), m.end(), m.group().casefold()) for m in _TOKEN.finditer(text)]
        found: list[ProductMention] = []
        i = 0
        while i < len(tokens):
            for size in range(min(self._longest, len(tokens) - i), 0, -1):
                key = tuple(t[2] for t in tokens[i : i + size])
                name = self._index.get(key)
                if name is not None:
                    start, end = tokens[i][0], tokens[i + size - 1][1]
                    found.append(ProductMention(name, start, end, text[start:end]))
                    if len(found) >= _MAX_PER_KIND:
                        return found
                    i += size
                    break
            else:
                i += 1
        return found


# --- everything ------------------------------------------------------------------------------


def extract_entities(
    text: str,
    *,
    now: datetime,
    tz: str | tzinfo | None = "UTC",
    catalogue: ProductCatalogue | Iterable[str] | None = None,
    dayfirst: bool | None = None,
    holidays: Collection[date] = (),
    dollar: str = "USD",
) -> Entities:
    """All entities in one message. ``now`` is when the message was written (aware), ``tz`` the
    customer's IANA zone: "tomorrow" and "next Tuesday" resolve there."""
    if not isinstance(text, str) or not text:
        return Entities()
    if catalogue is not None and not isinstance(catalogue, ProductCatalogue):
        catalogue = ProductCatalogue.build(catalogue)
    references = find_references(text)
    money = find_money(text, dollar=dollar)
    taken = [(r.start, r.end) for r in references] + [(m.start, m.end) for m in money]
    dates = [
        d
        for d in find_dates(text, now=now, tz=tz, dayfirst=dayfirst, holidays=holidays)
        if all(d.end <= a or d.start >= b for a, b in taken)
    ]
    products = catalogue.find(text) if catalogue is not None else []
    return Entities(tuple(references), tuple(money), tuple(dates), tuple(products))
