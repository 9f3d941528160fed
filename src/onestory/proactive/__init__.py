"""Proactive service: signals (detect stage), playbooks with guardrails (act stage), churn
risk, outreach held back by quiet hours. Uses cases (promises), privacy (consent), the
story core and the core runtime; never channels (it emits ``message.sent`` events the
outbox delivers)."""
