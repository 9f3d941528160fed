"""Conversations: one thread per customer across channels, projected from messages in the
project stage; the inbox, replies, assignment and routing to queues. Uses users (queues),
the live hub, the story core and the core runtime."""
