"""Demo journey module: the scripted cancellation threat journey.

May use ``demo.background``, ``demo.engine``, ``demo.people`` and ``demo.phrases``.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from onestory.demo import phrases as ph
from onestory.demo.background import Background
from onestory.demo.engine import _CURRENCY_FACTOR, _iso
from onestory.demo.people import DemoCustomer


class CancellationThreat(Background):
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
