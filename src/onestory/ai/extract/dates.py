"""Dates and times in customer and agent messages, resolved in the customer's time zone.

"tomorrow before noon", "next Tuesday 9-12", "in 3 days", "within 5 business days",
"by end of week", "12/03/2025", "3 March", "morgen zwischen 9 und 12 Uhr", "vendredi 14h-18h",
"el lunes". Each mention resolves to an interval ``[start_at, end_at]`` of aware datetimes in
the customer's zone (``end_at`` inclusive, e.g. 23:59:59 for a whole day). The reference time
``now`` is always passed in: nothing here reads the clock.

Conventions (documented because language is ambiguous):
- a bare weekday, "on/next/coming Tuesday" = the first such day *after* today; "this Tuesday"
  may be today;
- "end of week" = Friday end of day; "close of business" = 17:00; "end of day" = 23:59:59;
- "9-12" without am/pm is read in business hours: an hour below 7 is afternoon ("2-5" = 14-17);
- a date without a year takes the year that puts it closest to ``now``;
- "12/03" is day-first unless ``dayfirst=False`` (default: month-first in ``America/*`` zones).
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta, tzinfo
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from onestory.ai.extract._date_patterns import (
    _DAY,
    _DEADLINE_BEFORE,
    _MAX_MENTIONS,
    _MONTHS,
    _NO_YEAR_SLASH_CONTEXT,
    _NUMBERS,
    _PARTS,
    _SINCE,
    _T_TOKEN,
    _TIME,
    _TONIGHT,
    _WEEKDAYS,
)
from onestory.ai.extract._text import fold

__all__ = [
    "DateMention",
    "Granularity",
    "add_business_days",
    "find_dates",
    "resolve_zone",
]

Granularity = Literal["instant", "window", "day", "days"]

_END_OF_DAY = time(23, 59, 59)


@dataclass(frozen=True, slots=True)
class DateMention:
    """A date or time expression: ``text`` is ``message[start:end]``.

    ``deadline`` is True for "by Friday", "before noon", "within 5 days": the event is due at
    any time up to ``end_at``. ``has_time`` says the text named a clock time or a part of day.
    """

    start: int
    end: int
    text: str
    start_at: datetime
    end_at: datetime
    granularity: Granularity
    deadline: bool = False
    has_time: bool = False

    def to_dict(self) -> dict[str, object]:
        return {
            "start": self.start,
            "end": self.end,
            "text": self.text,
            "start_at": self.start_at.isoformat(),
            "end_at": self.end_at.isoformat(),
            "granularity": self.granularity,
            "deadline": self.deadline,
            "has_time": self.has_time,
        }


def resolve_zone(tz: str | tzinfo | None) -> tzinfo:
    """A tzinfo from an IANA name or tzinfo; unknown names fall back to UTC."""
    if isinstance(tz, tzinfo):
        return tz
    try:
        return ZoneInfo(tz or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def add_business_days(start: date, days: int, holidays: Collection[date] = ()) -> date:
    """``start`` moved forward by ``days`` working days, skipping weekends and ``holidays``."""
    current = start
    remaining = max(0, days)
    while remaining:
        current += timedelta(days=1)
        if current.weekday() < 5 and current not in holidays:
            remaining -= 1
    return current


@dataclass(frozen=True, slots=True)
class _Day:
    start: int
    end: int
    first: date
    last: date
    deadline: bool = False
    instant: datetime | None = None  # "in 2 hours"
    kind: str = "day"  # "weekday", "date", "cob", "eod" steer how neighbours merge
    window: tuple[time, time] | None = None  # "this afternoon", "tonight"


@dataclass(frozen=True, slots=True)
class _Clock:
    start: int
    end: int
    begin: time
    finish: time
    strict: bool  # stands alone without a day next to it
    deadline: bool = False
    after: bool = False
    at: bool = False  # "at 10": a time only when nothing but punctuation follows


def _closest_year(month: int, day: int, today: date) -> date | None:
    best: date | None = None
    for year in (today.year - 1, today.year, today.year + 1):
        try:
            candidate = date(year, month, day)
        except ValueError:
            continue
        if best is None or abs((candidate - today).days) < abs((best - today).days):
            best = candidate
    return best


def _make_date(year: int | None, month: int, day: int, today: date) -> date | None:
    if year is None:
        return _closest_year(month, day, today)
    if year < 100:
        year += 2000
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _next_day_of_month(day_: int, today: date) -> date | None:
    """ "the 5th": the next such day of a month, this month if it is still to come."""
    year, month = today.year, today.month
    for _ in range(3):
        try:
            candidate = date(year, month, day_)
        except ValueError:
            candidate = None
        if candidate is not None and candidate >= today:
            return candidate
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return None


def _number(word: str) -> int:
    word = word.lower()
    return int(word) if word.isdigit() else _NUMBERS.get(word, 1)


def _resolve_day(
    m: re.Match[str], now: datetime, dayfirst: bool, holidays: Collection[date], text: str
) -> _Day | None:
    today = now.date()
    g = m.groupdict()
    s, e = m.start(), m.end()
    if g["dat"]:
        d = today + timedelta(days=2)
        return _Day(s, e, d, d)
    if g["tom"]:
        word = g["tom"].lower()
        before = text[max(0, s - 8) : s].lower()
        noun = before.endswith(("guten ", "am ", "jeden ")) or text[s] == "M"
        if word == "morgen" and noun:
            return None  # "Guten Morgen": good morning, not tomorrow
        if word == "mañana" and before.endswith(("la ", "esta ")):
            return None
        d = today + timedelta(days=1)
        return _Day(s, e, d, d)
    if g["tod"]:
        word = g["tod"].lower()
        for part, (h1, h2) in _PARTS.items():
            if word.endswith(part) or (part == "tonight" and word in _TONIGHT):
                return _Day(
                    s, e, today, today, window=(time(h1), time(h2) if h2 < 24 else _END_OF_DAY)
                )
        return _Day(s, e, today, today)
    if g["yes"]:
        d = today - timedelta(days=1)
        return _Day(s, e, d, d)
    if g["wd"]:
        if g["wdom"]:
            found = _next_day_of_month(int(g["wdom"]), today)
            return _Day(s, e, found, found, kind="date") if found else None
        target = _WEEKDAYS[g["wd"].lower()]
        mod = (g["wmod"] or g["wmod2"] or "").lower()
        ahead = (target - today.weekday()) % 7
        # "since Monday", "seit Montag": the weekday already behind us.
        past = mod == "last" or _SINCE.search(text[max(0, s - 12) : s]) is not None
        if past:
            d = today - timedelta(days=(today.weekday() - target) % 7 or 7)
        elif mod in ("this", "diesen", "ce", "este"):
            d = today + timedelta(days=ahead)
        else:
            d = today + timedelta(days=ahead or 7)
        return _Day(s, e, d, d, kind="weekday")
    if g["in"]:
        # "within 3-5 working days" is due at the far end of the range.
        count = int(g["n2"]) if g["n2"] else _number(g["n"])
        unit = g["unit"].lower()
        within = g["in"].lower().startswith(
            ("within", "inside", "sous", "d'ici", "innerhalb", "binnen", "entro", "in the next",
             "over the next")
        )  # fmt: skip
        business = any(
            w in unit for w in ("business", "working", "werk", "arbeits", "ouvr", "hábil", "habil")
        )
        if business:
            d = add_business_days(today, count, holidays)
            return _Day(s, e, today if within else d, d, deadline=within)
        if unit.startswith(("h", "stunde", "heure", "hora", "ore")):
            moment = now + timedelta(hours=count)
            return _Day(s, e, today, moment.date(), deadline=within, instant=moment)
        if unit.startswith(("min",)):
            moment = now + timedelta(minutes=count)
            return _Day(s, e, today, moment.date(), deadline=within, instant=moment)
        if unit.startswith(("week", "woche", "semaine", "semana", "settiman")):
            days = 7 * count
        elif unit.startswith(("month", "monat", "mes", "mois")):
            days = 30 * count
        else:
            days = count
        d = today + timedelta(days=days)
        return _Day(s, e, today if within else d, d, deadline=within)
    if g["eo"]:
        word = g["eo"].lower()
        unit = (g["eounit"] or "").lower()
        if word in ("cob",) or "close of" in word:
            moment = datetime.combine(today, time(17), now.tzinfo)
            return _Day(s, e, today, today, deadline=True, instant=moment, kind="cob")
        if unit == "day" or word == "eod":
            return _Day(s, e, today, today, deadline=True, kind="eod")
        if unit == "month" or word == "eom":
            first_next = date(today.year + (today.month == 12), today.month % 12 + 1, 1)
            return _Day(s, e, today, first_next - timedelta(days=1), deadline=True)
        friday = today + timedelta(days=(4 - today.weekday()) % 7)
        if g["eonext"]:
            friday += timedelta(days=7)
        return _Day(s, e, today, friday, deadline=True)
    if g["nw"] or g["nw2"]:
        unit = (g["nwunit"] or g["nwunit2"] or "").lower()
        mod = (g["nwmod"] or "next").lower()
        nxt = mod not in ("this", "diese", "cette", "esta")
        if unit in ("month", "mes", "mois", "monat"):
            first = date(today.year + (today.month == 12), today.month % 12 + 1, 1)
            if not nxt:
                first = today.replace(day=1)
            last = date(first.year + (first.month == 12), first.month % 12 + 1, 1)
            return _Day(s, e, max(first, today), last - timedelta(days=1))
        monday = today - timedelta(days=today.weekday())
        if nxt:
            monday += timedelta(days=7)
        if unit in ("weekend", "wochenende"):
            saturday = monday + timedelta(days=5)
            return _Day(s, e, saturday, saturday + timedelta(days=1))
        return _Day(s, e, max(monday, today), monday + timedelta(days=6))
    if g["iso"]:
        y, mo, da = (int(x) for x in g["iso"].split("-"))
        d2 = _make_date(y, mo, da, today)
        return _Day(s, e, d2, d2, kind="date") if d2 else None
    if g["num"]:
        parts = re.split(r"[/.]", g["num"])
        if "." in g["num"] and len(parts) == 2 and not text[e : e + 1] == ".":
            return None  # "12.50" is an amount; "15.01." is a German date
        a, b = int(parts[0]), int(parts[1])
        year = int(parts[2]) if len(parts) == 3 else None
        if year is None and "/" in g["num"]:
            # "24/7" and "1/2" are not dates; "on 1/4" is.
            if not _NO_YEAR_SLASH_CONTEXT.search(text[max(0, s - 12) : s]):
                return None
        if a > 12:
            day_, month = a, b
        elif b > 12:
            day_, month = b, a
        elif dayfirst:
            day_, month = a, b
        else:
            day_, month = b, a
        if not (1 <= month <= 12 and 1 <= day_ <= 31):
            return None
        d2 = _make_date(year, month, day_, today)
        return _Day(s, e, d2, d2, kind="date") if d2 else None
    if g["dm"] or g["mon2"]:
        month = _MONTHS[(g["mon1"] or g["mon2"]).lower()]
        day_ = int(g["dm"] or g["md"])
        year_text = g["y1"] or g["y2"]
        d2 = _make_date(int(year_text) if year_text else None, month, day_, today)
        return _Day(s, e, d2, d2, kind="date") if d2 else None
    if g["dom"]:
        found = _next_day_of_month(int(g["dom"]), today)
        return _Day(s, e, found, found, kind="date") if found else None
    return None


def _token_time(token: str) -> tuple[int, int, str | None] | None:
    m = _T_TOKEN.search(token)
    if m is None:
        return None
    word = (m.group("word") or "").lower()
    if word:
        return (0, 0, "am") if word == "midnight" else (12, 0, "pm")
    hour = int(m.group("h"))
    minute = int(m.group("m") or 0)
    ap = (m.group("ap") or "").lower().replace(".", "") or None
    if hour > 24 or minute > 59:
        return None
    return hour, minute, ap


def _to_24(hour: int, ap: str | None, business: bool) -> int:
    if ap == "pm" and hour < 12:
        return hour + 12
    if ap == "am" and hour == 12:
        return 0
    if ap is None and business and 1 <= hour < 7:
        return hour + 12
    return hour % 24


def _clock_time(hour: int, minute: int) -> time:
    if hour >= 24:
        return time(23, 59, 59)
    return time(hour, minute)


def _resolve_clock(m: re.Match[str]) -> _Clock | None:
    g = m.groupdict()
    s, e = m.start(), m.end()
    if g["range"]:
        body = g["range"][len(g["between"] or "") :]
        tokens = [t.group() for t in _T_TOKEN.finditer(body)]
        if len(tokens) != 2:
            return None
        first, second = _token_time(tokens[0]), _token_time(tokens[1])
        if first is None or second is None:
            return None
        ap_shared = second[2] if first[2] is None else first[2]
        h1 = _to_24(first[0], first[2] or (ap_shared if first[0] <= second[0] else None), True)
        h2 = _to_24(second[0], second[2], True)
        if h2 <= h1 and h2 + 12 <= 24 and second[2] is None:
            h2 += 12
        if h2 <= h1 or h2 > 24 or h2 - h1 > 14:
            return None
        strict = bool(g["between"]) or bool(re.search(r"(?i)[:h]|am|pm|uhr", body))
        return _Clock(s, e, _clock_time(h1, first[1]), _clock_time(h2, second[1]), strict)
    if g["rel"]:
        word = g["relword"].lower()
        parsed = _token_time(g["rel"][len(word) :])
        if parsed is None:
            return None
        hour = _clock_time(_to_24(parsed[0], parsed[2], True), parsed[1])
        if word in ("after", "nach", "après", "después de las"):
            return _Clock(s, e, hour, time(23, 59, 59), True, after=True)
        return _Clock(s, e, time(0), hour, True, deadline=True)
    if g["at"] or g["bare"]:
        token = g["at"] or g["bare"]
        parsed = _token_time(token)
        if parsed is None:
            return None
        if g["bare"] and parsed[0] > 24:
            return None
        point = _clock_time(_to_24(parsed[0], parsed[2], True), parsed[1])
        strict = bool(g["bare"]) or parsed[2] is not None or ":" in token
        return _Clock(s, e, point, point, strict, at=bool(g["at"]))
    if g["part"]:
        word = g["part"].lower().split()[-1].rstrip("s")
        for key, (h1, h2) in _PARTS.items():
            if word.startswith(key.rstrip("s")) or key in g["part"].lower():
                return _Clock(s, e, time(h1), time(h2) if h2 < 24 else _END_OF_DAY, False)
    return None


def _aware(d: date, t: time, zone: tzinfo) -> datetime:
    return datetime.combine(d, t, tzinfo=zone)


def find_dates(
    text: str,
    *,
    now: datetime,
    tz: str | tzinfo | None = "UTC",
    dayfirst: bool | None = None,
    holidays: Collection[date] = (),
) -> list[DateMention]:
    """Every date/time mention in ``text``, resolved against ``now`` in zone ``tz``.

    ``now`` must be timezone-aware (a naive ``now`` is read as UTC). Never raises: malformed
    input yields an empty list.
    """
    try:
        return _find_dates(text, now, tz, dayfirst, holidays)
    except Exception:  # language is messy; a bad parse must never break enrichment
        return []


def _find_dates(
    text: str,
    now: datetime,
    tz: str | tzinfo | None,
    dayfirst: bool | None,
    holidays: Collection[date],
) -> list[DateMention]:
    if not isinstance(text, str) or not text:
        return []
    zone = resolve_zone(tz)
    if now.tzinfo is None:
        now = now.replace(tzinfo=ZoneInfo("UTC"))
    now = now.astimezone(zone)
    if dayfirst is None:
        dayfirst = not str(getattr(zone, "key", "")).startswith("America/")
    low = fold(text)  # the patterns are lower case; offsets are the same in both strings
    days = [
        d
        for m in _iter_limited(_DAY, low)
        if (d := _resolve_day(m, now, dayfirst, holidays, text)) is not None
    ]
    days = _merge_days(days, text)
    clocks = [
        c
        for m in _iter_limited(_TIME, low)
        if not any(d.start <= m.start() < d.end for d in days)
        if (c := _resolve_clock(m)) is not None
    ]
    used: set[int] = set()
    mentions: list[DateMention] = []
    for day in days:
        attached: _Clock | None = None
        for i, clock in enumerate(clocks):
            if i in used:
                continue
            gap_after = text[day.end : clock.start]
            gap_before = text[clock.end : day.start]
            if (clock.start >= day.end and re.fullmatch(r"[ ,]{0,3}", gap_after)) or (
                clock.end <= day.start
                and re.fullmatch(r"(?i)[ ,]{0,3}(?:on|am|le|el|this|next)?[ ,]{0,3}", gap_before)
            ):
                attached = clock
                used.add(i)
                break
        mentions.append(_combine(text, day, attached, now, zone))
    for i, clock in enumerate(clocks):
        if i in used:
            continue
        if not clock.strict and not (clock.at and _AT_END.match(text, clock.end)):
            continue
        today = now.date()
        mention = _combine(text, _Day(clock.start, clock.end, today, today), clock, now, zone)
        if mention.end_at < now:  # "before noon" said at 3pm means tomorrow
            tomorrow = today + timedelta(days=1)
            mention = _combine(
                text, _Day(clock.start, clock.end, tomorrow, tomorrow), clock, now, zone
            )
        mentions.append(mention)
    mentions.sort(key=lambda x: x.start)
    return mentions


_AT_END = re.compile(r"\s{0,3}(?:o'?clock\b|[.,;!?)]|$)", re.IGNORECASE)
_MERGE_GAP = re.compile(r"[ ,]{0,3}(?:the\s|on\s)?")


def _merge_days(days: list[_Day], text: str) -> list[_Day]:
    """Join neighbours that name one day: "Thursday 20 March", "close of business Friday"."""
    merged: list[_Day] = []
    for day in days:
        prev = merged[-1] if merged else None
        if prev is not None and _MERGE_GAP.fullmatch(text, prev.end, day.start):
            if prev.kind == "weekday" and day.kind == "date":
                merged[-1] = replace(day, start=prev.start)
                continue
            if prev.kind in ("cob", "eod") and day.kind in ("day", "weekday", "date"):
                instant = None
                if prev.kind == "cob" and prev.instant is not None:
                    instant = datetime.combine(day.last, time(17), prev.instant.tzinfo)
                merged[-1] = replace(
                    day, start=prev.start, deadline=True, instant=instant, kind=prev.kind
                )
                continue
        merged.append(day)
    return merged


def _iter_limited(pattern: re.Pattern[str], text: str) -> list[re.Match[str]]:
    out: list[re.Match[str]] = []
    for m in pattern.finditer(text):
        out.append(m)
        if len(out) >= _MAX_MENTIONS:
            break
    return out


def _combine(
    text: str, day: _Day, clock: _Clock | None, now: datetime, zone: tzinfo
) -> DateMention:
    start = min(day.start, clock.start) if clock else day.start
    end = max(day.end, clock.end) if clock else day.end
    deadline = day.deadline or bool(clock and clock.deadline)
    if not deadline and _DEADLINE_BEFORE.search(text[max(0, start - 30) : start]):
        deadline = True
    if day.instant is not None and clock is None:
        instant = day.instant.astimezone(zone)
        first = now if day.deadline else instant
        return DateMention(start, end, text[start:end], first, instant, "instant", deadline, True)
    if clock is None and day.window is not None:
        clock = _Clock(start, end, day.window[0], day.window[1], True)
    if clock is None:
        first_at = now if deadline else _aware(day.first, time(0), zone)
        granularity: Granularity = "day" if day.first == day.last else "days"
        last_at = _aware(day.last, _END_OF_DAY, zone)
        return DateMention(
            start, end, text[start:end], first_at, last_at, granularity, deadline, False
        )
    first_at = _aware(day.first, clock.begin, zone)
    last_at = _aware(day.last, clock.finish, zone)
    if clock.deadline:
        first_at = now
    granularity = "instant" if clock.begin == clock.finish else "window"
    return DateMention(start, end, text[start:end], first_at, last_at, granularity, deadline, True)
