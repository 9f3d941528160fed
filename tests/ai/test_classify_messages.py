"""Language, sentiment, emotion, trajectory and the never-failing message classifier."""

from __future__ import annotations

import json
import logging
import shutil

import httpx
import pytest

from onestory.ai.classify import (
    CX_EMOTIONS,
    LanguageDetector,
    LexiconEmotion,
    LexiconSentiment,
    MessageClassifier,
    ModelStore,
    SafeClassifier,
    sentiment_trajectory,
    train_emotion_model,
    train_sentiment_model,
)
from onestory.ai.classify.encoder import MiniLMEmbedder
from onestory.ai.protocols import (
    Embedder,
    GenerationError,
    Generator,
    OpenAICompatibleGenerator,
    Prediction,
    TextClassifier,
)

LONG = "Hello, I am writing about my broken router. " * 2300  # ~100 KB


@pytest.fixture(scope="module")
def detector():
    return LanguageDetector()


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("Where is my parcel? It was due yesterday.", "en"),
        ("Wo ist mein Paket? Es sollte gestern kommen.", "de"),
        ("Mon colis n'est toujours pas arrivé", "fr"),
        ("¿Dónde está mi paquete?", "es"),
        ("Dov'è il mio ordine?", "it"),
        ("Onde está a minha encomenda?", "pt"),
        ("Waar blijft mijn pakket?", "nl"),
        ("Gdzie jest moja paczka?", "pl"),
        ("Где моя посылка?", "ru"),
        ("Paketim nerede?", "tr"),
        ("我的包裹在哪里", "zh"),
        ("荷物はどこですか", "ja"),
        ("택배 어디 있어요", "ko"),
        ("أين طردي؟", "ar"),
    ],
)
def test_language_on_short_customer_messages(detector, text, code):
    prediction = detector.predict([text])[0]
    assert prediction.label == code
    assert 0.0 < prediction.confidence <= 1.0
    assert prediction.model == "lingua"


@pytest.mark.parametrize("text", ["", "ok", "👍👍", "12345", "?!"])
def test_language_unknown_when_too_short(detector, text):
    assert detector.predict([text])[0].label == "unknown"


def test_language_on_100kb_text_is_fast_enough(detector):
    assert detector.predict([LONG])[0].label == "en"


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("Thank you so much, the technician was brilliant!", "positive"),
        ("This is the THIRD time I'm calling, absolutely ridiculous!!", "negative"),
        ("Where is my parcel?", "neutral"),
        ("The app is not working and I'm really frustrated", "negative"),
        ("not bad at all, it works now", "positive"),
        ("I am not happy with this", "negative"),
        ("Danke, super Service 👍", "positive"),
        ("Je suis très déçu", "negative"),
        ("😡😡😡", "negative"),
        ("The agent was nice but the product is still broken", "negative"),
    ],
)
def test_lexicon_sentiment(text, label):
    prediction = LexiconSentiment().predict([text])[0]
    assert prediction.label == label, prediction
    assert -1.0 <= prediction.scores["score"] <= 1.0
    assert 0.0 <= prediction.confidence <= 1.0


@pytest.mark.parametrize(
    ("text", "emotion"),
    [
        ("This is outrageous, you are a bunch of liars 😡", "anger"),
        ("Still waiting for an answer, third time I ask", "annoyance"),
        ("I'm so disappointed, I really loved this product", "sadness"),
        ("I'm worried someone has hacked my account", "fear"),
        ("I don't understand this charge, it doesn't make sense", "confusion"),
        ("Yay, it works, I'm so happy!", "joy"),
        ("Thank you so much for your help", "gratitude"),
        ("My order number is 12345", "neutral"),
    ],
)
def test_lexicon_emotion(text, emotion):
    prediction = LexiconEmotion().predict([text])[0]
    assert prediction.label == emotion, prediction
    assert set(prediction.scores) == set(CX_EMOTIONS)


def test_emotion_is_multi_label():
    labels = LexiconEmotion().predict_labels(["Thanks, I'm thrilled, but still confused!"])[0]
    assert {"gratitude", "joy", "confusion"} <= set(labels)


def test_trainable_sentiment_and_emotion_models():
    pos = ["great service", "love it", "thank you, brilliant", "works perfectly", "so happy"]
    neg = ["awful service", "hate it", "broken again", "terrible support", "so angry"]
    neu = ["my order number is 5", "where is the form", "what time is it", "I live in Leeds"]
    texts = (pos + neg + neu) * 3
    labels = (["positive"] * 5 + ["negative"] * 5 + ["neutral"] * 4) * 3
    sentiment = train_sentiment_model(texts, labels)
    good, bad = sentiment.predict(["really great, love it", "terrible, broken"])
    assert good.label == "positive"
    assert good.scores["score"] > 0 > bad.scores["score"]
    assert bad.label == "negative"

    sets = [["joy"], ["joy", "gratitude"], ["anger"], ["anger", "annoyance"], ["neutral"]]
    emo_texts = ["so happy", "thanks, so happy", "furious!", "furious, again!", "order 5"] * 4
    emotion = train_emotion_model(emo_texts, sets * 4, dev_texts=emo_texts, dev_label_sets=sets * 4)
    assert emotion.multi_label
    assert "anger" in emotion.predict_labels(["furious!!"])[0]
    assert emotion.predict(["thanks, so happy"])[0].label in {"joy", "gratitude"}


def test_trajectory():
    assert sentiment_trajectory([-0.8, -0.6, -0.1, 0.4, 0.7]).trend == "improving"
    worse = sentiment_trajectory([0.3, 0.1, -0.4, -0.8])
    assert worse.trend == "worsening"
    assert worse.lowest == -0.8
    assert worse.start > worse.end
    assert sentiment_trajectory([0.1, -0.05, 0.1, 0.0]).trend == "stable"
    assert sentiment_trajectory([0.5]).trend == "unknown"
    assert sentiment_trajectory([]).n_messages == 0


