"""Demo journey module: anonymous web visitors who identify themselves, and prospects.

May use ``demo.background``, ``demo.engine``, ``demo.people`` and ``demo.phrases``.
"""

from __future__ import annotations

import random
from datetime import timedelta

from onestory.demo.background import Background
from onestory.demo.people import DemoCustomer


class Visitors(Background):
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
