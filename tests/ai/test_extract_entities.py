"""Entities and dates as a customer writes them, resolved in the customer's time zone."""

from __future__ import annotations

from datetime import date, datetime, time
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from onestory.ai.extract.dates import add_business_days, find_dates
from onestory.ai.extract.entities import (
    ProductCatalogue,
    extract_entities,
    find_money,
    find_references,
)

LONDON = ZoneInfo("Europe/London")
# Wednesday 12 March 2025, 15:30 UTC.
NOW = datetime(2025, 3, 12, 15, 30, tzinfo=ZoneInfo("UTC"))


def one(text: str, tz: str = "Europe/London", now: datetime = NOW) -> tuple[datetime, datetime]:
    mentions = find_dates(text, now=now, tz=tz)
    assert len(mentions) == 1, mentions
    return mentions[0].start_at, mentions[0].end_at


def test_references_of_every_common_shape() -> None:
    text = (
        "order #12345, ORD-2024-001, ticket 5567, account number AC-778, invoice INV-2024-0098, "
        "tracking 1Z999AA10123456784, Bestellung 2024-88123, case no. 88341"
    )
    found = [(r.kind, r.value) for r in find_references(text)]
    assert found == [
        ("order", "12345"),
        ("order", "ORD-2024-001"),
        ("ticket", "5567"),
        ("account", "AC-778"),
        ("invoice", "INV-2024-0098"),
        ("tracking", "1Z999AA10123456784"),
        ("order", "2024-88123"),
        ("ticket", "88341"),
    ]


def test_reference_needs_a_digit() -> None:
    assert find_references("my account is locked and the order status page is empty") == []


@pytest.mark.parametrize(
    ("text", "amount", "currency"),
    [
        ("€12.50", "12.50", "EUR"),
        ("12,50 EUR", "12.50", "EUR"),
        ("$1,200", "1200", "USD"),
        ("£30", "30", "GBP"),
        ("30 pounds", "30", "GBP"),
        ("1.250,00 €", "1250.00", "EUR"),
        ("CHF 99.90", "99.90", "CHF"),
        ("50p", "0.5", "GBP"),
        ("2k USD", "2000", "USD"),
    ],
)
def test_money_amounts(text: str, amount: str, currency: str) -> None:
    found = find_money(f"I paid {text} yesterday")
    assert [(m.amount, m.currency) for m in found] == [(Decimal(amount), currency)]


def test_bare_dollar_follows_the_customer_country() -> None:
    assert find_money("charged $75.00", dollar="CAD")[0].currency == "CAD"


def test_relative_days_and_windows() -> None:
    start, end = one("the technician comes Tuesday 9-12")
    assert (start, end) == (
        datetime(2025, 3, 18, 9, tzinfo=LONDON),
        datetime(2025, 3, 18, 12, tzinfo=LONDON),
    )
    start, end = one("call me tomorrow before noon")
    assert end == datetime(2025, 3, 13, 12, tzinfo=LONDON)
    assert start == NOW  # a deadline starts now
    assert one("in 3 days")[0].date() == date(2025, 3, 15)
    assert one("by end of week")[1] == datetime.combine(date(2025, 3, 14), time(23, 59, 59), LONDON)
    start, end = one("next week")
    assert (start.date(), end.date()) == (date(2025, 3, 17), date(2025, 3, 23))
    start, end = one("Friday 9-12")
    assert (start.hour, end.hour, start.date()) == (9, 12, date(2025, 3, 14))
    start, end = one("between 2 and 5 on Thursday")
    assert (start.hour, end.hour) == (14, 17)  # business hours: afternoon


def test_time_zone_decides_what_tomorrow_means() -> None:
    late = datetime(2025, 3, 12, 23, 30, tzinfo=ZoneInfo("UTC"))  # already the 13th in Tokyo
    assert one("tomorrow", "Asia/Tokyo", late)[0].date() == date(2025, 3, 14)
    assert one("tomorrow", "America/New_York", late)[0].date() == date(2025, 3, 13)


def test_dst_change_keeps_wall_clock_times() -> None:
    # UK clocks go forward on Sunday 30 March 2025.
    sat = datetime(2025, 3, 29, 12, tzinfo=ZoneInfo("UTC"))
    start, _ = one("tomorrow at 10:00", now=sat)
    assert start.hour == 10
    assert start.utcoffset() is not None
    assert start.utcoffset().total_seconds() == 3600  # type: ignore[union-attr]


def test_absolute_dates_and_day_first_rules() -> None:
    assert one("paid on 12/03/2025")[0].date() == date(2025, 3, 12)
    assert one("paid on 03/12/2025", tz="America/Chicago")[0].date() == date(2025, 3, 12)
    assert one("3 March")[0].date() == date(2025, 3, 3)
    assert one("March 5th, 2025")[0].date() == date(2025, 3, 5)
    assert one("2025-04-01")[0].date() == date(2025, 4, 1)
    # Without a year, the date closest to now: December is last year.
    assert one("on 20 December")[0].date() == date(2024, 12, 20)


