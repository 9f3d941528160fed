"""Demo journey module: the scripted broken device journey.

May use ``demo.background``, ``demo.engine``, ``demo.people`` and ``demo.phrases``.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from onestory.demo import phrases as ph
from onestory.demo.background import Background
from onestory.demo.engine import _iso
from onestory.demo.people import DemoCustomer


class BrokenDevice(Background):
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
