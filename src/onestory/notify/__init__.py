"""Notify: the last pipeline stage pushes every fully processed story item to open screens,
and the ``/v1/live`` WebSocket screens subscribe on. Uses the live hub, the story core and
the core runtime; no other domain."""
