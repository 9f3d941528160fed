"""Demo journey module: the scripted howto journey.

May use ``demo.background``, ``demo.engine``, ``demo.people`` and ``demo.phrases``.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from onestory.demo import phrases as ph
from onestory.demo.background import Background
from onestory.demo.people import DemoCustomer


class Howto(Background):
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
