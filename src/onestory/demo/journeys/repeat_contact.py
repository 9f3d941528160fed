"""Demo journey module: the scripted repeat contact journey.

May use ``demo.background``, ``demo.engine``, ``demo.people`` and ``demo.phrases``.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from onestory.demo.background import Background
from onestory.demo.engine import _iso
from onestory.demo.people import DemoCustomer


class RepeatContact(Background):
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
