"""Promises made to a customer by agents and the AI agent, as structured drafts.

"We'll refund you within 5 business days", "the technician comes Tuesday 9-12", "I will call you
back tomorrow before noon", "your replacement ships by Friday" become `PromiseDraft`s with what
was promised, who owes it, its kind, and when it is due (aware datetimes in the customer's
zone, business days skipping weekends and the holidays passed in). Offers, conditions,
refusals and questions ("if you want we could...", "we can't refund", "shall I call you?") are
not promises. A promise without a stated time gets a default due date per kind, flagged
``due_inferred`` and with lower confidence, so it can still be tracked.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta, tzinfo
from typing import Literal

from onestory.ai.extract.dates import DateMention, add_business_days, find_dates, resolve_zone

__all__ = ["PromiseDraft", "PromiseKind", "extract_promises"]

PromiseKind = Literal["refund", "callback", "visit", "shipment", "other"]

# Business days allowed when the promise names no time ("we'll refund you").
_DEFAULT_BUSINESS_DAYS: dict[PromiseKind, int] = {
    "refund": 10,
    "shipment": 5,
    "visit": 10,
    "callback": 1,
    "other": 2,
}


@dataclass(frozen=True, slots=True)
class PromiseDraft:
    """A commitment found in one message; ``text`` is ``message[start:end]``."""

    what: str
    who: str  # "agent", "team", or a named team: "billing", "field", "logistics", ...
    kind: PromiseKind
    due_by: datetime
    text: str
    start: int
    end: int
    confidence: float
    window_start: datetime | None = None
    window_end: datetime | None = None
    due_inferred: bool = False

    def to_dict(self) -> dict[str, object]:
        return {
            "what": self.what,
            "who": self.who,
            "kind": self.kind,
            "due_by": self.due_by.isoformat(),
            "window_start": self.window_start.isoformat() if self.window_start else None,
            "window_end": self.window_end.isoformat() if self.window_end else None,
            "due_inferred": self.due_inferred,
            "text": self.text,
            "start": self.start,
            "end": self.end,
            "confidence": self.confidence,
        }


_TRAILING_LINK = re.compile(
    r"(?i)(?:[\s,]+(?:by|before|on|within|at|until|in|from|between|no\slater\sthan|for))+\s*$"
)
_RIGHT_AWAY = re.compile(
    r"(?i)(?<![\w])(?:now|right\saway|immediately|straight\saway|shortly|in\sa\smoment|asap|"
    r"sofort|gleich|tout\sde\ssuite|ahora\smismo|subito)(?![\w])"
)
_CLAUSE_BREAK = re.compile(r"(?i)[,;:]\s|\s(?:but|and|so|however|aber|mais|pero)\s")
# A full stop inside "£49.99" or "e.g" does not end a sentence; one before a space does.
_SEGMENT_BREAK = re.compile(
    r"(?i);\s|,?\s(?:and|but|while|then|plus|also)\s(?=(?:i|i'll|we|we'll|you|you'll|the|our|your)"
    r"(?![\w']))"
)
_SENTENCE = re.compile(r"(?:[^.!?\n]|[.!?](?=[^\s.!?]))+(?:[.!?]+|\n|$)")
_BACK_REFERENCE = re.compile(r"(?i)(?<![\w])(?:it|them|this|that|these|those)(?![\w])")

_VERBS = (
    r"refund|reimburse|credit|call|ring|phone|get\sback|contact|reach\sout|follow\sup|send|ship|"
    r"dispatch|deliver|arrange|book|schedule|process|issue|replace|fix|repair|resolve|sort|"
    r"look\sinto|investigate|escalate|update|email|e-mail|text|message|visit|come|be\sthere|"
    r"be\swith\syou|waive|cancel|remove|reactivate|restore|transfer|pay|make\ssure|ensure|"
    r"confirm|organi[sz]e|order|raise|keep\syou\s(?:posted|updated)|let\syou\sknow|notify|"
    r"inform|reset|unblock|activate|install|return|collect|pick\sup|reverse|adjust|correct|"
    r"check|have(?=\s(?:a|an|someone|somebody|the)\s)|look\sat|chase|"
    r"erstatten|überweisen|zurückrufen|anrufen|senden|schicken|rembourser|rappeler|envoyer|"
    r"devolver|reembolsar|llamar|enviar|rimborsare|richiamare|inviare"
)
_AUX = (
    r"(?:'ll|\u2019ll|\swill|\sshall|\sam\sgoing\sto|\sare\sgoing\sto|'m\sgoing\sto|"
    r"'re\sgoing\sto|\u2019m\sgoing\sto|\u2019re\sgoing\sto|\sam|\sare|'m|'re)"
)
_ADVERB = (
    r"(?:\s(?:personally|definitely|certainly|also|then|now|absolutely|immediately|"
    r"happily|gladly|promptly|still|be\sable\sto|make\ssure\sto|try\sto))?"
)
_FIRST_PERSON = re.compile(
    rf"(?i)(?<![\w])(?P<subj>i|we){_AUX}{_ADVERB}\s(?P<verb>{_VERBS})(?:s|es|ed|ing)?(?![\w])"
)
_TEAM = re.compile(
    r"(?i)(?<![\w])(?P<subj>(?:the|our|a|an|your)\s(?:(?:(?P<team>[a-z]{3,15}"
    r"(?:\s[a-z]{3,15})?)\s)?team|(?P<role>technician|engineer|courier|driver|installer|fitter|specialist|colleague|"
    r"manager|supervisor|delivery\sdriver|field\sengineer)))(?:\s(?:will|'ll|is\sgoing\sto|"
    r"is\sscheduled\sto|is\sbooked\sto|should|is|has\sbeen))?\s(?:be\s)?(?P<verb>come|comes|coming|arrive|"
    r"arrives|arriving|visit|visits|call|calls|be\sthere|be\swith\syou|contact|review|process|"
    r"deliver|delivers|install|fix|repair|refund|get\sback|reach\sout|look\sinto|handle|"
    r"send|sends|drop\sby|pop\sby|follow\sup|credit|reimburse|waive|ship|dispatch|issue|"
    r"call\syou\sback|replace|booked|scheduled|confirmed)(?![\w])"
)
_PASSIVE = re.compile(
    r"(?i)(?<![\w])(?P<subj>(?:your|the|a)\s(?:[\w\-]{1,15}\s){0,2}?(?P<obj>refund|replacement|"
    r"order|parcel|package|item|device|router|card|sim|credit|delivery|shipment|payment|money|"
    r"reimbursement|appointment|visit|callback|call\sback|part|unit|handset|phone|modem|kit|"
    r"charger|equipment|goods|letter|contract|invoice|statement|label|voucher|fridge|boiler))"
    r"(?:\s(?:will|'ll|should|is\sgoing\sto|is\sscheduled\sto))?(?:\sbe|\sis|\sare)?"
    r"\s(?P<verb>ships?|shipped|dispatched|delivered|sent|processed|issued|credited|arrives?|"
    r"arriving|refunded|back|paid|returned|booked|scheduled|confirmed|on\sits\sway|leaves?|"
    r"go\sout|goes\sout|be\swith\syou|posted|collected|picked\sup|installed|fitted)(?![\w])"
)
# "Our installation partner will fit...", "the courier company will pick up...": any noun
# phrase naming a party that acts for us, followed by a future and an action.
_PARTY = (
    r"team|partner|carrier|courier|company|desk|department|dept|warehouse|engineers?|"
    r"technicians?|driver|installer|fitter|specialist|colleague|provider|agent|advisor|adviser|"
    r"staff|crew|centre|center|office|contractor|plumber|electrician|representative|rep|store"
)
_THIRD_PARTY = re.compile(
    rf"(?i)(?<![\w])(?P<subj>(?:the|our|your|a|an)\s(?P<np>(?:[\w\-]{{2,20}}\s){{0,2}}?"
    rf"(?:{_PARTY})))\s(?:will|'ll|is\sgoing\sto|are\sgoing\sto|should|is\sscheduled\sto|"
    rf"are\sscheduled\sto)\s(?:also\s|then\s|now\s|personally\s)?(?P<verb>come|arrive|visit|"
    rf"call|ring|contact|fit|install|pick\sup|collect|bring|deliver|ship|send|dispatch|refund|"
    rf"credit|restore|fix|repair|replace|reconnect|review|process|look\sinto|get\sback|"
    rf"follow\sup|be\sthere|be\swith\syou|have\s(?:\w{{1,15}}\s){{1,3}}?(?:restored|fixed|"
    rf"repaired|sorted|done|working|back|replaced|reconnected|installed|delivered)|"
    rf"get\s(?:it|this|that|everything|the\s\w{{1,15}})\s(?:working|fixed|sorted|done|back))"
    rf"(?![\w])"
)
_EXPECT = re.compile(
    r"(?i)(?<![\w])(?P<subj>(?:you\s(?:can|should|will|'ll|may)\s)?(?:please\s)?expect)\s"
    r"(?:a|an|the|your)\s(?:\w{1,15}\s)?(?P<verb>call|callback|call\sback|email|e-mail|text|"
    r"visit|technician|engineer|delivery|parcel|refund|credit|letter|confirmation|update)(?![\w])"
)
_RECEIVE_FOREIGN = re.compile(
    r"(?i)(?<![\w])(?P<subj>vous\srecevrez|vous\sallez\srecevoir|sie\serhalten|"
    r"sie\sbekommen|recibirá|usted\srecibirá|va\sa\srecibir|riceverà|riceverete)(?![\w])"
)
_RECEIVE = re.compile(
    r"(?i)(?<![\w])(?P<subj>you)(?:'ll|\u2019ll|\swill|\sshould|\sare\sgoing\sto)\s(?:also\s)?"
    r"(?P<verb>receive|get|have|see)\s(?:a\s|an\s|your\s|the\s)?(?:full\s|new\s)?"
    r"(?P<obj>it|them|refund|replacement|call|callback|call\sback|visit|credit|confirmation|"
    r"email|parcel|package|delivery|money|new\s\w{3,15}|text|sms|technician|engineer)(?![\w])"
)
_SCHEDULED = re.compile(
    r"(?i)(?<![\w])(?P<subj>i've|i\shave|we've|we\shave|(?:the|our)\s(?:ai\s)?(?:assistant|agent|"
    r"team|system)\shas)\s(?:now\s|also\s|just\s)?(?P<verb>scheduled|booked|arranged|organi[sz]ed|"
    r"requested|raised)\s(?:a|an|the|your)\s(?:\w{1,15}\s)?(?P<obj>callback|call\sback|call|"
    r"visit|appointment|engineer|technician|delivery|collection|replacement|refund|courier)(?![\w])"
)
_FOREIGN = re.compile(
    r"(?i)(?<![\w])(?P<subj>wir\swerden|ich\swerde|wir|ich|nous\sallons|je\svais|nous|je|vamos\sa|"
    r"voy\sa|le|les|vi|la|ti)\s(?:\w{1,12}\s){0,8}?(?P<verb>erstatten|überweisen|zurückrufen|"
    r"rufen|rufe|senden|schicken|rembourser|rembourserons|rappeler|rappellerons|envoyer|enverrons|"
    r"devolver|devolveremos|reembolsaremos|llamaremos|llamar|enviaremos|enviar|rimborseremo|"
    r"richiameremo|invieremo)(?![\w])"
)
_TECH_FOREIGN = re.compile(
    r"(?i)(?<![\w])(?P<subj>der\stechniker|le\stechnicien|el\stécnico|il\stecnico)\s"
    r"(?P<verb>kommt|passera|viendra|irá|vendrá|verrà|passerà)(?![\w])"
)

_OFFER = re.compile(
    r"(?i)(?<![\w])(?:if\syou(?:'d|\swould)?\s(?:like|want|prefer|wish)|could|might|may|maybe|"
    r"perhaps|possibly|would\syou|do\syou\swant|shall\si|shall\swe|should\si|wenn\ssie\smöchten|"
    r"si\svous\svoulez|si\squiere|se\svuole|hopefully|hope\sto|try\sto|trying\sto)(?![\w])"
)
_NEGATION = re.compile(
    r"(?i)(?<![\w])(?:not|n't|n\u2019t|never|unable|no\slonger|cannot|nicht|kein|pas|no\s"
    r"(?:podemos|vamos)|non)(?![\w])"
)
_CONDITION = re.compile(r"(?i)(?<![\w])(?:if|once|unless|as\ssoon\sas|wenn|falls|si|se)(?![\w])")
_QUESTION_START = re.compile(
    r"(?i)^\s*(?:can|could|would|shall|should|do|does|did|is|are|will|may|what|when|how|why|"
    r"where|which|who)\s"
)

_REFUND_WORDS = (
    r"(?i)refund|reimburs|credit|money\sback|pay\syou\sback|revers|erstatt|gutschrift|rembours|"
    r"reembols|devolver|devolveremos|rimbors"
)
_VISIT_WORDS = (
    r"(?i)technician|engineer|visit|come\s(?:by|out|round|over)|install|appointment|on\ssite|"
    r"\bfit\b|fitted|"
    r"fitter|drop\sby|pop\sby|techniker|technicien|técnico|tecnico|comes|coming|"
    r"arrive\sat\syour|send\s(?:someone|somebody|an?\s(?:engineer|technician|plumber))"
)
_CALLBACK_WORDS = (
    r"(?i)\bcall|\bring\syou\b|\bphone\syou\b|get\sback\sto\syou|contact\syou|reach\sout|follow\sup|"
    r"rückruf|zurückrufen|rufen|rufe\s(?:\w+\s){0,3}zurück|rappel|llamar|llamaremos|richiam"
)
_SHIPMENT_WORDS = (
    r"(?i)ship|dispatch|deliver|replacement|parcel|package|courier|arriv|(?<!you\s)posted|"
    r"pick\sup|picked\sup|collect|\bbring\b|"
    r"versand|liefer|expédi|livr|(?:send|sent|senden|schicken|envoy|enverr|envi|invi)\w{0,6}\s"
    r"(?:\w{1,8}\s){0,3}?(?:new|replacement|device|router|item|order|goods|card|modem|phone|"
    r"unit|part|gerät|appareil|equipo)"
)
# Checked in this order: "we'll send a refund" is a refund, "the engineer will call" a visit.
_KIND_WORDS: tuple[tuple[PromiseKind, re.Pattern[str]], ...] = (
    ("refund", re.compile(_REFUND_WORDS)),
    ("visit", re.compile(_VISIT_WORDS)),
    ("callback", re.compile(_CALLBACK_WORDS)),
    ("shipment", re.compile(_SHIPMENT_WORDS)),
)
_NAMED_TEAMS = {
    "billing": "billing", "accounts": "billing", "finance": "billing", "payments": "billing",
    "refunds": "billing", "field": "field", "technical": "technical", "tech": "technical",
    "support": "support", "delivery": "logistics", "shipping": "logistics",
    "logistics": "logistics", "warehouse": "logistics", "dispatch": "logistics",
    "returns": "logistics", "sales": "sales", "retention": "retention", "loyalty": "retention",
    "complaints": "complaints", "network": "network", "engineering": "field",
}  # fmt: skip
_ROLE_TEAMS = {
    "technician": "field", "engineer": "field", "installer": "field", "fitter": "field",
    "field engineer": "field", "courier": "logistics", "driver": "logistics",
    "delivery driver": "logistics", "specialist": "team", "colleague": "team",
    "manager": "team", "supervisor": "team",
}  # fmt: skip


@dataclass(frozen=True, slots=True)
class _Commitment:
    start: int  # of the subject, within the sentence
    verb_end: int
    who: str
    strength: float


def _find_commitment(sentence: str) -> _Commitment | None:
    m = _FIRST_PERSON.search(sentence)
    if m:
        who = "agent" if m.group("subj").lower() == "i" else "team"
        return _Commitment(m.start(), m.end(), who, 0.85)
    m = _TEAM.search(sentence)
    if m:
        team = (m.group("team") or "").lower()
        role = (m.group("role") or "").lower()
        if team:
            first = team.split()[0]
            who = _NAMED_TEAMS.get(first) or _NAMED_TEAMS.get(team.split()[-1]) or first
        else:
            who = _ROLE_TEAMS.get(role, "team")
        return _Commitment(m.start(), m.end(), who, 0.85)
    m = _THIRD_PARTY.search(sentence)
    if m:
        return _Commitment(m.start(), m.end(), _party_team(m.group("np")), 0.8)
    m = _PASSIVE.search(sentence)
    if m:
        obj = m.group("obj").lower()
        who = (
            "billing"
            if obj in ("refund", "credit", "money", "reimbursement", "payment")
            else ("field" if obj in ("appointment", "visit", "engineer visit") else "logistics")
        )
        if obj in ("callback", "call back"):
            who = "team"
        return _Commitment(m.start(), m.end(), who, 0.8)
    m = _RECEIVE.search(sentence)
    if m:
        return _Commitment(m.start(), m.end(), "team", 0.75)
    m = _EXPECT.search(sentence)
    if m:
        after = sentence[m.end() : m.end() + 40]
        party = re.search(
            rf"(?i)\bfrom\s(?:our|the|a|an)\s((?:[\w\-]{{2,20}}\s){{0,2}}?(?:{_PARTY}))", after
        )
        who = _party_team(party.group(1)) if party else _party_team(m.group("verb"))
        return _Commitment(m.start(), m.end(), who, 0.75)
    m = _RECEIVE_FOREIGN.search(sentence)
    if m:
        return _Commitment(m.start(), m.end(), "team", 0.75)
    m = _SCHEDULED.search(sentence)
    if m:
        who = "agent" if m.group("subj").lower().startswith("i") else "team"
        return _Commitment(m.start(), m.end(), who, 0.8)
    m = _TECH_FOREIGN.search(sentence)
    if m:
        return _Commitment(m.start(), m.end(), "field", 0.8)
    m = _FOREIGN.search(sentence)
    if m:
        subj = m.group("subj").lower()
        who = "agent" if subj.startswith(("ich", "je", "voy")) else "team"
        return _Commitment(m.start(), m.end(), who, 0.75)
    return None


_PARTY_TEAMS: tuple[tuple[str, str], ...] = (
    ("billing", "billing"), ("accounts", "billing"), ("finance", "billing"),
    ("payments", "billing"), ("refund", "billing"), ("install", "field"), ("engineer", "field"),
    ("technician", "field"), ("fitter", "field"), ("plumber", "field"),
    ("electrician", "field"), ("field", "field"), ("courier", "logistics"),
    ("carrier", "logistics"), ("driver", "logistics"), ("warehouse", "logistics"),
    ("delivery", "logistics"), ("shipping", "logistics"), ("dispatch", "logistics"),
    ("returns", "logistics"), ("logistics", "logistics"), ("network", "network"),
    ("technical", "technical"), ("sales", "sales"), ("retention", "retention"),
)  # fmt: skip


def _party_team(noun_phrase: str) -> str:
    low = noun_phrase.lower()
    for word, team in _PARTY_TEAMS:
        if word in low:
            return team
    return "team"


def _kind(clause: str) -> PromiseKind:
    for kind, pattern in _KIND_WORDS:
        if pattern.search(clause):
            return kind
    return "other"


def _pick_date(mentions: list[DateMention], start: int, end: int) -> DateMention | None:
    inside = [d for d in mentions if d.start >= start and d.end <= end]
    if not inside:
        return None
    # A window or a deadline says more about when than a bare day mentioned in passing.
    inside.sort(key=lambda d: (not (d.has_time or d.deadline), d.start))
    return inside[0]


def extract_promises(
    text: str,
    *,
    now: datetime,
    tz: str | tzinfo | None = "UTC",
    holidays: Collection[date] = (),
    dayfirst: bool | None = None,
) -> list[PromiseDraft]:
    """Promises in an agent's or the AI agent's message, resolved against ``now`` (when the
    message was sent) in the customer's zone ``tz``. Never raises."""
    if not isinstance(text, str) or not text.strip():
        return []
    try:
        return _extract(text[:100_000], now, tz, holidays, dayfirst)
    except Exception:
        return []


