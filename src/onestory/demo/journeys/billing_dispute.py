"""Demo journey module: the scripted billing dispute journey.

May use ``demo.background``, ``demo.engine``, ``demo.people`` and ``demo.phrases``.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from onestory.demo import phrases as ph
from onestory.demo.background import Background
from onestory.demo.engine import _CURRENCY_FACTOR
from onestory.demo.people import DemoCustomer


class BillingDispute(Background):
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
