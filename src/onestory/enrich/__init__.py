"""Enrichment: the enrich stage writes AI insights per message (language, intent, sentiment,
emotion, effort, PII), corrections and retraining, and the AI routes. Uses ai, the story
core and the core runtime; no other domain."""
