"""Conversation summaries as the agent desktop and the handoff show them."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from onestory.ai.extract.message import EXTRACTOR_NAME, EXTRACTOR_VERSION, analyse_message
from onestory.ai.extract.summary import SummaryMessage, summarize

T0 = datetime(2025, 3, 14, 9, 0, tzinfo=ZoneInfo("UTC"))  # Friday


class FakeGenerator:
    def __init__(self, reply: str = "Broken kettle; refund promised.") -> None:
        self.reply = reply
        self.prompts: list[str] = []

    def generate(self, prompt: str, *, max_tokens: int) -> str:
        self.prompts.append(prompt)
        return self.reply


class BrokenGenerator:
    def generate(self, prompt: str, *, max_tokens: int) -> str:
        raise TimeoutError("LLM endpoint unreachable")


def conversation() -> list[SummaryMessage]:
    return [
        SummaryMessage(
            "Hi, order #48213 (Kettle Pro) arrived broken. I paid €49.99. Can I get a refund? "
            "My email is anna@example.org",
            "customer",
            T0,
            intent="refund_request",
            intent_confidence=0.8,
            sentiment="negative",
        ),
        SummaryMessage(
            "Sorry about that! We'll refund you within 5 business days.",
            "agent",
            T0 + timedelta(minutes=5),
        ),
        SummaryMessage(
            "Thanks. When will the replacement arrive? For the third time, I need it by Friday!",
            "customer",
            T0 + timedelta(minutes=7),
            intent="delivery_status",
            intent_confidence=0.6,
            sentiment="neutral",
        ),
    ]


def test_structured_summary() -> None:
    summary = summarize(conversation(), tz="Europe/London", catalogue=["Kettle Pro"])
    assert summary.primary_intent == "refund_request"
    assert [(r.kind, r.value) for r in summary.key_facts.references] == [("order", "48213")]
    assert [str(m.amount) for m in summary.key_facts.money] == ["49.99"]
    assert [p.name for p in summary.key_facts.products] == ["Kettle Pro"]
    assert (summary.sentiment.start, summary.sentiment.end) == ("negative", "neutral")
    assert summary.sentiment.trend == "improved"
    [promise] = summary.promises
    assert promise.kind == "refund"
    assert promise.due_by.date().isoformat() == "2025-03-21"
    # The first question was answered by the agent; the second was not.
    assert [q.text for q in summary.open_questions] == ["When will the replacement arrive?"]
    assert summary.effort.score > 0
    assert summary.narrative is None
    text = summary.to_text()
    assert "Intent: refund_request" in text
    assert "Open question: When will the replacement arrive?" in text
    assert summary.to_dict()["primary_intent"] == "refund_request"


def test_messages_out_of_order_are_sorted_by_time() -> None:
    msgs = conversation()
    summary = summarize(list(reversed(msgs)), tz="Europe/London")
    assert [q.text for q in summary.open_questions] == ["When will the replacement arrive?"]


def test_llm_narrative_gets_a_redacted_prompt() -> None:
    fake = FakeGenerator("  Broken kettle;\n refund promised.  ")
    summary = summarize(conversation(), tz="Europe/London", generator=fake)
    assert summary.narrative == "Broken kettle; refund promised."
    [prompt] = fake.prompts
    assert "anna@example.org" not in prompt
    assert "[EMAIL]" in prompt
    assert "[customer]" in prompt


def test_failing_generator_keeps_the_structured_summary() -> None:
    summary = summarize(conversation(), tz="Europe/London", generator=BrokenGenerator())
    assert summary.narrative is None
    assert summary.primary_intent == "refund_request"


def test_empty_and_label_free_conversations() -> None:
    empty = summarize([])
    assert empty.primary_intent is None
    assert empty.to_text() == ""
    bare = summarize([SummaryMessage("hello?", "customer", T0)])
    assert bare.primary_intent is None
    assert bare.sentiment.trend == "unknown"
    assert [q.text for q in bare.open_questions] == ["hello?"]


def test_naive_timestamps_are_read_as_utc() -> None:
    msgs = [
        SummaryMessage("When do you open?", "customer", datetime(2025, 3, 14, 9, 0)),
        SummaryMessage("We will call you tomorrow.", "agent", T0 + timedelta(hours=1)),
    ]
    summary = summarize(msgs, tz="Europe/London")
    assert summary.open_questions == ()
    assert [p.kind for p in summary.promises] == ["callback"]


def test_analyse_message_runs_the_extractors_that_fit_the_role() -> None:
    customer = analyse_message(
        "For the third time: order #48213 never arrived. Call me on +44 20 7946 0958!!",
        role="customer",
        now=T0,
        tz="Europe/London",
        region="GB",
    )
    assert [s.kind for s in customer.pii] == ["phone"]
    assert [r.value for r in customer.entities.references] == ["48213"]
    assert customer.effort_score.score > 0.3
    assert customer.promises == ()
    agent = analyse_message(
        "We'll refund you within 5 business days.", role="agent", now=T0, tz="Europe/London"
    )
    assert [p.kind for p in agent.promises] == ["refund"]
    assert agent.effort.signals == ()
    payload = agent.to_dict()
    assert (payload["model"], payload["version"]) == (EXTRACTOR_NAME, EXTRACTOR_VERSION)
    assert analyse_message("", role="customer", now=T0).to_dict()["pii"] == []
