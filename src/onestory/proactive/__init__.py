"""Proactive service: signals, churn risk and the playbooks that act on them."""
