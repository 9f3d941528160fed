"""Channels: the inbound path every channel records through (``inbound``), the outbox that
delivers replies (email, SMS/WhatsApp, social, the widget), the chat widget and its email
verification. Uses conversations (threads), privacy (consent, preferences), ingest and the
core; never proactive."""
