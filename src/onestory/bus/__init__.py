"""The event bus between pipeline stages: in-process queues or Redis Streams. Foundation:
uses kit only."""