class _Exploding:
    name = "exploding"
    version = "0"

    def predict(self, texts):
        raise MemoryError("out of memory in the model")


def test_model_failure_degrades_to_unknown_with_logged_reason(caplog):
    safe = SafeClassifier(_Exploding())
    with caplog.at_level(logging.WARNING):
        preds = safe.predict(["hello", "there"])
    assert [p.label for p in preds] == ["unknown", "unknown"]
    assert "out of memory" in preds[0].explanation
    assert preds[0].model == "exploding"
    assert "out of memory" in caplog.text


@pytest.fixture(scope="module")
def models_dir(tmp_path_factory):
    """A models directory in which the first use has trained the starter intent model."""
    root = tmp_path_factory.mktemp("models")
    MessageClassifier.from_models_dir(root)
    return root


def test_message_classifier_end_to_end(models_dir):
    assert (models_dir / "intents" / "v1" / "meta.json").is_file()
    classifier = MessageClassifier.from_models_dir(models_dir)
    texts = [
        "I was charged twice and nobody answers, this is ridiculous!!",
        "Merci beaucoup, tout fonctionne 🙏",
        "",
        LONG,
        "asdf qwer zxcv",
        "<script>alert(1)</script> ' OR 1=1 --",
    ]
    results = classifier.classify(texts)
    assert len(results) == len(texts)
    first = results[0]
    assert first.language.label == "en"
    assert first.intent.label in {"billing_question", "complaint", "refund_request"}
    assert first.sentiment.label == "negative"
    assert first.emotion.label in {"annoyance", "anger"}
    assert results[1].language.label == "fr"
    assert results[1].sentiment.label == "positive"
    assert results[2].intent.label == "unknown"
    assert results[4].intent.label == "out_of_scope"
    json.dumps([r.as_dict() for r in results])  # serialisable for the insight row


def test_message_classifier_uses_saved_sentiment_model_and_survives_a_corrupt_one(
    tmp_path, models_dir
):
    models = tmp_path / "models"
    shutil.copytree(models_dir / "intents", models / "intents")
    trained = train_sentiment_model(
        ["great", "love it", "awful", "hate it"] * 3,
        ["positive", "positive", "negative", "negative"] * 3,
    )
    ModelStore(models / "sentiment").save(trained, {"name": trained.name})
    classifier = MessageClassifier.from_models_dir(models)
    assert classifier.classify_one("love it").sentiment.model == "onestory-sentiment-tfidf-lr"
    (models / "sentiment" / "v1" / "model.joblib").write_bytes(b"not a pickle")
    classifier = MessageClassifier.from_models_dir(models)
    assert classifier.classify_one("love it").sentiment.model == "onestory-sentiment-lexicon"


def test_defaults_satisfy_the_protocols():
    assert isinstance(LexiconSentiment(), TextClassifier)
    assert isinstance(LexiconEmotion(), TextClassifier)
    assert isinstance(LanguageDetector(), TextClassifier)
    assert isinstance(MiniLMEmbedder(), Embedder)
    assert isinstance(OpenAICompatibleGenerator("http://x", "m"), Generator)
    assert Prediction("a", 1.0, "", "m", "1").scores is None


def test_openai_compatible_generator_with_fake_transport():
    seen = {}

    def handler(request: httpx.Request) -> httpx.Response:
        seen["url"] = str(request.url)
        seen["auth"] = request.headers.get("authorization")
        seen["body"] = json.loads(request.content)
        return httpx.Response(200, json={"choices": [{"message": {"content": "Hello!"}}]})

    gen = OpenAICompatibleGenerator(
        "http://llm.local/v1/", "tiny", api_key="k", transport=httpx.MockTransport(handler)
    )
    assert gen.generate("Say hi", system="be brief", max_tokens=5) == "Hello!"
    assert seen["url"] == "http://llm.local/v1/chat/completions"
    assert seen["auth"] == "Bearer k"
    assert seen["body"]["messages"][0] == {"role": "system", "content": "be brief"}
    assert seen["body"]["max_tokens"] == 5

    broken = OpenAICompatibleGenerator(
        "http://llm.local", "tiny", transport=httpx.MockTransport(lambda r: httpx.Response(500))
    )
    with pytest.raises(GenerationError):
        broken.generate("hi")
    odd = OpenAICompatibleGenerator(
        "http://llm.local",
        "tiny",
        transport=httpx.MockTransport(lambda r: httpx.Response(200, json={})),
    )
    with pytest.raises(GenerationError):
        odd.generate("hi")


def test_public_label_mappings_for_train_defaults():
    from onestory.ai.classify.defaults import cx_emotion_labels, goemotions_polarity

    assert goemotions_polarity(
        [["joy"], ["anger", "annoyance"], ["neutral"], ["joy", "anger"]]
    ) == [
        "positive",
        "negative",
        "neutral",
        None,
    ]
    assert goemotions_polarity([["curiosity", "gratitude"]]) == ["positive"]
    # Weak emotions can be read as neutral (a recipe choice made on TweetEval val).
    weak = [["approval"], ["approval", "joy"], ["approval", "anger"]]
    assert goemotions_polarity(weak) == ["positive", "positive", None]
    assert goemotions_polarity(weak, as_neutral=("approval",)) == [
        "neutral",
        "positive",
        "negative",
    ]
    assert cx_emotion_labels([["grief", "nervousness"], ["pride"], ["disgust", "anger"]]) == [
        ["fear", "sadness"],
        [],
        ["anger"],
    ]