def _extract(
    text: str,
    now: datetime,
    tz: str | tzinfo | None,
    holidays: Collection[date],
    dayfirst: bool | None,
) -> list[PromiseDraft]:
    zone = resolve_zone(tz)
    local_now = (now if now.tzinfo else now.replace(tzinfo=resolve_zone("UTC"))).astimezone(zone)
    mentions = find_dates(text, now=local_now, tz=zone, dayfirst=dayfirst, holidays=holidays)
    ctx = _Context(local_now, zone, tuple(holidays))
    promises: list[PromiseDraft] = []
    for sm in _SENTENCE.finditer(text):
        sentence = sm.group()
        stripped = sentence.strip()
        if not stripped or stripped.endswith("?") or _QUESTION_START.match(stripped):
            continue
        # "We'll refund you and the engineer will come on Tuesday" makes two promises.
        cuts = list(_SEGMENT_BREAK.finditer(sentence))
        bounds = zip(
            [0, *(c.end() for c in cuts)], [*(c.start() for c in cuts), len(sentence)], strict=True
        )
        drafts = [
            draft
            for a, b in bounds
            if (draft := _draft(text, sm.start() + a, sentence[a:b], sentence, mentions, ctx))
            is not None
        ]
        promises.extend(_merge_same_kind(text, drafts))
    return promises


