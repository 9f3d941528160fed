"""Offline classifiers for customer messages: language, intent, sentiment, emotion.

The enrichment stage needs one object: :class:`MessageClassifier` (built with
:meth:`MessageClassifier.from_models_dir`), whose ``classify(texts)`` never raises. The pieces
are public for training, the CLI and benchmarks; see ``docs/ai.md`` for which model is which.
"""

from onestory.ai.classify._data import Example, load_examples
from onestory.ai.classify.emotion import (
    CX_EMOTIONS,
    LexiconEmotion,
    LinearEmotionModel,
    train_emotion_model,
)
from onestory.ai.classify.intent import (
    OUT_OF_SCOPE,
    IntentModel,
    IntentTrainingConfig,
    starter_examples,
    train_and_save,
    train_intent_model,
)
from onestory.ai.classify.language import LanguageDetector, default_language_detector
from onestory.ai.classify.sentiment import (
    LexiconSentiment,
    LinearSentimentModel,
    train_sentiment_model,
)
from onestory.ai.classify.store import IntentModelStore, ModelNotFound, ModelStore, ModelVersion
from onestory.ai.classify.suite import MessageClassifier, MessageInsights, SafeClassifier
from onestory.ai.classify.trajectory import Trajectory, sentiment_trajectory

__all__ = [
    "CX_EMOTIONS",
    "OUT_OF_SCOPE",
    "Example",
    "IntentModel",
    "IntentModelStore",
    "IntentTrainingConfig",
    "LanguageDetector",
    "LexiconEmotion",
    "LexiconSentiment",
    "LinearEmotionModel",
    "LinearSentimentModel",
    "MessageClassifier",
    "MessageInsights",
    "ModelNotFound",
    "ModelStore",
    "ModelVersion",
    "SafeClassifier",
    "Trajectory",
    "default_language_detector",
    "load_examples",
    "sentiment_trajectory",
    "starter_examples",
    "train_and_save",
    "train_emotion_model",
    "train_intent_model",
    "train_sentiment_model",
]
