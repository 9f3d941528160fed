"""The demo scribe: ids, event emission, message and survey text shared by every part.

Owns the event buffer, the id counters and the text helpers. May use ``demo.people`` and
``demo.phrases`` only; background traffic and journeys build on it.
"""

from __future__ import annotations

import random
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

from onestory.demo import phrases as ph
from onestory.demo.people import DIAL, DemoCustomer, People, hex_digits

_CURRENCY_FACTOR = {"GBP": 1.0, "USD": 1.25, "EUR": 1.15, "INR": 85.0}
_CURRENCY_SIGN = {"GBP": "£", "USD": "$", "EUR": "€", "INR": "₹"}

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


def _iso(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class Scribe:
    def __init__(self, *, seed: int, now: datetime, days: int) -> None:
        self.seed = seed
        self.now = now.astimezone(UTC).replace(microsecond=0)
        self.start = self.now - timedelta(days=days)
        self.days = days
        self.rng = random.Random(seed)
        self.raw: list[tuple[datetime, int, dict[str, Any]]] = []
        self.journeys: Counter[str] = Counter()
        self._ids: Counter[str] = Counter()
        self.people = People(seed)

    def _next(self, prefix: str) -> str:
        self._ids[prefix] += 1
        return f"{prefix}{self._ids[prefix]:05d}"

    def _hex(self, r: random.Random, n: int) -> str:
        return hex_digits(r, n)

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

    def ids_email(self, p: DemoCustomer, alt: bool = False) -> dict[str, Any]:
        email = p.alt_email if alt and p.alt_email else p.email
        return {"email": email, "name": p.name}

    def ids_phone(self, p: DemoCustomer, r: random.Random, alt: bool = False) -> dict[str, Any]:
        number = p.alt_phone if alt and p.alt_phone else p.phone
        if r.random() < 0.15:  # some systems send a spaced international format
            dial = DIAL[p.country]
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

    def _day(self, d: int) -> datetime:
        return self.start + timedelta(days=d)

    def _at(self, r: random.Random, d: int, lo: int = 7, hi: int = 23) -> datetime:
        day = self._day(d).replace(hour=0, minute=0, second=0)
        return day + timedelta(seconds=r.randint(lo * 3600, hi * 3600 - 1))

    def _agent(self, r: random.Random) -> tuple[str, str]:
        return r.choice(ph.AGENTS)
