"""Promises agents and the AI agent make, as the promise tracker receives them."""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from onestory.ai.extract.promises import extract_promises

LONDON = ZoneInfo("Europe/London")
NOW = datetime(2025, 3, 12, 15, 30, tzinfo=ZoneInfo("UTC"))  # Wednesday


def test_refund_within_business_days() -> None:
    [p] = extract_promises("We'll refund you within 5 business days.", now=NOW, tz="Europe/London")
    assert (p.kind, p.who, p.due_inferred) == ("refund", "team", False)
    assert p.due_by == datetime.combine(date(2025, 3, 19), time(23, 59, 59), LONDON)
    assert p.due_by.tzinfo is not None
    assert p.what == "We'll refund you"


def test_technician_window() -> None:
    [p] = extract_promises("The technician comes Tuesday 9-12.", now=NOW, tz="Europe/London")
    assert (p.kind, p.who) == ("visit", "field")
    assert p.window_start == datetime(2025, 3, 18, 9, tzinfo=LONDON)
    assert p.window_end == datetime(2025, 3, 18, 12, tzinfo=LONDON)
    assert p.due_by == p.window_end


def test_callback_before_noon() -> None:
    [p] = extract_promises(
        "I will call you back tomorrow before noon.", now=NOW, tz="Europe/London"
    )
    assert (p.kind, p.who) == ("callback", "agent")
    assert p.due_by == datetime(2025, 3, 13, 12, tzinfo=LONDON)
    assert p.window_start is None


def test_shipment_by_friday() -> None:
    [p] = extract_promises("Your replacement ships by Friday.", now=NOW, tz="Europe/London")
    assert (p.kind, p.who) == ("shipment", "logistics")
    assert p.due_by.date() == date(2025, 3, 14)


def test_named_team_and_offset_in_a_longer_message() -> None:
    text = "Thanks for waiting. Our billing team will credit the £30 by Monday. Anything else?"
    [p] = extract_promises(text, now=NOW, tz="Europe/London")
    assert (p.kind, p.who) == ("refund", "billing")
    assert text[p.start : p.end] == p.text
    assert p.due_by.date() == date(2025, 3, 17)


def test_business_days_skip_holidays() -> None:
    [p] = extract_promises(
        "We'll refund you within 2 business days.",
        now=NOW,
        tz="Europe/London",
        holidays={date(2025, 3, 13)},
    )
    assert p.due_by.date() == date(2025, 3, 17)


def test_promise_without_time_gets_an_inferred_due_date_and_lower_confidence() -> None:
    [p] = extract_promises("I'll call you back.", now=NOW, tz="Europe/London")
    assert p.due_inferred
    assert p.due_by.date() == date(2025, 3, 13)
    [q] = extract_promises("I'll call you back tomorrow.", now=NOW, tz="Europe/London")
    assert q.confidence > p.confidence


def test_other_languages() -> None:
    [p] = extract_promises(
        "Der Techniker kommt am Dienstag zwischen 9 und 12 Uhr.", now=NOW, tz="Europe/Berlin"
    )
    assert (p.kind, p.who) == ("visit", "field")
    assert p.window_start is not None
    assert p.window_start.hour == 9
    [q] = extract_promises(
        "Nous vous rembourserons sous 5 jours ouvrés.", now=NOW, tz="Europe/Paris"
    )
    assert q.kind == "refund"


@pytest.mark.parametrize(
    "text",
    [
        "Unfortunately we can't refund this order.",
        "We cannot send a technician this week.",
        "If you want we could send a replacement.",
        "We might be able to refund part of it.",
        "Shall I call you back tomorrow?",
        "Would you like a refund?",
        "Can we schedule the visit for Tuesday?",
        "I understand how frustrating this is.",
        "We won't charge you again.",
        "Our technician was there on Monday.",
        "",
    ],
)
def test_non_promises(text: str) -> None:
    assert extract_promises(text, now=NOW, tz="Europe/London") == []


def test_conditional_promise_is_kept_with_lower_confidence() -> None:
    [p] = extract_promises(
        "We will refund you once the item is returned.", now=NOW, tz="Europe/London"
    )
    [q] = extract_promises("We will refund you.", now=NOW, tz="Europe/London")
    assert p.confidence < q.confidence


def test_one_sentence_can_hold_several_promises() -> None:
    text = "We'll refund the £30 and the engineer will come on Tuesday 9-12."
    refund, visit = extract_promises(text, now=NOW, tz="Europe/London")
    assert (refund.kind, refund.due_inferred) == ("refund", True)
    assert (visit.kind, visit.who) == ("visit", "field")
    assert visit.window_start == datetime(2025, 3, 18, 9, tzinfo=LONDON)
    assert all(text[p.start : p.end] == p.text for p in (refund, visit))


def test_a_follow_up_clause_dates_the_same_promise() -> None:
    [p] = extract_promises(
        "We'll refund you and you'll see it by Friday.", now=NOW, tz="Europe/London"
    )
    assert (p.kind, p.due_inferred, p.due_by.date()) == ("refund", False, date(2025, 3, 14))


def test_refusal_then_promise_in_one_sentence() -> None:
    [p] = extract_promises(
        "We can't refund it, but we'll send a voucher today.", now=NOW, tz="Europe/London"
    )
    assert p.text == "we'll send a voucher today"
