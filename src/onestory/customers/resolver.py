"""Identity resolution for a batch of incoming events.

Rules (documented in docs/architecture.md):
- Strong identifiers (email, phone, external id, social handle) that point at different
  customers merge them. The survivor is the customer created first (ties: smaller id), so the
  outcome does not depend on which event arrives first in a batch.
- Weak identifiers (device, cookie) attach to a customer but never merge two known people. An
  anonymous customer (no strong identity yet, e.g. a web-chat visitor) *is* folded into the known
  customer once an event ties its cookie to their email: that is identification, not a merge of
  two people.
- Every merge is recorded with its evidence and a ``customer.merged`` event; merges are
  reversible (see ``service.unmerge``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from onestory.customers import repository as repo
from onestory.customers.identity import IdentityKey, is_strong_key
from onestory.kit.ids import new_id
from onestory.models import Customer, CustomerMerge, Identity


@dataclass
class _Cust:
    id: str
    created_at: datetime
    merged_into: str | None
    known: bool  # has a strong identity
    display_name: str | None
    new: bool = False
    name_dirty: bool = False
    first_seen: datetime | None = None
    last_seen: datetime | None = None


@dataclass
class MergeRecord:
    """A merge done while resolving; the caller turns it into a ``customer.merged`` event."""

    merge_id: str
    survivor_id: str
    merged_id: str
    reason: str
    evidence: dict[str, Any]
    occurred_at: datetime


@dataclass
class IdentityResolver:
    """Resolves events to customers with one round of bulk reads and bulk writes per batch."""

    session: Session
    now: datetime
    _owner: dict[str, str] = field(default_factory=dict)  # identity key -> customer id
    _custs: dict[str, _Cust] = field(default_factory=dict)
    _new_identities: dict[str, dict[str, Any]] = field(default_factory=dict)
    merges: list[MergeRecord] = field(default_factory=list)

    def prefetch(self, keys: set[str], customer_ids: set[str]) -> None:
        self._owner.update(repo.identities_by_key(self.session, keys))
        self._load_customers(set(self._owner.values()) | customer_ids)

    def _load_customers(self, ids: set[str]) -> None:
        missing = {i for i in ids if i not in self._custs}
        if not missing:
            return
        found = repo.customer_heads(self.session, missing)
        found_ids = {h.id for h in found}
        parents = {h.merged_into for h in found if h.merged_into} - set(self._custs)
        # Owners of a strong key read in `prefetch` are known people; ask the store only
        # about the others (reached through a weak key, an explicit id or a merge).
        known = {
            owner for key, owner in self._owner.items() if owner in found_ids and is_strong_key(key)
        }
        known |= repo.strong_identity_owners(self.session, found_ids - known)
        for h in found:
            self._custs[h.id] = _Cust(
                h.id,
                h.created_at,
                h.merged_into,
                h.id in known,
                h.display_name,
                first_seen=h.first_seen,
                last_seen=h.last_seen,
            )
        if parents - found_ids:
            self._load_customers(parents - found_ids)

    def _root(self, cid: str) -> str:
        seen = 0
        while (c := self._custs.get(cid)) is not None and c.merged_into and seen < 50:
            cid = c.merged_into
            seen += 1
        return cid

    def exists(self, customer_id: str) -> bool:
        self._load_customers({customer_id})
        return customer_id in self._custs

    def resolve(
        self,
        keys: list[IdentityKey],
        *,
        customer_id: str | None,
        name: str | None,
        event_id: str,
        occurred_at: datetime,
    ) -> str:
        """Return the (root) customer id for one event, creating, linking or merging as needed."""
        strong_roots: dict[str, list[str]] = {}
        for k in keys:
            if k.strong and (owner := self._owner.get(k.key)):
                strong_roots.setdefault(self._root(owner), []).append(k.key)
        if customer_id:
            strong_roots.setdefault(self._root(customer_id), []).append(
                f"customer_id:{customer_id}"
            )

        weak_roots: dict[str, list[str]] = {}
        for k in keys:
            if not k.strong and (owner := self._owner.get(k.key)):
                weak_roots.setdefault(self._root(owner), []).append(k.key)

        if strong_roots:
            target = self._merge_all(
                strong_roots, "shared strong identifiers", event_id, occurred_at
            )
            # An anonymous record behind a weak identifier is this person, now identified.
            anon = {
                r: ks for r, ks in weak_roots.items() if r != target and not self._custs[r].known
            }
            if anon:
                anon[target] = strong_roots.get(target, [])
                target = self._merge_into(
                    target, anon, "anonymous visitor identified", event_id, occurred_at
                )
        elif weak_roots:
            # Weak identifiers only: attach to the customer seen with them most recently
            # (deterministic: smallest id among owners), never merge.
            target = min(weak_roots)
        else:
            target = self._create(occurred_at)

        has_strong = False
        for k in keys:
            has_strong = has_strong or k.strong
            if k.key not in self._owner:
                self._owner[k.key] = target
                self._new_identities[k.key] = {
                    "key": k.key,
                    "kind": k.kind,
                    "value": k.value,
                    "strong": k.strong,
                    "customer_id": target,
                    "first_event_id": event_id,
                    "created_at": self.now,
                }
        cust = self._custs[target]
        if has_strong:
            cust.known = True
        if name and not cust.display_name:
            cust.display_name = name
            cust.name_dirty = True
        return target

    def _create(self, occurred_at: datetime) -> str:
        cid = new_id("cus")
        self._custs[cid] = _Cust(cid, self.now, None, False, None, new=True)
        return cid

    def _merge_all(
        self, roots: dict[str, list[str]], reason: str, event_id: str, occurred_at: datetime
    ) -> str:
        if len(roots) == 1:
            return next(iter(roots))
        survivor = min(roots, key=lambda r: (self._custs[r].created_at, r))
        return self._merge_into(survivor, roots, reason, event_id, occurred_at)

    def _merge_into(
        self,
        survivor: str,
        roots: dict[str, list[str]],
        reason: str,
        event_id: str,
        occurred_at: datetime,
    ) -> str:
        for other, evidence_keys in sorted(roots.items()):
            if other == survivor:
                continue
            self._flush_pending()  # DB rows must exist before they are re-pointed
            moved = repo.repoint_identities(self.session, other, survivor)
            children = repo.repoint_merged_children(self.session, other, survivor)
            for key, owner in list(self._owner.items()):
                if owner == other or owner in children:
                    self._owner[key] = survivor
            for child in children:
                # Customers merged into ``other`` in earlier batches are not loaded here; their
                # rows were re-pointed above.
                if child in self._custs:
                    self._custs[child].merged_into = survivor
            self._custs[other].merged_into = survivor
            self.session.get(Customer, other).merged_into = survivor  # type: ignore[union-attr]
            if self._custs[other].known:
                self._custs[survivor].known = True
            merge = CustomerMerge(
                id=new_id("mrg"),
                survivor_id=survivor,
                merged_id=other,
                reason=reason,
                evidence={
                    "event_id": event_id,
                    "survivor_keys": roots.get(survivor, []),
                    "merged_keys": evidence_keys,
                    "children": children,
                },
                moved_identities=moved,
                trigger_event_id=event_id,
                created_at=self.now,
            )
            self.session.add(merge)
            self.merges.append(
                MergeRecord(merge.id, survivor, other, reason, merge.evidence, occurred_at)
            )
        self.session.flush()
        return survivor

    def _flush_pending(self, spans: dict[str, tuple[datetime, datetime]] | None = None) -> None:
        new_custs = sorted((c for c in self._custs.values() if c.new), key=lambda c: c.id)
        for c in new_custs:
            if spans and c.id in spans:
                c.first_seen, c.last_seen = spans[c.id]
        repo.insert_rows(
            self.session,
            Customer,
            [
                {
                    "id": c.id,
                    "display_name": c.display_name,
                    "traits": {},
                    "merged_into": c.merged_into,
                    "created_at": c.created_at,
                    "first_seen": c.first_seen,
                    "last_seen": c.last_seen,
                }
                for c in new_custs
            ],
        )
        for c in new_custs:
            c.new = False
            c.name_dirty = False
        # Key order (and id order below) keeps concurrent writers (PostgreSQL) from
        # deadlocking on each other's rows.
        rows = sorted(self._new_identities.values(), key=lambda r: str(r["key"]))
        for r in rows:
            r["customer_id"] = self._root(self._owner[r["key"]])
        repo.insert_rows(self.session, Identity, rows)
        self._new_identities.clear()

    def flush(self, spans: dict[str, tuple[datetime, datetime]] | None = None) -> None:
        """Write new customers (with their seen window from ``spans``, keyed by root customer)
        and identities, and names learnt for existing customers."""
        self._flush_pending(spans)
        for c in self._custs.values():
            if c.name_dirty:
                row = self.session.get(Customer, c.id)
                if row is not None and not row.display_name:
                    row.display_name = c.display_name
                c.name_dirty = False

    def root_of(self, customer_id: str) -> str:
        return self._root(customer_id)

    def seen_windows(self) -> dict[str, tuple[datetime | None, datetime | None]]:
        """(first seen, last seen) of every customer read or created here, as stored."""
        return {c.id: (c.first_seen, c.last_seen) for c in self._custs.values()}
