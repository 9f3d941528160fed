"""Demo journey module: the scripted upgrade question journey.

May use ``demo.background``, ``demo.engine``, ``demo.people`` and ``demo.phrases``.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from onestory.demo import phrases as ph
from onestory.demo.background import Background
from onestory.demo.engine import _CURRENCY_FACTOR
from onestory.demo.people import DemoCustomer


class UpgradeQuestion(Background):
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
