"""Demo journey module: the scripted delivery delay journey.

May use ``demo.background``, ``demo.engine``, ``demo.people`` and ``demo.phrases``.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from onestory.demo import phrases as ph
from onestory.demo.background import Background
from onestory.demo.engine import _iso
from onestory.demo.people import DemoCustomer


class DeliveryDelay(Background):
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
