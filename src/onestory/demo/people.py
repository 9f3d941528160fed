"""Demo people: who the customers and prospects are (names, contacts, plans, devices).

Owns ``DemoCustomer`` and the per-country phone-number rules. May use only the phrase tables
(``demo.phrases``), the standard library and ``phonenumbers``.
"""

from __future__ import annotations

import random
import unicodedata
from dataclasses import dataclass, field

import phonenumbers

from onestory.demo import phrases as ph

_MOBILE_PREFIX = {
    "GB": ["+4474", "+4475", "+4477", "+4478", "+4479"],
    "US": ["+1212", "+1415", "+1646", "+1312", "+1617", "+1206", "+1512"],
    "DE": ["+49151", "+49160", "+49170", "+49176", "+49157"],
    "FR": ["+336", "+337"],
    "ES": ["+346"],
    "NL": ["+316"],
    "IN": ["+9198", "+9199", "+9190", "+9187", "+9170"],
    "IE": ["+35383", "+35385", "+35387"],
    "IT": ["+39347", "+39333", "+39320"],
}
_NATIONAL_LEN = {
    "GB": 10,
    "US": 10,
    "DE": 11,
    "FR": 9,
    "ES": 9,
    "NL": 9,
    "IN": 10,
    "IE": 9,
    "IT": 10,
}
DIAL = {
    "GB": "+44",
    "US": "+1",
    "DE": "+49",
    "FR": "+33",
    "ES": "+34",
    "NL": "+31",
    "IN": "+91",
    "IE": "+353",
    "IT": "+39",
}

# Short replies inside a running conversation: no greeting, no sign-off.


@dataclass
class DemoCustomer:
    """Ground truth about one demo person (what the platform should eventually learn)."""

    index: int
    first: str
    last: str
    country: str
    lang: str
    currency: str
    email: str
    phone: str
    billing_id: str
    shop_id: str
    crm_id: str
    devices: list[str]
    plan: str
    activity: float
    satisfaction: float
    billing_day: int
    alt_email: str | None = None
    alt_phone: str | None = None
    social: dict[str, str] = field(default_factory=dict)
    cookie_id: str | None = None
    is_lead: bool = False
    journeys: list[str] = field(default_factory=list)

    @property
    def name(self) -> str:
        return f"{self.first} {self.last}"


def _ascii(text: str) -> str:
    norm = unicodedata.normalize("NFKD", text)
    return "".join(c for c in norm if c.isascii() and (c.isalnum() or c in ".-")).lower()


def hex_digits(r: random.Random, n: int) -> str:
    return "".join(r.choice("0123456789abcdef") for _ in range(n))


class People:
    """Makes the demo people for one seed, keeping emails and phone numbers unique."""

    def __init__(self, seed: int) -> None:
        self.seed = seed
        self._emails: set[str] = set()
        self._phones: set[str] = set()

    def _hex(self, r: random.Random, n: int) -> str:
        return hex_digits(r, n)

    def _phone(self, r: random.Random, country: str) -> str:
        for _ in range(50):
            prefix = r.choice(_MOBILE_PREFIX[country])
            national_digits = len(prefix) - len(DIAL[country])
            rest = _NATIONAL_LEN[country] - national_digits
            number = prefix + "".join(str(r.randint(0, 9)) for _ in range(rest))
            if number in self._phones:
                continue
            if phonenumbers.is_valid_number(phonenumbers.parse(number)):
                self._phones.add(number)
                return number
        raise RuntimeError(f"could not make a phone number for {country}")  # pragma: no cover

    def _email(self, r: random.Random, first: str, last: str, work: bool = False) -> str:
        f, la = _ascii(first).replace(".", ""), _ascii(last).replace(" ", "")
        for attempt in range(100):
            style = r.randrange(5)
            local = [
                f"{f}.{la}",
                f"{f[0]}{la}",
                f"{f}{la[:1]}{r.randint(1, 99)}",
                f"{f}_{la}",
                f"{la}.{f}{r.randint(70, 99)}",
            ][style]
            if attempt:
                local += str(r.randint(100, 999))
            domain = (
                f"{r.choice(['acme', 'globex', 'initech', 'umbrella'])}.example.com"
                if work
                else r.choice(ph.EMAIL_DOMAINS)
            )
            email = f"{local.strip('.-')}@{domain}"
            if email not in self._emails:
                self._emails.add(email)
                return email
        raise RuntimeError("could not make a unique email")  # pragma: no cover

    def person(self, index: int, is_lead: bool = False) -> DemoCustomer:
        r = random.Random(self.seed * 1_000_003 + index)
        countries = list(ph.COUNTRIES)
        country = r.choices(countries, weights=[ph.COUNTRIES[c][0] for c in countries])[0]
        _, lang, currency = ph.COUNTRIES[country]
        first = r.choice(ph.FIRST_NAMES[country])
        last = r.choice(ph.LAST_NAMES[country])
        devices = [f"dev-{self._hex(r, 12)}" for _ in range(1 + (r.random() < 0.3))]
        p = DemoCustomer(
            index=index,
            first=first,
            last=last,
            country=country,
            lang=lang,
            currency=currency,
            email=self._email(r, first, last),
            phone=self._phone(r, country),
            billing_id=f"AC-{100000 + index * 7 + r.randint(0, 6)}",
            shop_id=f"SH{self._hex(r, 8).upper()}",
            crm_id=f"CRM-{20000 + index}",
            devices=devices,
            plan=r.choices(ph.PLAN_ORDER, weights=[35, 35, 20, 10])[0],
            activity=min(3.0, r.lognormvariate(0.0, 0.6)),
            satisfaction=r.betavariate(5, 2),
            billing_day=r.randint(1, 28),
            is_lead=is_lead,
        )
        if not is_lead:
            if r.random() < 0.09:
                p.alt_email = self._email(r, first, last, work=True)
            if r.random() < 0.06:
                p.alt_phone = self._phone(r, country)
            if r.random() < 0.12:
                p.social = {"x": f"@{_ascii(first)}{_ascii(last)[:4]}{r.randint(1, 99)}"}
            if r.random() < 0.07:
                p.cookie_id = f"ck_{self._hex(r, 16)}"
        else:
            p.cookie_id = f"ck_{self._hex(r, 16)}"
        return p
