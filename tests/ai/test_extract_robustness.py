"""Every public extractor must return (never raise) on any text, quickly, even when hostile."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from onestory.ai.extract import (
    SummaryMessage,
    analyse_message,
    detect_pii,
    effort_score,
    extract_entities,
    extract_promises,
    find_dates,
    message_effort,
    redact,
    summarize,
)

NOW = datetime(2025, 3, 12, 15, 30, tzinfo=ZoneInfo("UTC"))

EXTRACTORS: dict[str, Callable[[str], object]] = {
    "detect_pii": lambda t: detect_pii(t, default_region="GB"),
    "redact": lambda t: redact(t),
    "entities": lambda t: extract_entities(t, now=NOW, tz="Europe/London", catalogue=["Kettle"]),
    "dates": lambda t: find_dates(t, now=NOW, tz="America/New_York"),
    "effort": lambda t: effort_score(message_effort(t)),
    "promises": lambda t: extract_promises(t, now=NOW, tz="Europe/Paris"),
    "summary": lambda t: summarize([SummaryMessage(t, "customer", NOW)], tz="Europe/London"),
    "analyse_customer": lambda t: analyse_message(t, role="customer", now=NOW, region="GB"),
    "analyse_agent": lambda t: analyse_message(t, role="agent", now=NOW, tz="Europe/Rome"),
}

HOSTILE = {
    "digits_spaces": "1 2 " * 25_000,
    "digits_at": "1@" * 50_000,
    "digit_run": "7" * 100_000,
    "digits_spaces_at": "12 @ 3 " * 15_000,
    "letters_at_dots": "a.b@" * 25_000,
    "capitalised": "Hi Ab Cd, " * 10_000,
    "colons": "1:" * 50_000,
    "dashes": "1-" * 50_000,
    "slashes_dots": "12/03." * 17_000,
    "currency": "€1,000," * 14_000,
    "order_words": "order #1 " * 11_000,
    "emoji": "😡🙏👍" * 30_000,
    "newlines": "Thanks,\n" * 12_000,
    "mixed_words": "we will call you tomorrow between 9 and 12 " * 2_300,
    "exclaim_caps": "WHY!!! " * 14_000,
}


@pytest.mark.parametrize("name", sorted(EXTRACTORS))
@pytest.mark.parametrize("kind", sorted(HOSTILE))
def test_hostile_100kb_inputs_finish_fast(name: str, kind: str) -> None:
    text = HOSTILE[kind]
    assert len(text) >= 90_000
    started = time.perf_counter()
    EXTRACTORS[name](text)
    # Guards against catastrophic regex backtracking (minutes), not speed: see bench/ai.
    assert time.perf_counter() - started < 15.0, f"{name} too slow on {kind}"


@pytest.mark.parametrize("name", sorted(EXTRACTORS))
@pytest.mark.parametrize("text", ["", " ", "\x00", "\ud800", "?", "!!!", "\n\n", "é" * 3])
def test_degenerate_inputs(name: str, text: str) -> None:
    EXTRACTORS[name](text)


@pytest.mark.parametrize("name", sorted(EXTRACTORS))
def test_non_str_input_does_not_raise(name: str) -> None:
    EXTRACTORS[name](None)  # type: ignore[arg-type]
    EXTRACTORS[name](12345)  # type: ignore[arg-type]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.sampled_from(
            [*"0123456789 +-./:@#€$£,()!?\nAaBbZzÉéß", "order ", "tomorrow ", "we'll ", "Hi "]
        ),
        max_size=200,
    ).map("".join)
)
def test_fuzzed_text_never_raises(text: str) -> None:
    for extractor in EXTRACTORS.values():
        extractor(text)


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=300))
def test_redaction_only_changes_detected_spans(text: str) -> None:
    result = redact(text)
    if not result.spans:
        assert result.text == text
    previous_end = 0
    for span in result.spans:
        assert previous_end <= span.start < span.end <= len(text)
        previous_end = span.end
