"""The seeded demo world: a fictional connected-home provider ("NovaHome") and its customers.

``generate_world`` yields event envelopes (plain JSON-ready dicts accepted by the ingestion
API) for about 500 customers over 90 days ending at ``now``: background activity (app
sessions, usage, orders, payments, plan changes, surveys, reviews) plus scripted multi-channel
journeys (billing dispute, delivery delay, broken device with a technician visit, cancellation
threat, upgrade question, simple how-to questions). The output depends only on the arguments:
the same seed and ``now`` always give the same events, in the same order, with the same
idempotency keys.
"""

from __future__ import annotations

import json
import random
import unicodedata
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import phonenumbers

from onestory.demo import phrases as ph

JOURNEY_KINDS = (
    "billing_dispute",
    "delivery_delay",
    "broken_device",
    "cancellation_threat",
    "upgrade_question",
    "howto",
    "repeat_contact",
)

# Share of customers that go through each scripted journey (a customer may have several).
_JOURNEY_SHARE = {
    "billing_dispute": 0.08,
    "delivery_delay": 0.08,
    "broken_device": 0.07,
    "cancellation_threat": 0.07,
    "upgrade_question": 0.07,
    "howto": 0.3,
    "repeat_contact": 0.06,
}

_CURRENCY_FACTOR = {"GBP": 1.0, "USD": 1.25, "EUR": 1.15, "INR": 85.0}
_CURRENCY_SIGN = {"GBP": "£", "USD": "$", "EUR": "€", "INR": "₹"}

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
_DIAL = {
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
_FOLLOW_UP_KEYS = frozenset(
    {
        "device.chat2",
        "howto.thanks",
        "upgrade.ok",
        "billing.thanks",
        "churn.accept",
        "churn.downgrade",
        "churn.leave",
    }
)

_EMOJI = ["🙂", "😊", "👍", "🙏", "😞", "😕", "🤔", "😡", "🙄", "‼️"]


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


@dataclass
class World:
    """A generated world: its people, its events (sorted) and what was scripted."""

    customers: list[DemoCustomer]
    events: list[dict[str, Any]]
    journeys: Counter[str]

    def counts(self) -> Counter[str]:
        """Number of events per event type."""
        return Counter(e["type"] for e in self.events)

    def summary(self) -> dict[str, Any]:
        """A JSON-ready overview (for the CLI and the docs)."""
        return {
            "customers": sum(1 for p in self.customers if not p.is_lead),
            "prospects": sum(1 for p in self.customers if p.is_lead),
            "events": len(self.events),
            "first_event_at": self.events[0]["occurred_at"] if self.events else None,
            "last_event_at": self.events[-1]["occurred_at"] if self.events else None,
            "journeys": dict(sorted(self.journeys.items())),
            "by_type": dict(sorted(self.counts().items())),
        }


def generate_world(
    *, customers: int = 500, days: int = 90, seed: int = 7, now: datetime
) -> Iterator[dict[str, Any]]:
    """Yield the demo world's event envelopes, sorted by ``occurred_at``."""
    yield from build_world(customers=customers, days=days, seed=seed, now=now).events


def build_world(*, customers: int = 500, days: int = 90, seed: int = 7, now: datetime) -> World:
    """Generate the whole world in memory (about 50,000 events at the default scale)."""
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be timezone-aware")
    if customers < 1 or days < 1:
        raise ValueError("customers and days must be positive")
    gen = _Generator(seed=seed, now=now, days=days)
    return gen.run(customers)


def count_by_type(events: Iterable[dict[str, Any]]) -> Counter[str]:
    """Number of events per type (handy for summaries and tests)."""
    return Counter(e["type"] for e in events)


def write_jsonl(path: str | Path, events: Iterable[dict[str, Any]]) -> int:
    """Write events one JSON object per line (UTF-8); return how many were written."""
    n = 0
    with Path(path).open("w", encoding="utf-8") as fh:
        for event in events:
            fh.write(json.dumps(event, ensure_ascii=False, separators=(",", ":")))
            fh.write("\n")
            n += 1
    return n


# ------------------------------------------------------------------------------------------


def _ascii(text: str) -> str:
    norm = unicodedata.normalize("NFKD", text)
    return "".join(c for c in norm if c.isascii() and (c.isalnum() or c in ".-")).lower()


def _iso(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class _Generator:
    def __init__(self, *, seed: int, now: datetime, days: int) -> None:
        self.seed = seed
        self.now = now.astimezone(UTC).replace(microsecond=0)
        self.start = self.now - timedelta(days=days)
        self.days = days
        self.rng = random.Random(seed)
        self.raw: list[tuple[datetime, int, dict[str, Any]]] = []
        self.journeys: Counter[str] = Counter()
        self._ids: Counter[str] = Counter()
        self._emails: set[str] = set()
        self._phones: set[str] = set()

    # --- ids --------------------------------------------------------------------------
    def _next(self, prefix: str) -> str:
        self._ids[prefix] += 1
        return f"{prefix}{self._ids[prefix]:05d}"

    def _hex(self, r: random.Random, n: int) -> str:
        return "".join(r.choice("0123456789abcdef") for _ in range(n))

    # --- people -----------------------------------------------------------------------
    def _phone(self, r: random.Random, country: str) -> str:
        for _ in range(50):
            prefix = r.choice(_MOBILE_PREFIX[country])
            national_digits = len(prefix) - len(_DIAL[country])
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

    def _person(self, index: int, is_lead: bool = False) -> DemoCustomer:
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

    # --- emitting ---------------------------------------------------------------------
    def emit(
        self,
        at: datetime,
        type_: str,
        source: str,
        channel: str | None,
        customer: dict[str, Any],
        payload: dict[str, Any],
    ) -> bool:
        if at > self.now or at < self.start:
            return False
        event: dict[str, Any] = {
            "type": type_,
            "source": source,
            "channel": channel,
            "occurred_at": at,
            "customer": customer,
            "payload": payload,
        }
        if channel is None:
            del event["channel"]
        self.raw.append((at.replace(microsecond=0), len(self.raw), event))
        return True

    def run(self, n_customers: int) -> World:
        people = [self._person(i) for i in range(n_customers)]
        leads = [self._person(n_customers + i, is_lead=True) for i in range(n_customers // 25)]
        self._pick_journeys(people)
        for p in people:
            self._background(p)
        self._run_journeys(people)
        for p in leads:
            self._lead(p)
        self.raw.sort(key=lambda t: (t[0], t[1]))
        events: list[dict[str, Any]] = []
        for n, (at, _, e) in enumerate(self.raw):
            e["occurred_at"] = _iso(at)
            e["idempotency_key"] = f"demo-{self.seed}-{n:06d}"
            events.append(e)
        return World(customers=people + leads, events=events, journeys=self.journeys)

    # --- identifiers per system -------------------------------------------------------
    def ids_email(self, p: DemoCustomer, alt: bool = False) -> dict[str, Any]:
        email = p.alt_email if alt and p.alt_email else p.email
        return {"email": email, "name": p.name}

    def ids_phone(self, p: DemoCustomer, r: random.Random, alt: bool = False) -> dict[str, Any]:
        number = p.alt_phone if alt and p.alt_phone else p.phone
        if r.random() < 0.15:  # some systems send a spaced international format
            dial = _DIAL[p.country]
            rest = number[len(dial) :]
            number = f"{dial} {rest[:3]} {rest[3:6]} {rest[6:]}"
        return {"phone": number}

    def ids_chat(self, p: DemoCustomer) -> dict[str, Any]:
        ids: dict[str, Any] = {"email": p.email, "name": p.name}
        if p.cookie_id:
            ids["cookie_id"] = p.cookie_id
        return ids

    def ids_app(self, p: DemoCustomer, r: random.Random) -> dict[str, Any]:
        return {"device_id": r.choice(p.devices), "external_ids": {"crm": p.crm_id}}

    # --- text -------------------------------------------------------------------------
    def _lang(self, p: DemoCustomer, r: random.Random) -> str:
        if p.lang != "en" and r.random() < 0.15:
            return "en"
        return p.lang

    def _date_text(self, at: datetime, lang: str) -> str:
        if lang == "en":
            return at.strftime("%A %d %B").replace(" 0", " ")
        if lang == "de":
            return at.strftime("%d.%m.")
        return at.strftime("%d/%m")

    def _money(self, amount: float, currency: str, lang: str) -> str:
        sign = _CURRENCY_SIGN[currency]
        if lang in ("de", "fr", "es") and currency == "EUR":
            return f"{amount:.2f} €".replace(".", ",")
        return f"{sign}{amount:,.2f}"

    def _pick(self, r: random.Random, key: str, lang: str) -> str:
        bank = ph.BANK[key]
        return r.choice(bank.get(lang) or bank["en"])

    def customer_text(
        self, p: DemoCustomer, r: random.Random, key: str, mood: str = "calm", **kw: Any
    ) -> tuple[str, str]:
        """(text, language) of a customer message assembled from the phrase banks."""
        lang = self._lang(p, r)
        body = self._pick(r, key, lang).format(**kw)
        parts: list[str] = []
        reply = key in _FOLLOW_UP_KEYS
        if not reply and r.random() < (0.25 if mood == "angry" else 0.6):
            greet = r.choice(ph.GREET[lang])
            if greet:
                parts.append(greet + ("" if greet.endswith(",") else ","))
        if parts:
            keep = body[:2] in ("I ", "I'") or len(body) < 2 or not body[1].islower()
            body = body if keep else body[0].lower() + body[1:]
        elif r.random() < 0.7:
            body = body[0].upper() + body[1:]
        parts.append(body)
        if mood != "angry" and not reply and r.random() < 0.35:
            thanks = r.choice(ph.THANKS[lang])
            if thanks:
                if parts[-1][-1].isalnum():
                    parts[-1] += r.choice([".", ".", "!", ""])
                parts.append(thanks)
        text = " ".join(parts)
        if lang == "en":
            roll = r.random()
            if roll < 0.12:
                text = self._typo(r, text)
            elif roll < 0.2:
                text = text.lower().replace("'", "")
        if mood == "angry":
            if r.random() < 0.3:
                text = text.upper()
            if r.random() < 0.4:
                text += r.choice([" !!", "!!!", " 😡", " 🤬", " Unacceptable."])
        elif r.random() < 0.1:
            text += " " + r.choice(_EMOJI)
        return text, lang

    def _typo(self, r: random.Random, text: str) -> str:
        words = text.split(" ")
        candidates = [i for i, w in enumerate(words) if len(w) > 4 and w.isalpha()]
        if not candidates:
            return text
        i = r.choice(candidates)
        w = words[i]
        j = r.randrange(len(w) - 1)
        words[i] = w[:j] + w[j + 1] + w[j] + w[j + 2 :]
        return " ".join(words)

    def agent_text(
        self, p: DemoCustomer, r: random.Random, key: str, lang: str, signed: str | None, **kw: Any
    ) -> str:
        body = self._pick(r, key, lang).format(first=p.first, **kw)
        hello = {"en": "Hi", "de": "Hallo", "fr": "Bonjour", "es": "Hola"}[lang]
        text = body
        if p.first not in body and r.random() < 0.6:
            keep = body[:2] in ("I ", "I'") or len(body) < 2 or not body[1].islower()
            text = f"{hello} {p.first}, {body if keep else body[0].lower() + body[1:]}"
        if signed:
            text += f"\n\n{signed}\nNovaHome Customer Care"
        return text

    # --- message helpers --------------------------------------------------------------
    def message(
        self,
        p: DemoCustomer,
        r: random.Random,
        at: datetime,
        channel: str,
        author: str,
        text: str,
        *,
        lang: str = "en",
        ids: dict[str, Any] | None = None,
        agent: tuple[str, str] | None = None,
        subject: str | None = None,
        in_reply_to: str | None = None,
        extra: dict[str, Any] | None = None,
    ) -> str | None:
        """Emit one message; return its message_id for email threading."""
        source = {
            "chat": "webchat",
            "email": "email",
            "sms": "twilio",
            "whatsapp": "twilio",
            "voice": "voice",
            "app": "app",
        }[channel]
        if ids is None:
            if channel == "email":
                ids = self.ids_email(p)
            elif channel in ("sms", "whatsapp", "voice"):
                ids = self.ids_phone(p, r)
            else:
                ids = self.ids_chat(p)
        payload: dict[str, Any] = {"text": text, "author": author}
        if author == "ai":
            payload["author_id"] = "ai:nova-assistant"
        elif author == "agent":
            agent = agent or r.choice(ph.AGENTS)
            payload["author_id"] = agent[0]
            payload["agent_name"] = agent[1]
        message_id: str | None = None
        if channel == "email":
            host = "mail.novahome.example.com" if author != "customer" else "mx.example.net"
            message_id = f"<{self._hex(r, 20)}@{host}>"
            payload["message_id"] = message_id
            if subject:
                payload["subject"] = subject
            if in_reply_to:
                payload["in_reply_to"] = in_reply_to
        if lang != "en":
            payload["language_hint"] = lang
        if extra:
            payload.update(extra)
        type_ = "message.received" if author == "customer" else "message.sent"
        self.emit(at, type_, source, channel, ids, payload)
        return message_id

    def survey(
        self, p: DemoCustomer, r: random.Random, at: datetime, kind: str, score: float
    ) -> None:
        scale = {"nps": 10, "csat": 5, "ces": 7}[kind]
        frac = score / scale
        if kind == "ces":  # low effort is good: 7 = very easy in our survey wording
            tone = "positive" if frac >= 0.7 else "neutral" if frac >= 0.45 else "negative"
        elif kind == "nps":
            tone = "positive" if score >= 9 else "neutral" if score >= 7 else "negative"
        else:
            tone = "positive" if score >= 4 else "neutral" if score >= 3 else "negative"
        payload: dict[str, Any] = {
            "survey": kind,
            "score": score,
            "question": ph.SURVEY_QUESTIONS[kind],
            "scale_max": scale,
        }
        if r.random() < 0.65:
            lang = self._lang(p, r)
            bank = ph.SURVEY_COMMENTS[tone]
            payload["comment"] = r.choice(bank.get(lang) or bank["en"])
        self.emit(at, "survey.answered", "surveys", "survey", self.ids_email(p), payload)

    # --- background activity ----------------------------------------------------------
    def _day(self, d: int) -> datetime:
        return self.start + timedelta(days=d)

    def _at(self, r: random.Random, d: int, lo: int = 7, hi: int = 23) -> datetime:
        day = self._day(d).replace(hour=0, minute=0, second=0)
        return day + timedelta(seconds=r.randint(lo * 3600, hi * 3600 - 1))

    def _background(self, p: DemoCustomer) -> None:
        r = random.Random(self.seed * 7_919 + p.index * 31 + 1)
        factor = _CURRENCY_FACTOR[p.currency]
        price = round(ph.PLANS[p.plan] * factor, 2)
        # new customers (10 %) sign up inside the window
        first_day = 0 if r.random() < 0.9 or self.days < 20 else r.randint(5, self.days - 10)
        t0 = self._day(first_day) + timedelta(minutes=r.randint(1, 600))
        crm: dict[str, Any] = {
            "email": p.email,
            "phone": p.phone,
            "name": p.name,
            "external_ids": {"crm": p.crm_id},
        }
        if p.social and r.random() < 0.5:
            crm["social"] = dict(p.social)
        self.emit(
            t0,
            "contact.created" if first_day else "contact.synced",
            "crm",
            "system",
            crm,
            {
                "country": p.country,
                "language": p.lang,
                "plan": p.plan,
                "segment": r.choice(["consumer", "consumer", "consumer", "small_business"]),
            },
        )
        self.emit(
            t0 + timedelta(minutes=3),
            "account.synced",
            "billing",
            "billing",
            {"email": p.email, "external_ids": {"billing": p.billing_id}},
            {
                "plan": p.plan,
                "currency": p.currency,
                "billing_day": p.billing_day,
                "monthly_price": price,
            },
        )
        # app sessions and usage
        session_rate = 0.29 * p.activity
        for d in range(first_day, self.days):
            for _ in range(3):
                if r.random() < session_rate / 3 * 2:
                    self._session(p, r, self._at(r, d, 6, 24))
            if r.random() < 0.25:
                at = self._day(d).replace(hour=23, minute=50, second=0)
                gb = round(r.lognormvariate(1.2, 0.5) * p.activity, 2)
                if r.random() < 0.01:
                    gb = round(gb * r.uniform(6, 12), 2)  # unusual spike
                self.emit(
                    at,
                    "usage.reported",
                    "app",
                    "system",
                    {"external_ids": {"crm": p.crm_id}},
                    {"metric": "data_gb", "value": gb, "period": "day"},
                )
            if r.random() < 0.06:
                at = self._day(d).replace(hour=23, minute=55, second=0)
                self.emit(
                    at,
                    "usage.reported",
                    "app",
                    "system",
                    {"external_ids": {"crm": p.crm_id}},
                    {"metric": "devices_online", "value": float(r.randint(2, 18))},
                )
        # a plan change in the background (not when a scripted journey changes the plan)
        roll = r.random()
        change_day = r.randint(first_day, self.days - 1)
        scripted = "upgrade_question" in p.journeys or "cancellation_threat" in p.journeys
        if not scripted and roll < 0.05 and p.plan != "family":
            self._plan_change(p, r, self._at(r, change_day), up=True)
        elif not scripted and roll < 0.08 and p.plan != "basic":
            self._plan_change(p, r, self._at(r, change_day), up=False)
        new_price = round(ph.PLANS[p.plan] * factor, 2)
        # monthly payments, at the price of the plan held on that day
        for d in range(first_day, self.days):
            if self._day(d).day != p.billing_day:
                continue
            invoice = self._next("INV-")
            at = self._day(d).replace(hour=4, minute=r.randint(0, 59), second=r.randint(0, 59))
            self._payment_run(p, r, at, invoice, price if d <= change_day else new_price)
        # orders
        for _ in range(r.choices([0, 1, 2, 3, 4], weights=[25, 35, 22, 12, 6])[0]):
            d = r.randint(first_day, self.days - 1)
            self._order(p, r, self._at(r, d, 8, 23), delay=False)
        # surveys
        if r.random() < 0.45:
            kind = r.choice(["nps", "csat", "ces"])
            self.survey(
                p,
                r,
                self._at(r, r.randint(first_day, self.days - 1)),
                kind,
                self._score(r, kind, p.satisfaction),
            )
        # reviews and social posts
        if r.random() < 0.04:
            self._review(p, r, self._at(r, r.randint(first_day, self.days - 1)))
        if p.social and r.random() < 0.5:
            self._social(p, r, self._at(r, r.randint(first_day, self.days - 1)))
        # identities that will need merging: a second email or phone used, then linked
        if p.alt_email:
            d = r.randint(first_day, max(first_day, self.days - 30))
            at = self._at(r, d)
            subject = r.choice(
                ["Question about my account", "Contract", "Invoice copy", "Moving house"]
            )
            text, lang = self.customer_text(p, r, "howto.q")
            self.message(
                p,
                r,
                at,
                "email",
                "customer",
                text + f"\n\n{p.first}",
                lang=lang,
                ids={"email": p.alt_email},
                subject=subject,
            )
            self.emit(
                at + timedelta(days=r.randint(1, 12)),
                "contact.updated",
                "crm",
                "system",
                {"email": p.alt_email, "external_ids": {"crm": p.crm_id}},
                {"change": "secondary_email_added", "by": r.choice(ph.AGENTS)[0]},
            )
        if p.alt_phone:
            d = r.randint(first_day, max(first_day, self.days - 30))
            at = self._at(r, d)
            text, lang = self.customer_text(p, r, "howto.q")
            self.message(
                p, r, at, "whatsapp", "customer", text, lang=lang, ids={"phone": p.alt_phone}
            )
            self.emit(
                at + timedelta(days=r.randint(1, 12)),
                "contact.updated",
                "crm",
                "system",
                {"phone": p.alt_phone, "email": p.email},
                {"change": "secondary_phone_added"},
            )

    def _score(self, r: random.Random, kind: str, satisfaction: float) -> float:
        s = min(1.0, max(0.0, satisfaction + r.gauss(0, 0.18)))
        return float(
            {"nps": round(s * 10), "csat": 1 + round(s * 4), "ces": 1 + round(s * 6)}[kind]
        )

    def _session(
        self,
        p: DemoCustomer,
        r: random.Random,
        at: datetime,
        screens: list[str] | None = None,
        errors: int | None = None,
    ) -> None:
        k = r.randint(1, 6)
        shown = screens or ["home", *r.sample(ph.APP_SCREENS[1:], k - 1)]
        self.emit(
            at,
            "app.session",
            "app",
            "app",
            self.ids_app(p, r),
            {
                "session_id": f"s-{self._hex(r, 10)}",
                "duration_seconds": r.randint(15, 60 * 12),
                "screens": shown,
                "errors": errors if errors is not None else (1 if r.random() < 0.03 else 0),
                "app_version": r.choice(["4.12.0", "4.12.1", "4.13.0"]),
                "os": r.choice(["ios", "android"]),
            },
        )

    def _payment_run(
        self,
        p: DemoCustomer,
        r: random.Random,
        at: datetime,
        invoice: str,
        amount: float,
        force_fail: bool = False,
    ) -> bool:
        """One monthly collection with retries; return True when it finally succeeded."""
        ids = {"external_ids": {"billing": p.billing_id}}
        fail_p = 0.04 if not force_fail else 1.0
        attempt = 1
        while True:
            base = {"amount": amount, "currency": p.currency, "invoice_id": invoice, "plan": p.plan}
            if r.random() < fail_p:
                self.emit(
                    at,
                    "payment.failed",
                    "billing",
                    "billing",
                    ids,
                    {**base, "reason": r.choice(ph.FAIL_REASONS), "attempt": attempt},
                )
                if attempt >= 3:
                    self.emit(
                        at + timedelta(hours=1),
                        "subscription.suspended",
                        "billing",
                        "billing",
                        ids,
                        {"invoice_id": invoice, "reason": "unpaid"},
                    )
                    return False
                at += timedelta(days=r.choice([2, 3, 4]))
                attempt += 1
                fail_p = 0.45 if not force_fail else 0.3
                continue
            self.emit(
                at, "payment.succeeded", "billing", "billing", ids, {**base, "attempt": attempt}
            )
            return True

    def _order(
        self,
        p: DemoCustomer,
        r: random.Random,
        at: datetime,
        *,
        delay: bool,
        product: tuple[str, str, float] | None = None,
    ) -> tuple[str, str, datetime]:
        order_id = self._next("NH-")
        factor = _CURRENCY_FACTOR[p.currency]
        chosen = [product] if product else r.sample(ph.PRODUCTS, r.randint(1, 3))
        lines = [
            (sku, name, r.choice([1, 1, 1, 2]), round(price * factor, 2))
            for sku, name, price in chosen
        ]
        items = [{"sku": s, "name": n, "qty": q, "unit_price": u} for s, n, q, u in lines]
        total = round(sum(q * u for _, _, q, u in lines), 2)
        ids = {"email": p.email, "external_ids": {"shop": p.shop_id}}
        self.emit(
            at,
            "order.placed",
            "shop",
            "orders",
            ids,
            {"order_id": order_id, "items": items, "amount": total, "currency": p.currency},
        )
        carrier = r.choice(ph.CARRIERS)
        shipped = at + timedelta(hours=r.randint(12, 40))
        expected = (shipped + timedelta(days=r.randint(1, 3))).replace(hour=18, minute=0, second=0)
        self.emit(
            shipped,
            "order.shipped",
            "shop",
            "orders",
            ids,
            {
                "order_id": order_id,
                "carrier": carrier,
                "expected_at": _iso(expected),
                "tracking": f"{carrier[:2].upper()}{r.randint(10**9, 10**10 - 1)}",
            },
        )
        if not delay:
            late = r.random() < 0.05
            delivered = expected - timedelta(hours=r.randint(1, 8)) + timedelta(days=late)
            self.emit(
                delivered,
                "order.delivered",
                "shop",
                "orders",
                ids,
                {"order_id": order_id, "carrier": carrier, **({"delay_days": 1} if late else {})},
            )
        return order_id, carrier, expected

    def _plan_change(
        self, p: DemoCustomer, r: random.Random, at: datetime, *, up: bool, to: str | None = None
    ) -> None:
        i = ph.PLAN_ORDER.index(p.plan)
        if to is None:
            j = min(len(ph.PLAN_ORDER) - 1, i + 1) if up else max(0, i - 1)
            to = ph.PLAN_ORDER[j]
        if to == p.plan:
            return
        factor = _CURRENCY_FACTOR[p.currency]
        change = round((ph.PLANS[to] - ph.PLANS[p.plan]) * factor, 2)
        self.emit(
            at,
            "plan.changed",
            "billing",
            "billing",
            {"external_ids": {"billing": p.billing_id}},
            {
                "from_plan": p.plan,
                "to_plan": to,
                "mrr_change": change,
                "direction": "upgrade" if change > 0 else "downgrade",
            },
        )
        p.plan = to

    def _review(
        self, p: DemoCustomer, r: random.Random, at: datetime, negative: bool | None = None
    ) -> None:
        bad = negative if negative is not None else p.satisfaction < 0.55
        rating = float(r.choice([1, 1, 2]) if bad else r.choice([4, 5, 5]))
        self.emit(
            at,
            "review.posted",
            "crm",
            "social",
            {"email": p.email, "name": p.name},
            {
                "text": r.choice(ph.REVIEWS["negative" if bad else "positive"]),
                "network": r.choice(["trustpilot", "google", "appstore"]),
                "rating": rating,
                "url": f"https://reviews.example.com/novahome/{self._hex(r, 8)}",
            },
        )

    def _social(
        self, p: DemoCustomer, r: random.Random, at: datetime, negative: bool | None = None
    ) -> None:
        if not p.social:
            return
        bad = negative if negative is not None else p.satisfaction < 0.6
        status = r.randint(10**15, 10**16)
        self.emit(
            at,
            "social.posted",
            "crm",
            "social",
            {"social": dict(p.social)},
            {
                "text": r.choice(ph.SOCIAL["negative" if bad else "positive"]),
                "network": "x",
                "url": f"https://x.example.com/{p.social['x'][1:]}/status/{status}",
            },
        )

    # --- journeys ---------------------------------------------------------------------
    def _pick_journeys(self, people: list[DemoCustomer]) -> None:
        n = len(people)
        for kind in JOURNEY_KINDS:
            k = max(1, round(n * _JOURNEY_SHARE[kind]))
            for p in self.rng.sample(people, min(k, n)):
                p.journeys.append(kind)

    def _run_journeys(self, people: list[DemoCustomer]) -> None:
        for p in people:
            for j, kind in enumerate(p.journeys):
                r = random.Random(self.seed * 104_729 + p.index * 13 + j)
                latest = max(3, self.days - 1)
                start = self._at(r, r.randint(min(3, latest), latest))
                getattr(self, f"_j_{kind}")(p, r, start)
                self.journeys[kind] += 1
            if p.cookie_id:
                self._anonymous_then_identified(p)

    def _agent(self, r: random.Random) -> tuple[str, str]:
        return r.choice(ph.AGENTS)

    def _j_billing_dispute(self, p: DemoCustomer, r: random.Random, t: datetime) -> None:
        factor = _CURRENCY_FACTOR[p.currency]
        amount = round(ph.PLANS[p.plan] * factor, 2)
        invoice = self._next("INV-")
        ids = {"external_ids": {"billing": p.billing_id}}
        if r.random() < 0.5:
            self._payment_run(p, r, t, invoice, amount, force_fail=True)
        else:  # double charge
            base = {"amount": amount, "currency": p.currency, "invoice_id": invoice}
            self.emit(t, "payment.succeeded", "billing", "billing", ids, {**base, "attempt": 1})
            self.emit(
                t + timedelta(minutes=r.randint(1, 30)),
                "payment.succeeded",
                "billing",
                "billing",
                ids,
                {**base, "attempt": 1, "note": "duplicate collection"},
            )
        money_c = self._money(amount, p.currency, p.lang)
        t += timedelta(hours=r.uniform(2, 30))
        text, lang = self.customer_text(
            p, r, "billing.first", mood=r.choice(["calm", "angry"]), invoice=invoice, amount=money_c
        )
        self.message(p, r, t, "chat", "customer", text, lang=lang)
        t += timedelta(seconds=r.randint(5, 40))
        money = self._money(amount, p.currency, lang)
        self.message(
            p,
            r,
            t,
            "chat",
            "ai",
            self.agent_text(p, r, "billing.ai_reply", lang, None, invoice=invoice, amount=money),
            lang=lang,
        )
        # email follow-up next day(s)
        t += timedelta(hours=r.uniform(14, 60))
        subj = r.choice(ph.SUBJECTS["billing"].get(lang) or ph.SUBJECTS["billing"]["en"])
        subj = subj.format(invoice=invoice)
        text, lang2 = self.customer_text(
            p,
            r,
            "billing.email_followup",
            invoice=invoice,
            amount=money,
            date=self._date_text(t, lang),
        )
        use_alt = bool(p.alt_email) and r.random() < 0.5
        m1 = self.message(
            p,
            r,
            t,
            "email",
            "customer",
            f"{text}\n\n{p.first}",
            lang=lang2,
            subject=subj,
            ids=self.ids_email(p, alt=use_alt),
        )
        agent = self._agent(r)
        t += timedelta(hours=r.uniform(3, 26))
        due = t + timedelta(days=7)
        m2 = self.message(
            p,
            r,
            t,
            "email",
            "agent",
            self.agent_text(
                p,
                r,
                "billing.promise",
                lang2,
                agent[1],
                invoice=invoice,
                amount=money,
                due=self._date_text(due, lang2),
            ),
            lang=lang2,
            agent=agent,
            subject=f"Re: {subj}",
            in_reply_to=m1,
            extra={"promise": {"what": "refund", "amount": amount, "due_within_business_days": 5}},
        )
        kept = r.random() < 0.75
        if kept:
            t_ref = t + timedelta(days=r.uniform(1, 6))
            self.emit(
                t_ref,
                "payment.refunded",
                "billing",
                "billing",
                ids,
                {
                    "amount": amount,
                    "currency": p.currency,
                    "invoice_id": invoice,
                    "reason": "duplicate_or_failed_collection",
                },
            )
            if r.random() < 0.4:
                text, lang3 = self.customer_text(p, r, "billing.thanks")
                self.message(
                    p,
                    r,
                    t_ref + timedelta(hours=r.uniform(2, 30)),
                    "email",
                    "customer",
                    text,
                    lang=lang3,
                    subject=f"Re: {subj}",
                    in_reply_to=m2,
                )
        else:
            t_ch = t + timedelta(days=r.uniform(8, 12))
            text, lang3 = self.customer_text(
                p, r, "billing.chaser", mood="angry", amount=money, n=(t_ch - t).days
            )
            self.message(
                p,
                r,
                t_ch,
                "email",
                "customer",
                text,
                lang=lang3,
                subject=f"Re: {subj}",
                in_reply_to=m2,
            )
            if r.random() < 0.5:
                self.emit(
                    t_ch + timedelta(days=r.uniform(1, 3)),
                    "payment.refunded",
                    "billing",
                    "billing",
                    ids,
                    {
                        "amount": amount,
                        "currency": p.currency,
                        "invoice_id": invoice,
                        "reason": "late_refund",
                    },
                )
        if r.random() < 0.5:
            self.survey(
                p,
                r,
                t + timedelta(days=r.uniform(2, 9)),
                "csat",
                float(r.choice([1, 2, 3, 4]) if not kept else r.choice([3, 4, 5])),
            )

    def _j_delivery_delay(self, p: DemoCustomer, r: random.Random, t: datetime) -> None:
        product = r.choice(ph.PRODUCTS[:8])
        order_id, carrier, expected = self._order(p, r, t, delay=True, product=product)
        ids = {"email": p.email, "external_ids": {"shop": p.shop_id}}
        delay_days = r.randint(2, 6)
        t = expected - timedelta(hours=r.randint(3, 10))
        self.emit(
            t,
            "delivery.delayed",
            "shop",
            "orders",
            ids,
            {
                "order_id": order_id,
                "carrier": carrier,
                "delay_days": delay_days,
                "expected_at": _iso(expected + timedelta(days=delay_days)),
                "reason": r.choice(["depot backlog", "address issue", "weather", "missed scan"]),
            },
        )
        t += timedelta(hours=r.uniform(1, 20))
        text, lang = self.customer_text(
            p, r, "delivery.sms", order=order_id, date=self._date_text(expected, p.lang)
        )
        self.message(p, r, t, "sms", "customer", text, lang=lang)
        self.message(
            p,
            r,
            t + timedelta(minutes=r.randint(1, 9)),
            "sms",
            "ai",
            self._pick(r, "delivery.sms_reply", lang).format(
                first=p.first, order=order_id, carrier=carrier
            ),
            lang=lang,
        )
        t += timedelta(hours=r.uniform(10, 40))
        mood = "angry" if r.random() < 0.4 else "calm"
        text, lang = self.customer_text(
            p, r, "delivery.chat", mood=mood, order=order_id, carrier=carrier
        )
        self.message(p, r, t, "chat", "customer", text, lang=lang)
        agent = self._agent(r)
        new_date = (t + timedelta(days=r.randint(1, 3))).replace(hour=18, minute=0, second=0)
        self.message(
            p,
            r,
            t + timedelta(minutes=r.randint(2, 25)),
            "chat",
            "agent",
            self.agent_text(
                p,
                r,
                "delivery.promise",
                lang,
                None,
                carrier=carrier,
                order=order_id,
                due=self._date_text(new_date, lang),
            ),
            lang=lang,
            agent=agent,
            extra={"promise": {"what": "delivery", "order_id": order_id, "due_at": _iso(new_date)}},
        )
        late = r.random() < 0.2
        delivered = new_date - timedelta(hours=r.randint(1, 6)) + timedelta(days=late * 2)
        self.emit(
            delivered,
            "order.delivered",
            "shop",
            "orders",
            ids,
            {"order_id": order_id, "carrier": carrier, "delay_days": delay_days + late * 2},
        )

    def _transcript(
        self, p: DemoCustomer, r: random.Random, device: str, lang: str, agent: tuple[str, str]
    ) -> str:
        first = agent[1].split()[0]
        if lang == "de":
            lines = [
                f"Agent: NovaHome Technik, mein Name ist {first}. Wie kann ich helfen?",
                f"Customer: Mein {device} geht nicht mehr. Ich habe schon alles im Chat erklärt.",
                "Agent: Ich sehe den Chatverlauf. Ich prüfe die Leitung... Das Gerät meldet "
                "einen Hardwarefehler.",
                "Customer: Und jetzt?",
                "Agent: Ich schicke Ihnen einen Techniker mit einem Ersatzgerät.",
                "Customer: Gut, danke.",
            ]
        elif lang == "fr":
            lines = [
                f"Agent: Support technique NovaHome, {first} à l'appareil.",
                f"Customer: Mon {device} ne marche plus, j'ai déjà tout expliqué sur le chat.",
                "Agent: Je vois l'historique. Le diagnostic indique une panne matérielle.",
                "Customer: Qu'est-ce qu'on fait ?",
                "Agent: Je vous envoie un technicien avec un appareil de remplacement.",
                "Customer: D'accord, merci.",
            ]
        elif lang == "es":
            lines = [
                f"Agent: Soporte técnico de NovaHome, le atiende {first}.",
                f"Customer: Mi {device} no funciona, ya lo expliqué todo por el chat.",
                "Agent: Veo la conversación. El diagnóstico muestra un fallo de hardware.",
                "Customer: ¿Y ahora qué?",
                "Agent: Le envío un técnico con un equipo de sustitución.",
                "Customer: Vale, gracias.",
            ]
        else:
            opener = r.choice(
                [
                    f"Agent: Thanks for calling NovaHome tech support, this is {first}.",
                    f"Agent: Hi, you're through to {first} in the technical team.",
                ]
            )
            complaint = r.choice(
                [
                    f"Customer: Hi, yeah, my {device} has stopped working. I already went through "
                    "all of this in the chat.",
                    f"Customer: The {device} is dead. I've reset it twice, the assistant had me "
                    "try everything.",
                    f"Customer: I'm calling about the {device}. Red light, no internet, since "
                    "yesterday morning.",
                ]
            )
            middle = [
                "Agent: I can see the chat history, so no need to repeat it. Let me run a "
                "remote diagnostic.",
                "Customer: Okay.",
                r.choice(
                    [
                        "Agent: It's reporting a hardware fault, the unit needs replacing.",
                        "Agent: The line is fine but the device isn't responding. We'll need to "
                        "swap it.",
                    ]
                ),
                r.choice(
                    [
                        "Customer: How long will that take? I work from home.",
                        "Customer: Can't you just post me a new one?",
                        "Customer: Ugh. Fine. When?",
                    ]
                ),
                "Agent: I'll book a technician to bring a replacement and check the wiring. "
                "I'll text you the time window.",
                r.choice(
                    [
                        "Customer: Thanks.",
                        "Customer: Please make sure they actually come.",
                        "Customer: Alright, thank you.",
                    ]
                ),
            ]
            lines = [opener, complaint, *middle]
        return "\n".join(lines)

    def _j_broken_device(self, p: DemoCustomer, r: random.Random, t: datetime) -> None:
        lang = self._lang(p, r)
        device = r.choice(ph.DEVICES_BROKEN.get(lang, ph.DEVICES_BROKEN["en"]))
        self._session(
            p,
            r,
            t - timedelta(minutes=r.randint(5, 60)),
            screens=["home", "devices", "network_map", "help"],
            errors=r.randint(1, 4),
        )
        text, lang = self.customer_text(
            p, r, "device.chat", mood=r.choice(["calm", "angry"]), device=device
        )
        self.message(p, r, t, "chat", "customer", text, lang=lang)
        t += timedelta(seconds=r.randint(5, 30))
        self.message(
            p,
            r,
            t,
            "chat",
            "ai",
            self._pick(r, "device.ai_reply", lang).format(
                device=device, time=(t - timedelta(hours=2)).strftime("%H:%M")
            ),
            lang=lang,
        )
        t += timedelta(minutes=r.randint(2, 15))
        text, lang = self.customer_text(p, r, "device.chat2", device=device)
        self.message(p, r, t, "chat", "customer", text, lang=lang)
        t += timedelta(seconds=r.randint(5, 30))
        self.message(p, r, t, "chat", "ai", self._pick(r, "device.ai_handoff", lang), lang=lang)
        # the call
        agent = self._agent(r)
        call_id = f"call-{self._hex(r, 12)}"
        t += timedelta(minutes=r.randint(5, 90))
        phone_ids = self.ids_phone(p, r)
        self.emit(
            t,
            "call.started",
            "voice",
            "voice",
            phone_ids,
            {"call_id": call_id, "direction": "outbound", "agent_id": agent[0]},
        )
        duration = r.randint(240, 1100)
        t += timedelta(seconds=duration)
        self.emit(
            t,
            "call.ended",
            "voice",
            "voice",
            phone_ids,
            {
                "call_id": call_id,
                "direction": "outbound",
                "duration_seconds": duration,
                "agent_id": agent[0],
                "transcript": self._transcript(p, r, device, lang, agent),
                "language_hint": lang,
            },
        )
        # the visit
        tech = r.choice(ph.TECHNICIANS)
        visit_day = (t + timedelta(days=r.randint(1, 4))).replace(minute=0, second=0)
        start_h = r.choice([8, 10, 12, 14])
        w_start = visit_day.replace(hour=start_h)
        w_end = w_start + timedelta(hours=4)
        visit_id = self._next("V-")
        crm_ids = {"external_ids": {"crm": p.crm_id}, "phone": p.phone}
        self.emit(
            t + timedelta(minutes=3),
            "visit.scheduled",
            "fieldservice",
            "field",
            crm_ids,
            {
                "visit_id": visit_id,
                "window_start": _iso(w_start),
                "window_end": _iso(w_end),
                "technician": tech,
                "status": "scheduled",
                "notes": f"Replace {device}; customer reports red light / no connectivity.",
            },
        )
        self.message(
            p,
            r,
            t + timedelta(minutes=5),
            "sms",
            "agent",
            self.agent_text(
                p,
                r,
                "device.visit_promise",
                lang,
                None,
                due=self._date_text(w_start, lang),
                start=w_start.strftime("%H:%M"),
                end=w_end.strftime("%H:%M"),
                tech=tech,
                device=device,
            ),
            lang=lang,
            agent=agent,
            extra={
                "promise": {"what": "technician_visit", "visit_id": visit_id, "due_at": _iso(w_end)}
            },
        )
        if r.random() < 0.25:  # missed visit
            if r.random() < 0.5:
                self.emit(
                    w_end + timedelta(minutes=20),
                    "visit.completed",
                    "fieldservice",
                    "field",
                    crm_ids,
                    {
                        "visit_id": visit_id,
                        "technician": tech,
                        "status": "missed",
                        "notes": "Technician delayed on previous job.",
                    },
                )
            t2 = w_end + timedelta(hours=r.uniform(1, 4))
            text, lang = self.customer_text(
                p,
                r,
                "device.missed",
                mood="angry",
                start=w_start.strftime("%H:%M"),
                end=w_end.strftime("%H:%M"),
            )
            channel = r.choice(["chat", "whatsapp", "email"])
            self.message(
                p,
                r,
                t2,
                channel,
                "customer",
                text,
                lang=lang,
                subject="Technician did not show up" if channel == "email" else None,
            )
            if p.social and r.random() < 0.7:
                self._social(p, r, t2 + timedelta(minutes=r.randint(5, 60)), negative=True)
            w_start = (t2 + timedelta(days=1)).replace(hour=8, minute=0, second=0)
            w_end = w_start + timedelta(hours=2)
            reply = self.agent_text(
                p,
                r,
                "device.missed_reply",
                lang,
                None,
                due=self._date_text(w_start, lang),
                start=w_start.strftime("%H:%M"),
                end=w_end.strftime("%H:%M"),
            )
            self.message(
                p,
                r,
                t2 + timedelta(minutes=r.randint(5, 50)),
                channel,
                "agent",
                reply,
                lang=lang,
                agent=self._agent(r),
                subject="Re: Technician did not show up" if channel == "email" else None,
                extra={"promise": {"what": "technician_visit", "due_at": _iso(w_end)}},
            )
            visit_id = self._next("V-")
            tech = r.choice(ph.TECHNICIANS)
            self.emit(
                t2 + timedelta(minutes=55),
                "visit.scheduled",
                "fieldservice",
                "field",
                crm_ids,
                {
                    "visit_id": visit_id,
                    "window_start": _iso(w_start),
                    "window_end": _iso(w_end),
                    "technician": tech,
                    "status": "scheduled",
                    "priority": "high",
                    "notes": f"Rebooked after missed visit. Replace {device}.",
                },
            )
        done = w_start + timedelta(minutes=r.randint(20, 200))
        fixed = r.random() < 0.9
        self.emit(
            done,
            "visit.completed",
            "fieldservice",
            "field",
            crm_ids,
            {
                "visit_id": visit_id,
                "technician": tech,
                "status": "fixed" if fixed else "not_fixed",
                "notes": (
                    f"Replaced {device}, tested connection, customer happy."
                    if fixed
                    else "Fault in building wiring; follow-up with network team."
                ),
                "parts": [device] if fixed else [],
            },
        )
        if r.random() < 0.6:
            self.survey(
                p,
                r,
                done + timedelta(hours=r.uniform(1, 20)),
                "ces",
                float(r.randint(4, 7) if fixed else r.randint(1, 3)),
            )

    def _j_cancellation_threat(self, p: DemoCustomer, r: random.Random, t: datetime) -> None:
        lang_c = p.lang
        channels = r.sample(["email", "chat", "whatsapp"], 2)
        subj = r.choice(ph.SUBJECTS["churn"].get(lang_c) or ph.SUBJECTS["churn"]["en"])
        lower = ph.PLAN_ORDER[max(0, ph.PLAN_ORDER.index(p.plan) - 1)]
        last_id: str | None = None
        lang = lang_c
        for i, channel in enumerate(channels):
            text, lang = self.customer_text(p, r, "churn.angry", mood="angry", plan=p.plan.title())
            mid = self.message(
                p,
                r,
                t,
                channel,
                "customer",
                text,
                lang=lang,
                subject=(subj if i == 0 else f"Re: {subj}") if channel == "email" else None,
            )
            last_id = mid or last_id
            t += timedelta(hours=r.uniform(3, 30))
        self.survey(p, r, t, "nps", float(r.randint(0, 4)))
        if p.social and r.random() < 0.5:
            self._social(p, r, t + timedelta(hours=1), negative=True)
        t += timedelta(hours=r.uniform(2, 24))
        agent = self._agent(r)
        credit = self._money(round(10 * _CURRENCY_FACTOR[p.currency], 2), p.currency, lang)
        offer_channel = r.choice(["voice", channels[-1]])
        offer = self.agent_text(
            p,
            r,
            "churn.offer",
            lang,
            agent[1] if offer_channel == "email" else None,
            plan=p.plan.title(),
            lower=lower.title(),
            credit=credit,
        )
        if offer_channel == "voice":
            call_id = f"call-{self._hex(r, 12)}"
            dur = r.randint(300, 900)
            transcript = (
                f"Agent: Hello {p.first}, it's {agent[1].split()[0]} from NovaHome, "
                "I'm calling about your messages.\nCustomer: Finally. I want to "
                f"cancel.\nAgent: {offer}\nCustomer: "
            )
            outcome = r.choices(["accepted", "downgraded", "cancelled"], weights=[40, 25, 35])[0]
            transcript += {
                "accepted": "Okay. I'll try it for three months.",
                "downgraded": "No. Just move me to the cheapest plan.",
                "cancelled": "No. I've made up my mind.",
            }[outcome]
            ids = self.ids_phone(p, r)
            self.emit(
                t,
                "call.started",
                "voice",
                "voice",
                ids,
                {"call_id": call_id, "direction": "outbound", "agent_id": agent[0]},
            )
            t += timedelta(seconds=dur)
            self.emit(
                t,
                "call.ended",
                "voice",
                "voice",
                ids,
                {
                    "call_id": call_id,
                    "direction": "outbound",
                    "duration_seconds": dur,
                    "agent_id": agent[0],
                    "transcript": transcript,
                },
            )
        else:
            self.message(
                p,
                r,
                t,
                offer_channel,
                "agent",
                offer,
                lang=lang,
                agent=agent,
                subject=f"Re: {subj}" if offer_channel == "email" else None,
                in_reply_to=last_id if offer_channel == "email" else None,
                extra={"offer": "retention_discount_50pct_3m"},
            )
            outcome = r.choices(["accepted", "downgraded", "cancelled"], weights=[40, 25, 35])[0]
            key = {
                "accepted": "churn.accept",
                "downgraded": "churn.downgrade",
                "cancelled": "churn.leave",
            }[outcome]
            t += timedelta(hours=r.uniform(0.2, 20))
            text, lang = self.customer_text(p, r, key, lower=lower.title())
            self.message(
                p,
                r,
                t,
                offer_channel,
                "customer",
                text,
                lang=lang,
                subject=f"Re: {subj}" if offer_channel == "email" else None,
            )
        t += timedelta(minutes=r.randint(10, 120))
        billing = {"external_ids": {"billing": p.billing_id}}
        if outcome == "accepted":
            self.emit(
                t,
                "offer.accepted",
                "crm",
                "system",
                {"external_ids": {"crm": p.crm_id}},
                {
                    "offer": "retention_discount_50pct_3m",
                    "agent_id": agent[0],
                    "value": round(ph.PLANS[p.plan] * _CURRENCY_FACTOR[p.currency] * 1.5, 2),
                    "currency": p.currency,
                },
            )
        elif outcome == "downgraded":
            self._plan_change(p, r, t, up=False, to="basic" if p.plan != "basic" else None)
        else:
            self.emit(
                t,
                "subscription.cancelled",
                "billing",
                "billing",
                billing,
                {
                    "plan": p.plan,
                    "reason": r.choice(
                        ["service_quality", "price", "moving_abroad", "competitor_offer"]
                    ),
                    "effective_at": _iso(t + timedelta(days=30)),
                },
            )

    def _j_upgrade_question(self, p: DemoCustomer, r: random.Random, t: datetime) -> None:
        top = p.plan == ph.PLAN_ORDER[-1]  # already on the top plan: asks, changes nothing
        current = ph.PLAN_ORDER[-2] if top else p.plan
        higher = ph.PLAN_ORDER[ph.PLAN_ORDER.index(current) + 1]
        for k in range(r.randint(1, 3)):
            self._session(
                p,
                r,
                t - timedelta(days=k, minutes=r.randint(1, 300)),
                screens=["home", "plans", "compare_plans", "billing"][: r.randint(2, 4)],
            )
        text, lang = self.customer_text(
            p, r, "upgrade.chat", plan=current.title(), higher=higher.title()
        )
        self.message(p, r, t, "chat", "customer", text, lang=lang)
        price = self._money(
            round(ph.PLANS[higher] * _CURRENCY_FACTOR[p.currency], 2), p.currency, lang
        )
        self.message(
            p,
            r,
            t + timedelta(seconds=r.randint(5, 30)),
            "chat",
            "ai" if r.random() < 0.7 else "agent",
            self.agent_text(p, r, "upgrade.reply", lang, None, higher=higher.title(), price=price),
            lang=lang,
        )
        if not top and r.random() < 0.75:
            t += timedelta(minutes=r.randint(1, 60 * 30))
            text, lang = self.customer_text(p, r, "upgrade.ok")
            self.message(p, r, t, "chat", "customer", text, lang=lang)
            self._plan_change(p, r, t + timedelta(minutes=r.randint(1, 10)), up=True, to=higher)

    def _j_repeat_contact(self, p: DemoCustomer, r: random.Random, t: datetime) -> None:
        """Slow internet: chat, then WhatsApp ("I already told you"), then a call."""
        mbps = r.randint(3, 40)
        ids = {"external_ids": {"crm": p.crm_id}}
        for k in range(3):
            self.emit(
                t - timedelta(days=k, hours=r.randint(1, 5)),
                "usage.reported",
                "app",
                "system",
                ids,
                {"metric": "speed_mbps", "value": float(r.randint(3, 40)), "period": "test"},
            )
        text, lang = self.customer_text(p, r, "slow.first", plan=p.plan.title(), mbps=mbps)
        self.message(p, r, t, "chat", "customer", text, lang=lang)
        self.message(
            p,
            r,
            t + timedelta(seconds=r.randint(5, 30)),
            "chat",
            "ai",
            self.agent_text(p, r, "slow.ai", lang, None),
            lang=lang,
        )
        t += timedelta(hours=r.uniform(20, 50))
        text, lang = self.customer_text(p, r, "slow.second", mood="angry", mbps=mbps)
        self.message(p, r, t, "whatsapp", "customer", text, lang=lang)
        self.message(
            p,
            r,
            t + timedelta(minutes=r.randint(1, 10)),
            "whatsapp",
            "ai",
            self.agent_text(p, r, "slow.ai", lang, None),
            lang=lang,
        )
        t += timedelta(hours=r.uniform(20, 60))
        agent = self._agent(r)
        due = t + timedelta(days=r.randint(2, 5))
        promise = self.agent_text(p, r, "slow.promise", "en", None, due=self._date_text(due, "en"))
        call_id = f"call-{self._hex(r, 12)}"
        duration = r.randint(180, 700)
        transcript = "\n".join(
            [
                f"Agent: NovaHome, {agent[1].split()[0]} speaking.",
                "Customer: "
                + r.choice(
                    [
                        "Third time I'm contacting you about the speed. I already told "
                        "the chat and WhatsApp everything.",
                        "Hi. My internet is still slow, I've written twice already.",
                    ]
                ),
                "Agent: I can see both conversations, you don't need to repeat anything.",
                f"Agent: {promise}",
                "Customer: "
                + r.choice(
                    [
                        "Okay. Please actually call me back.",
                        "Fine.",
                        "Thank you, finally someone who listens.",
                    ]
                ),
            ]
        )
        phone_ids = self.ids_phone(p, r)
        self.emit(
            t,
            "call.started",
            "voice",
            "voice",
            phone_ids,
            {"call_id": call_id, "direction": "inbound"},
        )
        self.emit(
            t + timedelta(seconds=duration),
            "call.ended",
            "voice",
            "voice",
            phone_ids,
            {
                "call_id": call_id,
                "direction": "inbound",
                "duration_seconds": duration,
                "agent_id": agent[0],
                "transcript": transcript,
                "promise": {"what": "line_check", "due_at": _iso(due)},
            },
        )
        if r.random() < 0.7:
            self.emit(
                due - timedelta(hours=r.randint(2, 30)),
                "usage.reported",
                "app",
                "system",
                ids,
                {"metric": "speed_mbps", "value": float(r.randint(180, 320)), "period": "test"},
            )

    def _j_howto(self, p: DemoCustomer, r: random.Random, t: datetime) -> None:
        channel = r.choices(["chat", "whatsapp", "email", "app"], weights=[50, 20, 20, 10])[0]
        text, lang = self.customer_text(p, r, "howto.q")
        subject = (
            r.choice(["Quick question", "Help", "wifi", "Account"]) if channel == "email" else None
        )
        mid = self.message(
            p,
            r,
            t,
            channel if channel != "app" else "chat",
            "customer",
            text,
            lang=lang,
            subject=subject,
            extra={"entry_point": "app"} if channel == "app" else None,
        )
        channel = channel if channel != "app" else "chat"
        delay = (
            timedelta(seconds=r.randint(4, 40))
            if channel != "email"
            else timedelta(hours=r.uniform(1, 20))
        )
        self.message(
            p,
            r,
            t + delay,
            channel,
            "ai",
            self.agent_text(
                p,
                r,
                "howto.a",
                lang,
                "Nova (virtual assistant)" if channel == "email" else None,
                area=r.choice(ph.HOWTO_AREAS),
            ),
            lang=lang,
            subject=f"Re: {subject}" if subject else None,
            in_reply_to=mid,
        )
        if channel != "email" and r.random() < 0.6:
            text, lang = self.customer_text(p, r, "howto.thanks")
            self.message(
                p,
                r,
                t + delay + timedelta(seconds=r.randint(10, 120)),
                channel,
                "customer",
                text,
                lang=lang,
            )
        if r.random() < 0.3:
            self.survey(
                p,
                r,
                t + timedelta(hours=r.uniform(1, 6)),
                "csat",
                float(r.choice([3, 4, 4, 5, 5, 5])),
            )

    def _anonymous_then_identified(self, p: DemoCustomer) -> None:
        """A web-chat visitor known only by a cookie who later gives an email address."""
        r = random.Random(self.seed * 15_485_863 + p.index)
        assert p.cookie_id is not None
        d = r.randint(1, max(1, self.days - 2))
        t = self._at(r, d)
        anon = {"cookie_id": p.cookie_id}
        lang = self._lang(p, r)
        q = r.choice(
            {
                "en": [
                    "do you deliver to {city}?",
                    "Is there a student discount?",
                    "how fast is the Plus plan really",
                    "can I keep my own router?",
                ],
                "de": ["Liefern Sie auch nach {city}?", "Kann ich meinen eigenen Router behalten?"],
                "fr": ["Vous livrez à {city} ?", "Je peux garder ma propre box ?"],
                "es": ["¿Hacéis envíos a {city}?", "¿Puedo usar mi propio router?"],
            }[lang]
        ).format(city=r.choice(["Leeds", "Köln", "Lyon", "Sevilla", "Utrecht", "Pune"]))
        self.message(
            p,
            r,
            t,
            "chat",
            "customer",
            q,
            lang=lang,
            ids=anon,
            extra={"page": r.choice(["/pricing", "/plans/plus", "/help", "/"])},
        )
        self.message(
            p,
            r,
            t + timedelta(seconds=r.randint(4, 20)),
            "chat",
            "ai",
            {
                "en": "Yes! Could you leave your email so we can send you the details?",
                "de": "Ja! Hinterlassen Sie uns Ihre E-Mail-Adresse?",
                "fr": "Oui ! Pouvez-vous nous laisser votre e-mail ?",
                "es": "¡Sí! ¿Nos dejas tu correo?",
            }[lang],
            lang=lang,
            ids=anon,
        )
        t += timedelta(minutes=r.randint(1, 5) if r.random() < 0.6 else 60 * r.randint(20, 200))
        given = r.choice(
            {
                "en": ["{e}", "sure, it's {e}", "{e} thanks", "ok {e}"],
                "de": ["{e}", "klar: {e}"],
                "fr": ["{e}", "oui : {e}"],
                "es": ["{e}", "claro, {e}"],
            }[lang]
        ).format(e=p.email)
        self.message(p, r, t, "chat", "customer", given, lang=lang, ids=anon)
        self.emit(
            t + timedelta(seconds=2),
            "visitor.identified",
            "webchat",
            "web",
            {"cookie_id": p.cookie_id, "email": p.email, "name": p.name},
            {"method": "prechat_form"},
        )

    def _lead(self, p: DemoCustomer) -> None:
        """A prospect: anonymous chat, identifies, maybe buys something from the shop."""
        self._anonymous_then_identified(p)
        r = random.Random(self.seed * 32_452_843 + p.index)
        if r.random() < 0.4:
            d = r.randint(self.days // 2, self.days - 1)
            self._order(p, r, self._at(r, d), delay=False)
