"""Effort and frustration signals, and the score the proactive stage acts on."""

from __future__ import annotations

import pytest

from onestory.ai.extract.effort import ContactContext, effort_score, message_effort


def kinds(text: str) -> set[str]:
    return {s.kind for s in message_effort(text).signals}


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("I already told you my order number", "repeat"),
        ("for the third time, where is my refund", "repeat"),
        ("broken again!!", "repeat"),
        ("I've called 4 times this week", "repeat"),
        ("Ich habe schon dreimal angerufen", "repeat"),
        ("C'est la troisième fois que je vous écris", "repeat"),
        ("Es la tercera vez que llamo", "repeat"),
        ("I want to speak to a manager", "escalation"),
        ("put me through to your supervisor", "escalation"),
        ("I will file a formal complaint", "escalation"),
        ("Ich will mit Ihrem Vorgesetzten sprechen", "escalation"),
        ("I'm taking this to the ombudsman", "legal"),
        ("my lawyer will be in touch", "legal"),
        ("cancel my account now", "churn"),
        ("I'm switching to Verizon", "churn"),
        ("I'm done with you", "churn"),
        ("Ich kündige meinen Vertrag", "churn"),
        ("on hold for 45 minutes", "waiting"),
        ("nobody called back", "waiting"),
        ("THIS IS ABSOLUTELY RIDICULOUS", "shouting"),
        ("where is it!!!", "exclaiming"),
    ],
)
def test_signals(text: str, kind: str) -> None:
    assert kind in kinds(text)


@pytest.mark.parametrize(
    "text",
    [
        "Thanks, that worked perfectly :)",
        "I don't want to cancel my account, just change the plan",
        "My account manager set this up",
        "I'm going to Paris next week",
        "Can you send the invoice to my NASA email?",
        "",
    ],
)
def test_calm_messages_have_no_signals(text: str) -> None:
    assert kinds(text) == set()


def test_competitor_is_reported() -> None:
    signals = message_effort("we are moving to Vodafone next month").signals
    assert [(s.kind, s.detail) for s in signals] == [("churn", "Vodafone")]


def test_score_combines_messages_and_context_with_reasons() -> None:
    calm = effort_score(message_effort("Hello, quick question about my bill"))
    assert calm.score == 0.0
    assert calm.level == "low"

    angry = message_effort("FOR THE THIRD TIME my internet is down!!! I want a supervisor.")
    alone = effort_score(angry)
    assert alone.level in ("medium", "high")
    with_context = effort_score(
        [angry, message_effort("still waiting")],
        ContactContext(contacts_same_problem=4, window_days=7, channel_switches=2),
    )
    assert with_context.score > alone.score
    assert with_context.level == "high"
    assert 0.0 <= with_context.score <= 1.0
    assert any("4 contacts about the same problem in 7 days" in r for r in with_context.reasons)
    assert any("switched channel 2" in r for r in with_context.reasons)


def test_repeated_contacts_alone_raise_effort() -> None:
    once = effort_score([], ContactContext(contacts_same_problem=1))
    thrice = effort_score([], ContactContext(contacts_same_problem=3))
    assert once.score == 0.0
    assert thrice.score > 0.4


def test_one_long_rant_counts_each_kind_once() -> None:
    rant = message_effort("again!! " * 500)
    assert effort_score(rant).score < 0.6