@dataclass(frozen=True, slots=True)
class _Context:
    now: datetime
    zone: tzinfo
    holidays: tuple[date, ...]


def _draft(
    text: str,
    offset: int,
    segment: str,
    sentence: str,
    mentions: list[DateMention],
    ctx: _Context,
) -> PromiseDraft | None:
    found = _find_commitment(segment)
    if found is None:
        return None
    # Offers and negations only count within the clause that makes the commitment:
    # "We can't refund it, but we'll send a voucher" still promises the voucher.
    boundary = max((m.end() for m in _CLAUSE_BREAK.finditer(segment, 0, found.start)), default=0)
    head = segment[boundary : found.verb_end]
    if _OFFER.search(head) or _NEGATION.search(head):
        return None
    confidence = found.strength
    if _CONDITION.search(segment) or _OFFER.search(segment[found.verb_end :]):
        confidence -= 0.25
    clause_start = offset + found.start
    clause_end = offset + len(segment.rstrip(" \n\t.!,;"))
    clause = text[clause_start:clause_end]
    kind = _kind(clause)
    if kind == "other" and _BACK_REFERENCE.search(clause):
        kind = _kind(sentence)  # "...the refund; you'll see it within 5 days"
    mention = _pick_date(mentions, offset, offset + len(segment))
    window_start = window_end = None
    inferred = False
    if mention is not None:
        due_by = mention.end_at
        if mention.granularity == "window" and not mention.deadline:
            window_start, window_end = mention.start_at, mention.end_at
    elif _RIGHT_AWAY.search(clause):
        due_by = ctx.now + timedelta(hours=1)
    else:
        days = _DEFAULT_BUSINESS_DAYS[kind]
        due_day = add_business_days(ctx.now.date(), days, ctx.holidays)
        due_by = datetime.combine(due_day, time(23, 59, 59), tzinfo=ctx.zone)
        inferred = True
        confidence -= 0.2
    what = clause
    if mention is not None and mention.start >= clause_start:
        cut_start, cut_end = mention.start - clause_start, mention.end - clause_start
        what = clause[:cut_start] + clause[cut_end:]
        what = _TRAILING_LINK.sub("", " ".join(what.split()))
    return PromiseDraft(
        what=what or clause,
        who=found.who,
        kind=kind,
        due_by=due_by,
        text=clause,
        start=clause_start,
        end=clause_end,
        confidence=round(max(0.1, confidence), 2),
        window_start=window_start,
        window_end=window_end,
        due_inferred=inferred,
    )


def _merge_same_kind(text: str, drafts: list[PromiseDraft]) -> list[PromiseDraft]:
    """ "We'll refund you and you'll see it by Friday" is one refund, due Friday."""
    merged: list[PromiseDraft] = []
    for draft in drafts:
        prev = merged[-1] if merged else None
        if prev is None or prev.kind != draft.kind or not (prev.due_inferred or draft.due_inferred):
            merged.append(draft)
            continue
        dated = draft if prev.due_inferred else prev
        end = max(prev.end, draft.end)
        merged[-1] = replace(
            dated,
            what=prev.what,
            who=prev.who,
            text=text[prev.start : end],
            start=prev.start,
            end=end,
            confidence=max(prev.confidence, draft.confidence),
        )
    return merged