def test_other_languages() -> None:
    start, end = one("morgen zwischen 9 und 12 Uhr", "Europe/Berlin")
    assert (start.day, start.hour, end.hour) == (13, 9, 12)
    start, end = one("vendredi 14h-18h", "Europe/Paris")
    assert (start.day, start.hour, end.hour) == (14, 14, 18)
    assert one("el lunes", "Europe/Madrid")[0].date() == date(2025, 3, 17)
    assert find_dates("Guten Morgen!", now=NOW, tz="Europe/Berlin") == []


def test_numbers_that_are_not_dates() -> None:
    assert find_dates("it costs 12.50 and takes 1-2 weeks, 3 times", now=NOW) == []


def test_business_days_skip_weekends_and_holidays() -> None:
    friday = date(2025, 3, 14)
    assert add_business_days(friday, 1) == date(2025, 3, 17)
    assert add_business_days(friday, 5) == date(2025, 3, 21)
    assert add_business_days(friday, 1, holidays={date(2025, 3, 17)}) == date(2025, 3, 18)
    mention = find_dates("within 5 business days", now=NOW, tz="Europe/London")[0]
    assert mention.deadline
    assert mention.end_at.date() == date(2025, 3, 19)


def test_products_from_catalogue_longest_first_on_word_boundaries() -> None:
    catalogue = ProductCatalogue.build(["Kettle Pro", "Kettle Pro 2000", "Wi-Fi Booster"])
    found = catalogue.find("My KETTLE PRO 2000 broke; the kettle pro is fine. wi-fi booster ok")
    assert [(p.name, p.text) for p in found] == [
        ("Kettle Pro 2000", "KETTLE PRO 2000"),
        ("Kettle Pro", "kettle pro"),
        ("Wi-Fi Booster", "wi-fi booster"),
    ]
    assert catalogue.find("my kettleprofessional") == []


def test_catalogue_aliases_map_to_canonical_names() -> None:
    catalogue = ProductCatalogue.build(
        {"fibre 500": "Fibre Broadband 500", "f500": "Fibre Broadband 500"}
    )
    assert [p.name for p in catalogue.find("Is F500 available?")] == ["Fibre Broadband 500"]


def test_extract_entities_puts_it_together() -> None:
    text = "Order ORD-2024-001: I paid €49.99 for the Kettle Pro, please refund by Friday 😡"
    entities = extract_entities(text, now=NOW, tz="Europe/London", catalogue=["Kettle Pro"])
    assert [r.value for r in entities.references] == ["ORD-2024-001"]
    assert [(m.amount, m.currency) for m in entities.money] == [(Decimal("49.99"), "EUR")]
    assert [p.name for p in entities.products] == ["Kettle Pro"]
    assert [d.text for d in entities.dates] == ["Friday"]
    assert entities.dates[0].deadline
    at = text.index("€")
    assert entities.to_dict()["money"] == [
        {"amount": "49.99", "currency": "EUR", "start": at, "end": at + 6, "text": "€49.99"}
    ]


def test_money_and_references_are_not_read_as_dates() -> None:
    entities = extract_entities("invoice 12/2024 for $12.50", now=NOW)
    assert entities.dates == ()


def test_more_everyday_expressions() -> None:
    assert one("this afternoon")[0].hour == 12
    assert one("this afternoon")[1].hour == 17
    assert one("change the payment date to the 5th")[0].date() == date(2025, 4, 5)
    assert one("on the 20th")[0].date() == date(2025, 3, 20)
    assert one("Monday 17th")[0].date() == date(2025, 3, 17)
    start, end = one("Thursday 20 March at 14:00")
    assert start == end == datetime(2025, 3, 20, 14, tzinfo=LONDON)
    assert one("by close of business Friday")[1] == datetime(2025, 3, 14, 17, tzinfo=LONDON)
    assert one("I'll call you at 10.")[0] == datetime(2025, 3, 13, 10, tzinfo=LONDON)
    start, end = one("within the next 2 hours")
    assert (start, end.hour, end.minute) == (NOW, 17, 30)


@pytest.mark.parametrize("text", ["24/7 support", "half price 1/2", "we live at 10 Downing Street"])
def test_not_dates(text: str) -> None:
    assert find_dates(text, now=NOW, tz="Europe/London") == []


def test_since_a_weekday_is_in_the_past() -> None:
    assert one("no movement since Monday")[0].date() == date(2025, 3, 10)
    assert one("kaputt seit Montag", "Europe/Berlin")[0].date() == date(2025, 3, 10)
