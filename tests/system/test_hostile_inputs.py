"""Hostile single inputs (issue #12 items 4 and 5): each is a 422 naming the field, never a
500, and in a batch it fails only its own item. On SQLite and PostgreSQL (the NUL cases broke
only PostgreSQL, the timestamps both), in-process and through the prepare worker."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Api, event, make_settings, open_api

NUL = "\u0000"


def _items(r: Any) -> list[dict[str, Any]]:
    assert r.status_code == 207, r.text
    items: list[dict[str, Any]] = r.json()["items"]
    return items


def _fields(problem: dict[str, Any]) -> set[str]:
    return {e["field"] for e in problem.get("errors", [])}


HOSTILE_ITEMS: list[tuple[str, dict[str, Any]]] = [
    ("occurred_at", event(email="t1@example.com") | {"occurred_at": "0001-01-01T00:00:00+14:00"}),
    ("occurred_at", event(email="t2@example.com") | {"occurred_at": "1850-06-01T00:00:00Z"}),
    ("payload.text", event(email="n1@example.com", payload={"text": f"hi{NUL}there"})),
    ("payload.note", event(email="n2@example.com", payload={"text": "ok", "note": NUL})),
    ("customer.name", event(email="n3@example.com", name=f"Ada{NUL}")),
    ("idempotency_key", event(email="n4@example.com", key=f"k{NUL}1")),
    ("source", event(email="n5@example.com") | {"source": f"a{NUL}"}),
]


def _check_batch(api: Api, pad: int = 0) -> None:
    good = [event(email=f"good{i}@example.com", key=f"good-{i}") for i in range(2 + pad)]
    batch = [good[0], *(item for _f, item in HOSTILE_ITEMS), *good[1:]]
    items = _items(api.post("/v1/events/batch", json=batch))
    assert [i["status"] for i in items] == [201] + [422] * len(HOSTILE_ITEMS) + [201] * (
        len(good) - 1
    )
    for (field, _item), result in zip(HOSTILE_ITEMS, items[1:], strict=False):
        assert field in _fields(result), result
    # The valid items were stored: they come back as duplicates when sent again.
    again = api.post("/v1/events/batch", json=good).json()
    assert again["duplicates"] == len(good)


def test_a_hostile_item_fails_only_itself_in_a_batch(api: Api) -> None:
    _check_batch(api)


def test_a_hostile_item_fails_only_itself_in_a_worker_prepared_batch(
    tmp_path: Path, database_url: str
) -> None:
    # prepare_min_bytes=0: every batch goes through the prepare worker process.
    settings = make_settings(tmp_path, database_url)
    settings.ingest.prepare_processes = 1
    settings.ingest.prepare_min_bytes = 0
    for api in open_api(settings):
        assert api.application.ingest.pool is not None
        _check_batch(api, pad=3)


@pytest.mark.parametrize(("field", "item"), HOSTILE_ITEMS)
def test_a_hostile_single_event_is_a_422_naming_the_field(
    api: Api, field: str, item: dict[str, Any]
) -> None:
    r = api.post("/v1/events", json=item)
    assert r.status_code == 422, r.text
    assert field in _fields(r.json())


@pytest.mark.parametrize(
    ("path", "params", "field"),
    [
        ("/v1/conversations", {"waiting_longer_than": "922088359695"}, "waiting_longer_than"),
        ("/v1/conversations", {"offset": "9223372036854775808"}, "offset"),
        ("/v1/conversations", {"queue": f"a{NUL}"}, "queue"),
        ("/v1/search/events", {"q": NUL}, "q"),
        ("/v1/customers", {"q": f"ada{NUL}"}, "q"),
        ("/v1/customers/{cid}/story", {"since": "9999-12-31T23:59:59-14:00"}, "since"),
        ("/v1/customers/{cid}/story", {"until": "0001-01-01T00:00:00+14:00"}, "until"),
        ("/v1/customers/{cid}/sentiment", {"since": "9999-12-31T23:59:59-14:00"}, "since"),
        (
            "/v1/customers/{cid}/conversation-summary",
            {"since": "9999-12-31T23:59:59-14:00"},
            "since",
        ),
        ("/v1/customers/cus%00x", {}, "customer_id"),
    ],
)
def test_a_hostile_parameter_is_a_422_naming_it(
    api: Api, path: str, params: dict[str, str], field: str
) -> None:
    r = api.post("/v1/events", json=event(email="p@example.com"))
    assert r.status_code == 201, r.text
    path = path.replace("{cid}", r.json()["customer_id"])
    r = api.get(path, params=params)
    assert r.status_code == 422, r.text
    assert r.headers["content-type"] == "application/problem+json"
    assert field in _fields(r.json())


def test_a_nul_in_a_json_body_is_a_422_naming_the_field(api: Api) -> None:
    r = api.post("/v1/events", json=event(email="b@example.com"))
    customer_id = r.json()["customer_id"]
    r = api.post("/v1/cases", json={"customer_id": customer_id, "title": f"late{NUL}parcel"})
    assert r.status_code == 422, r.text
    assert "title" in _fields(r.json())


def test_deeply_nested_playbook_yaml_is_a_422(api: Api) -> None:
    r = api.post("/v1/playbooks/validate", json={"yaml": "[" * 50_000})
    assert r.status_code == 422, r.text
    assert "yaml" in _fields(r.json())
    r = api.post("/v1/playbooks/validate", json={"yaml": "a: " + "{b: " * 5_000 + "}" * 5_000})
    assert r.status_code == 422, r.text
    # An alias bomb: nine levels of ten aliases each would expand to 10^9 strings.
    bomb = ['a0: &a0 ["lol"]']
    bomb += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 10)]
    r = api.post("/v1/playbooks/validate", json={"yaml": "\n".join(bomb)})
    assert r.status_code == 422, r.text
    assert "alias" in r.text


def test_the_openapi_document_shows_bounds_security_and_problems(api: Api) -> None:
    doc = api.get("/openapi.json").json()
    conversations = doc["paths"]["/v1/conversations"]["get"]
    params = {p["name"]: p["schema"] for p in conversations["parameters"]}
    assert params["offset"]["maximum"] <= 2**63 - 1
    waiting = params["waiting_longer_than"]
    bounded = waiting.get("maximum") or max(s.get("maximum", 0) for s in waiting["anyOf"])
    assert 0 < bounded < 10**11
    assert set(doc["components"]["securitySchemes"]) >= {"bearerAuth", "apiKeyHeader"}
    assert conversations["security"]
    for status in ("401", "403", "422", "429"):
        content = conversations["responses"][status]["content"]
        assert content["application/problem+json"]["schema"] == {
            "$ref": "#/components/schemas/Problem"
        }
    assert "WWW-Authenticate" in conversations["responses"]["401"]["headers"]


def test_405_says_which_methods_are_allowed(api: Api) -> None:
    r = api.client.delete("/v1/search/events", headers=api.headers)
    assert r.status_code == 405
    assert r.headers["allow"] == "GET"
    assert r.headers["content-type"] == "application/problem+json"
