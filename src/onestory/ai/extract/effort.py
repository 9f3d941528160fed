"""Customer effort and frustration: what a message says, and what the conversation shows.

`message_effort(text)` finds signals in one message: repeat asks ("for the third time"),
escalation ("speak to a manager", "ombudsman"), threats to leave ("cancel my account",
"switching to X"), waiting ("on hold for 45 minutes") and shouting (capitals, "!!!").
`effort_score(...)` combines the signals of one or more messages with conversation context
(contacts about the same problem, channel switches, transfers) into a score in [0, 1] with the
reasons behind it. Weights are combined as independent evidence (noisy-OR), so every extra
signal raises the score but it never passes 1.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from onestory.ai.extract._text import fold

__all__ = [
    "ContactContext",
    "EffortLevel",
    "EffortScore",
    "EffortSignal",
    "MessageEffort",
    "SignalKind",
    "effort_score",
    "message_effort",
]

SignalKind = Literal["repeat", "escalation", "legal", "churn", "waiting", "shouting", "exclaiming"]
EffortLevel = Literal["low", "medium", "high"]


@dataclass(frozen=True, slots=True)
class EffortSignal:
    kind: SignalKind
    text: str
    start: int
    end: int
    weight: float
    detail: str | None = None  # "3" for "for the third time", a competitor for "switching to X"

    def to_dict(self) -> dict[str, object]:
        return {
            "kind": self.kind,
            "text": self.text,
            "start": self.start,
            "end": self.end,
            "weight": self.weight,
            "detail": self.detail,
        }


@dataclass(frozen=True, slots=True)
class MessageEffort:
    signals: tuple[EffortSignal, ...] = ()
    caps_ratio: float = 0.0  # share of letters in all-capital words
    exclamations: int = 0

    def has(self, kind: SignalKind) -> bool:
        return any(s.kind == kind for s in self.signals)


@dataclass(frozen=True, slots=True)
class ContactContext:
    """What the caller knows about the conversation, counted by the caller from the story.

    ``contacts_same_problem`` includes the current contact; ``window_days`` is the period they
    were counted over (reported in the reasons only).
    """

    contacts_same_problem: int = 1
    window_days: int = 7
    channel_switches: int = 0
    transfers: int = 0
    reopened: int = 0


@dataclass(frozen=True, slots=True)
class EffortScore:
    score: float
    level: EffortLevel
    reasons: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, object]:
        return {"score": self.score, "level": self.level, "reasons": list(self.reasons)}


_ORDINALS = {
    "second": 2,
    "third": 3,
    "fourth": 4,
    "fifth": 5,
    "sixth": 6,
    "seventh": 7,
    "tenth": 10,
    "zweiten": 2,
    "dritten": 3,
    "vierten": 4,
    "fünften": 5,
    "deuxième": 2,
    "troisième": 3,
    "quatrième": 4,
    "cinquième": 5,
    "segunda": 2,
    "tercera": 3,
    "cuarta": 4,
    "quinta": 5,
    "seconda": 2,
    "terza": 3,
    "quarta": 4,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "ten": 10,
    "several": 3,
    "multiple": 3,
    "many": 3,
    "countless": 5,
    "zwei": 2,
    "drei": 3,
    "vier": 4,
    "fünf": 5,
    "deux": 2,
    "trois": 3,
    "quatre": 4,
    "dos": 2,
    "tres": 3,
    "tre": 3,
    "dreimal": 3,
    "viermal": 4,
    "fünfmal": 5,
    "zweimal": 2,
    "mehrmals": 3,
    "mehrfach": 3,
    "plusieurs": 3,
    "varias": 3,
    "tante": 3,
}
_COUNT_WORDS = "|".join(sorted(_ORDINALS, key=len, reverse=True))
_COUNT = rf"(?:\d{{1,2}}|{_COUNT_WORDS})"
_ORDINAL = (
    r"(?:second|third|fourth|fifth|sixth|seventh|umpteenth|nth|\d{1,2}(?:st|nd|rd|th)|zweite|"
    r"dritte|vierte|deuxième|troisième|quatrième|segunda|tercera|cuarta)"
)
_COUNT_IN = re.compile(
    rf"(?i)(?<![\w])(?P<count>\d{{1,2}}|{_COUNT_WORDS})(?:st|nd|rd|th|\.)?(?![\w])"
)

_REPEAT = re.compile(
    rf"""(?x)(?<![\w])(?:
      i\s(?:have\s|'ve\s)?already\s(?:told|explained|said|sent|gave|given|called|asked|
        provided|reported|mentioned)
    | (?:already|have)\s(?:told|explained\sto)\syou
    | for\sthe\s(?:{_COUNT}(?:st|nd|rd|th)?|umpteenth|nth)\stime
    | (?:this\sis|it's|it\sis)\sthe\s(?:{_COUNT}(?:st|nd|rd|th)?|umpteenth|nth)\stime
    | (?:called|rang|phoned|emailed|written|wrote|contacted\syou|chatted|asked|complained)
        (?:\s\w{{1,12}}){{0,2}}\s{_COUNT}\stimes
    | {_COUNT}\stimes\s(?:now|already|this\s(?:week|month)|today)
    | (?:yet|once)\sagain | again\s?[!?]{{1,5}} | again\sand\sagain | over\sand\sover
    | (?:called|rang|phoned|emailed|told|asked|contacted)(?:\s\w{{1,12}}){{0,2}}\s(?:twice|thrice)
    | (?:my|the|our|this\sis\smy)\s{_ORDINAL}\s(?:email|e-mail|call|chat|message|letter|complaint
        |attempt|request|contact)
    | {_ORDINAL}\s(?:call|email|chat|message|attempt|contact)\s(?:today|this\sweek|this\smonth|now)
    | (?:explain|explained|explaining|tell|told|telling|repeat|repeated)\s(?:this\s|it\s|that\s
        |the\s\w{{1,12}}\s)?to\s(?:every|each|several|multiple|different|{_COUNT})(?=\s)
    | (?:asked|told)\s(?:me|you)\s(?:that|this|it)\s(?:already|before)
    | already\s(?:asked|answered|told|gave|sent)\s(?:you|this|that|it)
    | went\sthrough\s(?:all\s(?:of\s)?)?(?:this|that|it)\s(?:already|before|last)
    | (?:passed|bounced|transferred|shunted)\s(?:around|from\s\w{{1,15}}\sto)
    | chasing\s(?:this|it|you|again|up)
    | how\smany\stimes | (?:keep|keeps)\s(?:asking|telling|calling|having\sto|explaining
        |getting\spassed|being\spassed|getting\stransferred|being\stransferred)
    | as\si\s(?:said|mentioned|explained|told\syou) | repeat(?:ing)?\smyself
    | (?:same|this)\s(?:problem|issue)\s(?:again|as\sbefore|keeps)
    | schon\swieder | zum\s(?:{_COUNT}|\d{{1,2}}\.)\smal | (?:bereits|schon)\s{_COUNT}
    | ich\shabe\s(?:es\s)?(?:schon|bereits)\s(?:gesagt|erklärt|angerufen|geschrieben)
    | encore\sune\sfois | pour\sla\s{_COUNT}\sfois | déjà\s(?:dit|expliqué|appelé|écrit)
    | {_COUNT}\sfois | otra\svez | de\snuevo | (?:por\s)?{_COUNT}\svez
    | ya\s(?:les\s|se\slo\s)?(?:dije|expliqué|llamé|escribí) | {_COUNT}\sveces
    | di\snuovo | ancora\suna\svolta | per\sla\s{_COUNT}\svolta | già\sdetto | {_COUNT}\svolte
    )(?![\w])"""
)
_ESCALATION = re.compile(
    r"""(?x)(?<![\w])(?:
      (?:speak|talk|put\sme\sthrough|transfer\sme|get\sme|connect\sme|escalate\s(?:this|it)\sto
        |i\swant|i\sneed|i\sdemand|let\sme\sspeak)\s(?:to\s|with\s)?(?:a\s|an\s|your\s|the\s
        |someone\s)?(?:manager|supervisor|superior|team\sleader|team\slead|senior|someone\ssenior
        |someone\sin\scharge|person\sin\scharge|human|real\sperson)
    | escalat(?:e|ed|ing|ion) | formal\scomplaint | (?:make|file|raise|lodge|log)\sa\scomplaint
    | complaints\sdepartment | report\syou | (?:bad|negative|1[-\s]star|one[-\s]star)\sreview
    | (?:post|tweet|share)\s(?:this|it)\s(?:on|online) | chargeback
    | (?:post|posting|tweet|tweeting|put|putting|share|sharing)\s(?:\w{1,10}\s){0,3}?(?:on|to)\s
        (?:twitter|facebook|instagram|tiktok|reddit|trustpilot|social\smedia|linkedin|youtube)
    | vorgesetzten | beschwerde | beschweren | réclamation | plainte
    | parler\s(?:à|au|avec)\s(?:un\s|le\s|votre\s)?(?:responsable|supérieur|manager)
    | hablar\scon\s(?:un|el|su)\s(?:supervisor|encargado|responsable|gerente)
    | reclamación | queja\sformal | hoja\sde\sreclamaciones
    | parlare\scon\s(?:un|il)\s(?:responsabile|supervisore) | reclamo
    )(?![\w])"""
)
_LEGAL = re.compile(
    r"""(?x)(?<![\w])(?:
      ombudsman | lawyer | lawyers | solicitor | attorney | legal\saction | take\syou\sto\scourt
    | sue\syou | small\sclaims | trading\sstandards | regulator | ofcom | ofgem | fca
    | better\sbusiness\sbureau | bbb | consumer\sprotection | anwalt | rechtsanwalt
    | rechtliche\sschritte | verbraucherzentrale | schlichtungsstelle | avocat | médiateur
    | abogado | denuncia | avvocato | garante
    )(?![\w])"""
)
_CHURN = re.compile(
    r"""(?x)(?<![\w])(?:
      cancel(?:l?ing)?\s(?:my|the|our)\s(?:account|subscription|contract|service|membership|plan
        |broadband|policy|line)
    | close\s(?:my|our)\saccount
    | (?:(?:switch|switching|move|moving|port|porting)\s(?:over\s)?to|(?:go|going|went)\swith)\s
        (?P<rival>(?:a\s)?competitor|another\s(?:provider|company|bank|carrier|supplier|network)
        |(?P<name>[^\W\d_][\w&\-]{1,20}(?:\s[^\W\d_][\w&\-]{1,20})?))
    | take\s(?:my|our)\s(?:business|custom|money)\selsewhere
    | (?:i'?m|i\sam|we'?re|we\sare)\sdone\swith\syou
    | (?:i'?m|i\sam|we'?re|we\sare)\sleaving(?:\syou|\sfor\sgood)
    | looking\s(?:at|for)\s(?:other|another|alternative|different)\s(?:providers?|suppliers?
        |companies|company|options|banks?|networks?|carriers?)
    | (?:go|going|move|moving|switch|switching)\s(?:with|to)\s(?:a\s)?(?:different|other)\s
        (?:company|provider|supplier|bank|network|carrier)
    | (?:i'?m|i\sam|we'?re|we\sare|i'?ll\sbe|i\swill\sbe)\scancell?ing(?!\s(?:the|this|that|an?)
        \s(?:order|item|booking|appointment|payment))
    | terminate\s(?:my|our|the)\s(?:contract|account|subscription|service|agreement)
    | never\s(?:use|buy|order|shop)\s(?:\w{1,10}\s)?(?:from\s|with\s)?you
        \sagain | not\s(?:be\s)?renewing | won'?t\s(?:be\s)?renew(?:ing)? | port\smy\snumber
    | kündigen | kündige | kündigung | anbieter\swechseln | résilier | résiliation
    | changer\sd'opérateur | darme\sde\sbaja | dar\sde\sbaja
    | cancelar\s(?:mi|el)\s(?:cuenta|contrato|suscripción|servicio) | cambiarme\sa | disdire
    | disdetta
    )(?![\w])"""
)
_NEGATED = re.compile(
    r"(?:don'?t|do\snot|not\sgoing\sto|won'?t|wouldn'?t|no\sneed\sto|not\splanning\sto|"
    r"never\swanted\sto|nicht)\s(?:\w{1,12}\s){0,2}$"
)
_WAITING = re.compile(
    r"""(?x)(?<![\w])(?:
      (?:on\shold|waiting|waited|queued?|been\swaiting)\s(?:for\s)?(?:over\s|more\sthan\s|almost\s)?
        (?:\d{1,3}|an?|two|three|four|five|six|several|many)\s(?:\+\s)?(?:minutes|mins|hours?|
        days|weeks|months)
    | still\s(?:waiting|not\s(?:fixed|resolved|working|received|arrived)|no\s(?:reply|answer|
        response|refund|news)|nothing|haven'?t\s(?:heard|received|got))
    | no\s?(?:one|body)\s(?:has\s|have\s)?(?:calls?|called|got|gotten|gets|rang|answers?|answered
        |replie[sd]|responded|come|came|been)(?:\sback|\sme|\sin\stouch)?
    | (?:haven'?t|have\snot|hasn'?t|has\snot)\s(?:heard|had|received|got)\s(?:anything|a\sthing
        |back|a\sreply|a\sresponse|an\sanswer|a\scall)
    | without\s(?:\w{1,12}\s){0,2}for\s(?:over\s|more\sthan\s)?(?:\d{1,3}|two|three|four|five|six
        |several|many|a)\s(?:hours|days|weeks|months|week|month)
    | it'?s\sbeen\s(?:over\s|more\sthan\s|almost\s)?(?:\d{1,3}|a|two|three|four|five|six|several)
        \s(?:days|weeks|months|week|month)
    | (?:days|weeks|months)\slater\sand\s(?:still\s)?(?:nothing|no)
    | never\s(?:called|rang|got)\s(?:me\s)?back | no\s(?:reply|response|answer)\s(?:yet|at\sall)
    | warte\sseit | immer\snoch\s(?:nicht|kein|keine) | toujours\spas | toujours\srien
    | sigo\sesperando | todavía\sno | ancora\s(?:niente|nessuna)
    )(?![\w])"""
)
_WORD = re.compile(r"[^\W\d_]{2,}")
_BANG_RUN = re.compile(r"[!?]*![!?]*")


def _count(match: re.Match[str]) -> str | None:
    found = _COUNT_IN.search(match.group())
    if found is None:
        return None
    raw = found.group("count").lower()
    return str(int(raw)) if raw.isdigit() else str(_ORDINALS.get(raw, 2))


def message_effort(text: str) -> MessageEffort:
    """Effort and frustration signals in one customer message. Never raises."""
    if not isinstance(text, str) or not text:
        return MessageEffort()
    try:
        return _message_effort(text[:200_000])
    except Exception:
        return MessageEffort()


def _message_effort(text: str) -> MessageEffort:
    signals: list[EffortSignal] = []
    low = fold(text)  # patterns are lower case; offsets are the same in both strings
    for m in _REPEAT.finditer(low):
        count = _count(m)
        weight = 0.45 if count is not None and int(count) >= 3 else 0.35
        original = text[m.start() : m.end()]
        signals.append(EffortSignal("repeat", original, m.start(), m.end(), weight, count))
    for m in _ESCALATION.finditer(low):
        signals.append(
            EffortSignal("escalation", text[m.start() : m.end()], m.start(), m.end(), 0.4)
        )
    for m in _LEGAL.finditer(low):
        signals.append(EffortSignal("legal", text[m.start() : m.end()], m.start(), m.end(), 0.5))
    for m in _CHURN.finditer(low):
        if _NEGATED.search(low[max(0, m.start() - 40) : m.start()]):
            continue
        end = m.end()
        rival = text[m.start("rival") : m.end("rival")] if m.group("rival") else None
        if m.group("name") is not None:
            # Only capitalised words name a rival: "going with the flow" is not a threat,
            # and "moving to Vodafone next month" names "Vodafone".
            words = text[m.start("name") : m.end("name")].split()
            if not words[0][0].isupper():
                continue
            if len(words) > 1 and not words[1][0].isupper():
                end = m.start("name") + len(words[0])
            rival = text[m.start("name") : end]
        original = text[m.start() : end]
        signals.append(EffortSignal("churn", original, m.start(), end, 0.45, rival))
    for m in _WAITING.finditer(low):
        signals.append(EffortSignal("waiting", text[m.start() : m.end()], m.start(), m.end(), 0.2))

    words = _WORD.findall(text)
    letters = sum(len(w) for w in words)
    caps_words = [w for w in words if len(w) >= 3 and w.isupper()]
    caps_letters = sum(len(w) for w in caps_words)
    caps_ratio = caps_letters / letters if letters else 0.0
    if (letters >= 12 and caps_ratio >= 0.5) or sum(len(w) >= 4 for w in caps_words) >= 3:
        first = next(iter(re.finditer(r"[^\W\d_]{3,}", text)), None)
        start = first.start() if first else 0
        signals.append(
            EffortSignal(
                "shouting",
                text[start : start + 40],
                start,
                min(len(text), start + 40),
                0.2,
                f"{caps_ratio:.2f}",
            )
        )
    exclamations = text.count("!")
    longest = max((m.end() - m.start() for m in _BANG_RUN.finditer(text)), default=0)
    if longest >= 2 or exclamations >= 3:
        run = max(_BANG_RUN.finditer(text), key=lambda m: m.end() - m.start())
        weight = 0.15 if longest >= 3 else 0.1
        signals.append(
            EffortSignal(
                "exclaiming", run.group(), run.start(), run.end(), weight, str(exclamations)
            )
        )
    signals.sort(key=lambda s: s.start)
    return MessageEffort(tuple(signals), round(caps_ratio, 3), exclamations)


_LABELS: dict[SignalKind, str] = {
    "repeat": "says they have to repeat themselves",
    "escalation": "asks to escalate",
    "legal": "mentions legal or regulatory action",
    "churn": "threatens to leave",
    "waiting": "complains about waiting",
    "shouting": "writes in capitals",
    "exclaiming": "uses repeated exclamation marks",
}


def effort_score(
    messages: MessageEffort | Iterable[MessageEffort],
    context: ContactContext | None = None,
) -> EffortScore:
    """Combine message signals and conversation context into a 0-1 effort score with reasons.

    Each kind of signal counts once (its strongest occurrence), so a long rant does not
    outweigh a customer who had to call five times.
    """
    batch = [messages] if isinstance(messages, MessageEffort) else list(messages)
    best: dict[SignalKind, EffortSignal] = {}
    for message in batch:
        for signal in message.signals:
            if signal.kind not in best or signal.weight > best[signal.kind].weight:
                best[signal.kind] = signal
    evidence: list[tuple[float, str]] = [
        (s.weight, f'{_LABELS[s.kind]}: "{s.text.strip()}"') for s in best.values()
    ]
    ctx = context or ContactContext()
    if ctx.contacts_same_problem >= 2:
        weight = 1 - 0.75 ** (ctx.contacts_same_problem - 1)
        evidence.append(
            (
                weight,
                f"{ctx.contacts_same_problem} contacts about the same problem in "
                f"{ctx.window_days} days",
            )
        )
    if ctx.channel_switches > 0:
        weight = 1 - 0.85**ctx.channel_switches
        evidence.append((weight, f"switched channel {ctx.channel_switches} time(s)"))
    if ctx.transfers > 0:
        weight = 1 - 0.9**ctx.transfers
        evidence.append((weight, f"transferred {ctx.transfers} time(s)"))
    if ctx.reopened > 0:
        weight = 1 - 0.8**ctx.reopened
        evidence.append((weight, f"case reopened {ctx.reopened} time(s)"))
    remaining = 1.0
    for weight, _ in evidence:
        remaining *= 1 - min(max(weight, 0.0), 0.95)
    score = round(1 - remaining, 3)
    level: EffortLevel = "low" if score < 0.3 else "medium" if score < 0.6 else "high"
    reasons = tuple(reason for _, reason in sorted(evidence, key=lambda e: -e[0]))
    return EffortScore(score, level, reasons)
