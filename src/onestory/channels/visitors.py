"""What the widget reads about a visitor: the customer and open conversation they already are,
and the history they may see. Reads only; each in its own read transaction."""

from __future__ import annotations

from typing import Any

from onestory.app_state import Runtime
from onestory.channels.widget import Visitor
from onestory.conversations import repository as conv_repo
from onestory.conversations.views import message_view
from onestory.customers import repository as customers_repo
from onestory.customers.identity import identity_keys
from onestory.events.schemas import Identifiers
from onestory.models import Customer


def find_customer(runtime: Runtime, v: Visitor) -> tuple[str | None, str | None]:
    """The customer (and open conversation) a visitor already is, without creating anything."""
    keys = [
        k.key
        for k in identity_keys(
            Identifiers.model_validate(v.identifiers()),
            runtime.settings.ingest.default_phone_region,
        )
    ]
    with runtime.db.transaction() as s:
        owners = customers_repo.identities_by_key(s, keys)
        owner = next((owners[k] for k in keys if k in owners), None)
        if owner is None:
            return None, None
        customer = s.get(Customer, owner)
        root = customer.merged_into if customer and customer.merged_into else owner
        conv = conv_repo.open_for_customer(s, root)
        return root, conv.id if conv else None


def history(runtime: Runtime, customer_id: str | None) -> list[dict[str, Any]]:
    """The messages of the customer's open conversations, oldest first (a visitor just
    verified may have one from before and one begun anonymously)."""
    if not customer_id:
        return []
    with runtime.db.transaction() as s:
        convs = conv_repo.open_for_customers(s, customers_repo.group_ids(s, customer_id))
        found = [m for c in convs for m in conv_repo.messages_of(s, c.id, 200)]
        found.sort(key=lambda m: (m.occurred_at, m.id))
        return [visible(message_view(m)) for m in found[-200:] if m.kind == "message"]


def visible(m: dict[str, Any]) -> dict[str, Any]:
    """What a visitor may see of a message (no internal ids of agents)."""
    return {
        "event_id": m["event_id"],
        "direction": m["direction"],
        "author": m["author"],
        "text": m["text"],
        "status": m["status"],
        "channel": m["channel"],
        "occurred_at": m["occurred_at"],
    }


def open_conversation(runtime: Runtime, customer_id: str) -> Any:
    with runtime.db.transaction() as s:
        conv = conv_repo.open_for_customer(s, customer_id)
        if conv is not None:
            s.expunge(conv)
        return conv
