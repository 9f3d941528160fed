"""Auth: API keys (stored as SHA-256, with scopes), the calling principal, and the guard
(``guard.py``: key cache revoked everywhere at once, browser sessions, the rate limiter).
Foundation: uses models, db, config and kit only."""
