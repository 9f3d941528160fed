"""Privacy: a customer's consents (per purpose and channel) and contact preferences
(preferred channel, language, time zone).

It owns the ``consents`` and ``contact_preferences`` tables, the rules for changing them (each
change is a story event recorded with it) and the HTTP endpoints under
``/v1/customers/{id}/consents`` and ``/v1/customers/{id}/contact-preferences``. Other domains
(the channels outbox, the proactive guardrails and playbooks) read them only through
:mod:`onestory.privacy.service`. It may use kit, db, models, the events core, the customers
service (to find a customer's root) and the cases ``Change`` shape; its endpoints also use auth,
the request dependencies and the unit of work. No other domain.
"""
