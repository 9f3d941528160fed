"""Cases: cases, tasks and promises projected from the story (one module per aggregate:
``case``, ``task``, ``promise``; SQL in ``repository``), the promise checker and the
one-screen summary. Uses the story core, the pipeline and the core runtime; no other domain."""
