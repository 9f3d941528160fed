"""The enrich stage end to end: every text-bearing event gets insights with model and version;
personal data never reaches the store in clear; AI failures degrade, never block."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from onestory.ai.protocols import Prediction
from onestory.config import Settings
from onestory.models import Event
from tests.conftest import Api, event, make_settings, open_api
from tests.enrich.test_intent_governance import retrain


def story(api: Api, customer_id: str, **params: Any) -> list[dict[str, Any]]:
    r = api.get(f"/v1/customers/{customer_id}/story", params={"limit": 100, **params})
    assert r.status_code == 200, r.text
    items: list[dict[str, Any]] = r.json()["items"]
    return items


def item_of(api: Api, rec: dict[str, Any]) -> dict[str, Any]:
    """The story item of a recorded event (other stages add their own items around it)."""
    [item] = [i for i in story(api, rec["customer_id"]) if i["id"] == rec["id"]]
    return item


def insights_of(item: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {i["kind"]: i for i in item["insights"]}


def send(api: Api, body: dict[str, Any]) -> dict[str, Any]:
    r = api.post("/v1/events", json=body)
    assert r.status_code == 201, r.text
    out: dict[str, Any] = r.json()
    return out


def test_customer_message_gets_every_insight_with_model_and_version(api: Api) -> None:
    text = (
        "This is the third time I'm asking!!! Order 48213 never arrived and you charged my "
        "card 4111 1111 1111 1111 twice. Email me at ada.l@example.org"
    )
    rec = send(api, event(payload={"text": text}, channel="email"))
    api.drain()
    item = item_of(api, rec)
    # Stored redacted: neither the card number nor the email survive in the payload.
    stored = item["payload"]["text"]
    assert "4111" not in stored
    assert "ada.l@example.org" not in stored
    assert "[CARD]" in stored
    assert "[EMAIL]" in stored
    found = insights_of(item)
    assert {"language", "intent", "sentiment", "emotion", "effort", "pii"} <= set(found)
    assert found["language"]["value"]["code"] == "en"
    assert found["sentiment"]["value"]["label"] == "negative"
    assert found["sentiment"]["value"]["score"] < 0
    assert found["emotion"]["value"]["label"] in {"anger", "annoyance"}
    assert found["effort"]["value"]["score"] > 0.3
    assert set(found["pii"]["value"]["kinds"]) == {"card", "email"}
    for i in found.values():
        assert i["model"]
        assert i["model_version"]
        assert i["explanation"]
    assert found["intent"]["confidence"] is not None
    assert 0.0 <= found["intent"]["confidence"] <= 1.0


def test_agent_promise_is_extracted_and_agent_text_gets_no_customer_insights(api: Api) -> None:
    body = event(
        "message.sent",
        payload={
            "text": "I'm sorry about that. We'll refund you within 5 business days.",
            "author": "agent",
        },
    )
    rec = send(api, body)
    api.drain()
    item = item_of(api, rec)
    found = insights_of(item)
    assert "promises" in found
    [promise] = found["promises"]["value"]["items"]
    assert promise["kind"] == "refund"
    assert datetime.fromisoformat(promise["due_by"]) > datetime.now(UTC)
    assert "intent" not in found  # intents and effort describe the customer, not the agent
    assert "effort" not in found
    assert "language" in found


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("Ich möchte mein Abonnement kündigen, bitte bestätigen Sie das.", "de"),
        ("Bonjour, ma commande n'est toujours pas arrivée, pouvez-vous m'aider ?", "fr"),
        ("Hola, quiero cambiar la dirección de entrega de mi pedido.", "es"),
    ],
)
def test_non_english_messages(api: Api, text: str, language: str) -> None:
    rec = send(api, event(payload={"text": text}))
    api.drain()
    item = item_of(api, rec)
    assert insights_of(item)["language"]["value"]["code"] == language


def test_emoji_long_and_textless_events_are_processed(api: Api) -> None:
    emoji = send(api, event(payload={"text": "😡😡😡 👎"}, email="e@example.com"))
    long = send(
        api,
        event(payload={"text": "my router keeps dropping the connection " * 1200}, email="l@x.io"),
    )
    textless = send(api, event("payment.failed", payload={"amount": 9.5, "currency": "EUR"}))
    api.drain()
    assert insights_of(item_of(api, emoji))["sentiment"]["value"]["label"] in {
        "negative",
        "neutral",
    }
    long_insights = insights_of(item_of(api, long))
    assert long_insights["intent"]["value"]["label"] != ""
    pay = [i for i in story(api, textless["customer_id"]) if i["type"] == "payment.failed"]
    assert pay[0]["insights"] == []
    health = api.get("/health").json()
    assert health["pipeline_pending"] == 0
    # The enrich stage waited for the background model load, so /health says it is done.
    assert health["ai_models"] == "ready"


def test_a_failing_model_degrades_to_unknown_and_never_blocks(api: Api) -> None:
    enricher = api.application.enrich.enricher
    assert enricher is not None

    class Broken:
        name = "broken-intent"
        version = "0"

        def predict(self, texts: Any) -> list[Prediction]:
            raise RuntimeError("weights corrupted")

    enricher.classifier.intent.inner = Broken()
    rec = send(api, event(payload={"text": "Where is my parcel?"}))
    api.drain()
    item = item_of(api, rec)
    intent = insights_of(item)["intent"]
    assert intent["value"]["label"] == "unknown"
    assert "weights corrupted" in intent["explanation"]
    assert insights_of(item)["language"]["value"]["code"] == "en"
    enricher.reload()


def test_repeat_contacts_across_channels_raise_effort(api: Api) -> None:
    start = datetime.now(UTC) - timedelta(days=3)
    texts = [
        ("chat", "Where is my parcel? It has not arrived."),
        ("email", "My parcel still has not arrived, where is it?"),
        ("sms", "Where is my parcel?? still nothing"),
    ]
    cid = None
    for n, (channel, text) in enumerate(texts):
        rec = send(
            api,
            event(payload={"text": text}, channel=channel, when=start + timedelta(days=n)),
        )
        cid = rec["customer_id"]
        api.drain()  # in order: each contact sees the ones before it
    assert cid is not None
    items = [i for i in story(api, cid) if i["type"] == "message.received"]
    assert len(items) == 3
    newest = insights_of(items[0])
    oldest = insights_of(items[-1])
    assert newest["effort"]["value"]["score"] > oldest["effort"]["value"]["score"]
    reasons = " ".join(newest["effort"]["value"]["reasons"])
    assert "contact" in reasons


def test_correction_becomes_training_data_and_models_roll_back(api: Api) -> None:
    rec = send(api, event(payload={"text": "the thing with my account again"}))
    api.drain()
    item = item_of(api, rec)
    r = api.post(
        f"/v1/events/{item['id']}/insights/intent/correction", json={"label": "account_locked"}
    )
    assert r.status_code == 200, r.text
    api.drain()
    items = story(api, rec["customer_id"])
    [corrected] = [i for i in items if i["type"] == "insight.corrected"]
    assert corrected["payload"]["after"] == "account_locked"
    fixed = insights_of(item_of(api, rec))["intent"]
    assert fixed["value"]["label"] == "account_locked"
    assert fixed["value"]["corrected"] is True

    enricher = api.application.enrich.enricher
    assert enricher is not None
    lines = enricher.intent_store.corrections_path.read_text().splitlines()
    assert len(lines) == 1
    assert "account_locked" in lines[0]

    before = api.get("/v1/ai/models").json()[0]
    job = retrain(api)
    assert job["status"] == "succeeded", job
    assert job["result"]["trained_on"] == "starter"  # the shared starter copy keeps none
    after = api.get("/v1/ai/models").json()[0]
    assert after["active"] != before["active"]
    assert after["versions"][-1]["meta"]["n_corrections"] == 1
    r = api.post("/v1/ai/models/intent/rollback", json={"version": before["active"]})
    assert r.json()["active"] == before["active"]
    assert api.post("/v1/ai/models/intent/rollback", json={"version": "v99"}).status_code == 404
    bad = api.post(f"/v1/events/{item['id']}/insights/intent/correction", json={"label": "Nope!"})
    assert bad.status_code == 422
    assert bad.headers["content-type"].startswith("application/problem+json")


def test_retrain_keeps_a_brands_own_training_set(api: Api) -> None:
    from onestory.ai.classify import Example, starter_examples, train_and_save

    enricher = api.application.enrich.enricher
    assert enricher is not None
    brand = [
        Example(text, "loyalty_points")
        for text in (
            "how many loyalty points do I have",
            "my points from last month are missing",
            "can I spend my reward points on delivery",
            "points balance please",
            "why did my loyalty points expire",
            "transfer my bonus points to my partner",
            "I didn't get points for my last order",
            "what are my reward points worth",
        )
    ]
    _model, trained = train_and_save(enricher.intent_store, [*starter_examples(), *brand])
    enricher.reload()
    enricher.intent_store.add_correction("the stars on my card vanished", "loyalty_points")

    job = retrain(api)
    assert job["status"] == "succeeded", job
    body = {**job["result"], "active": job["result"]["version"]}
    assert body["trained_on"] == trained.version
    assert body["n_examples"] == len(starter_examples()) + len(brand)
    assert body["n_corrections"] == 1
    assert body["active"] != trained.version
    rec = send(api, event(payload={"text": "how many loyalty points are on my account?"}))
    api.drain()
    intent = insights_of(item_of(api, rec))["intent"]
    assert intent["value"]["label"] == "loyalty_points"
    assert intent["model_version"] == body["active"]

    # A damaged training set is a clear error, never a silent retrain on the starter set.
    examples = enricher.intent_store.directory / body["active"] / "examples.jsonl"
    examples.write_text("not json\n")
    job = retrain(api)
    assert job["status"] == "failed" and "cannot be read" in job["error"]
    assert api.get("/v1/ai/models").json()[0]["active"] == body["active"]


def test_sentiment_trajectory_and_structured_summary(api: Api) -> None:
    start = datetime.now(UTC) - timedelta(hours=2)
    texts = [
        ("customer", "Hi, my internet has been down since yesterday, this is awful."),
        ("agent", "Sorry about that! A technician will visit on Tuesday between 9 and 12."),
        ("customer", "Great, thank you so much, that's really helpful!"),
    ]
    cid = None
    for n, (author, text) in enumerate(texts):
        type_ = "message.received" if author == "customer" else "message.sent"
        rec = send(
            api,
            event(
                type_, payload={"text": text, "author": author}, when=start + timedelta(minutes=n)
            ),
        )
        cid = rec["customer_id"]
    api.drain()
    r = api.get(f"/v1/customers/{cid}/sentiment")
    assert r.status_code == 200, r.text
    body = r.json()
    assert len(body["points"]) == 2
    assert body["trajectory"]["trend"] == "improving"
    r = api.get(f"/v1/customers/{cid}/conversation-summary")
    assert r.status_code == 200, r.text
    summary = r.json()
    assert summary["messages"] == 3
    assert summary["summary"]["promises"]
    assert summary["text"]
    # No LLM configured: asking for a narrative is a clear 409, not a 500.
    r = api.get(f"/v1/customers/{cid}/conversation-summary", params={"narrative": "true"})
    assert r.status_code == 409


@pytest.fixture
def encrypt_api(tmp_path: Path, sqlite_url: str) -> Iterator[Api]:
    settings: Settings = make_settings(tmp_path, sqlite_url)
    settings.ai.pii_policy = "encrypt"
    yield from open_api(settings)


def test_encrypt_policy_keeps_the_original_for_an_audited_admin_reveal(
    encrypt_api: Api, tmp_path: Path
) -> None:
    api = encrypt_api
    text = "Call me on +44 20 7946 0018, card 5555 5555 5555 4444"
    rec = send(api, event(payload={"text": text}))
    api.drain()
    item = item_of(api, rec)
    assert "5555" not in item["payload"]["text"]
    # The ciphertext is never sent to API readers.
    assert "encrypted" not in str(item["payload"])
    with api.runtime.db.transaction() as s:
        stored = s.scalar(select(Event).where(Event.id == rec["id"]))
        assert stored is not None
        assert "5555" not in str(stored.payload)  # ciphertext only, no clear text anywhere
    assert (tmp_path / "var" / "pii.key").is_file()
    reader = api.new_key(["customers:read"])
    denied = api.client.get(
        f"/v1/events/{rec['id']}/original", headers={"Authorization": f"Bearer {reader}"}
    )
    assert denied.status_code == 403
    r = api.get(f"/v1/events/{rec['id']}/original")
    assert r.status_code == 200, r.text
    assert r.json()["original"]["text"] == text
    api.drain()
    assert any(i["type"] == "pii.revealed" for i in story(api, rec["customer_id"]))


def test_redact_policy_has_nothing_to_reveal(api: Api) -> None:
    rec = send(api, event(payload={"text": "card 4111 1111 1111 1111"}))
    assert api.get(f"/v1/events/{rec['id']}/original").status_code == 409
