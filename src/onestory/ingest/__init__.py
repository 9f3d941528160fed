"""Ingest: how events come in — the HTTP routes (one event, a batch, search), the retrying
write transaction every intake path records through (``service``), and the worker processes
that prepare large batches (``parallel``). Uses the story core (events, customers), the
pipeline's unit of work and the core runtime; no other domain."""
