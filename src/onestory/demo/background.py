"""Steady background traffic: CRM and billing sync, app sessions, usage, payments, orders,
plan changes, surveys, reviews and social posts for every demo customer.

May use ``demo.engine``, ``demo.people`` and ``demo.phrases``; journeys reuse its builders.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import Any

from onestory.demo import phrases as ph
from onestory.demo.engine import _CURRENCY_FACTOR, Scribe, _iso
from onestory.demo.people import DemoCustomer


class Background(Scribe):
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
