"""A customer that already absorbed others is itself merged later: the chain follows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.conftest import Api, event


def test_merging_a_customer_that_already_absorbed_another(api: Api) -> None:
    t0 = datetime.now(UTC) - timedelta(days=3)
    oldest = api.post("/v1/events", json=event(email="c1@example.com", when=t0)).json()
    a = api.post("/v1/events", json=event(email="a@example.com")).json()
    b = api.post("/v1/events", json=event(email="b@example.com")).json()
    # b is folded into a (a was created first) ...
    r = api.post("/v1/events", json=event(email="a@example.com", phone="+442079460018"))
    assert r.status_code == 201
    r = api.post("/v1/events", json=event(email="b@example.com", phone="+442079460018"))
    assert r.json()["customer_id"] == a["customer_id"]
    # ... then a (with b inside) is folded into the oldest customer, in a later request.
    r = api.post("/v1/events", json=event(email="c1@example.com", phone="+442079460018"))
    assert r.status_code == 201, r.text
    assert r.json()["customer_id"] == oldest["customer_id"]
    api.drain()
    for cid in (a["customer_id"], b["customer_id"]):
        profile = api.get(f"/v1/customers/{cid}").json()
        assert profile["id"] == oldest["customer_id"]
    story = api.get(f"/v1/customers/{oldest['customer_id']}/story", params={"limit": 100}).json()
    ids = {i["id"] for i in story["items"]}
    assert {oldest["id"], a["id"], b["id"]} <= ids
