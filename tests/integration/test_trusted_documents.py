"""Trusted documents (persisted operations) against the real ASGI app and the embedded store: a listed
document runs by its hash alone, by POST and GET, as Apollo's persisted queries and GraphQL-over-HTTP's
documentId name it; an unknown hash and a hash that is not the text's are refused with their codes;
with C360_TRUSTED_DOCUMENTS_ONLY on, any other text is refused (403, TRUSTED_DOCUMENT_REQUIRED) before
it is parsed, whatever the method, while authentication and rate limits still come first; every
shipped query answers by its hash as by its text."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from app.access import RateLimit, access_policy
from app.api.app import create_app
from app.api.rate_limits import RateLimiter
from app.api.trusted_documents import document_hash
from app.api_keys import ApiKey, KeyRing, hash_key
from app.settings import Settings
from app.store.embedded import EmbeddedStore
from tests.conftest import api_client
from tools.trusted_documents import LIST

PING = "query Ping { store { backend ok } }"
TYPENAME = "{ __typename }"
NOT_LISTED = "query NotListed { store { backend } }"
ANSWER = {"data": {"store": {"backend": "embedded", "ok": True}}}


def settings_of(tmp_path: Path, only: bool) -> Settings:
    """The app's settings, with an operator's own list (the setting C360_TRUSTED_DOCUMENTS_FILE) of PING
    and TYPENAME beside the shipped one."""
    mine = tmp_path / "trusted.json"
    mine.write_text(json.dumps({"documents": {document_hash(t): {"document": t} for t in (PING, TYPENAME)}}))
    return Settings(env="test", data_dir=tmp_path, trusted_documents_only=only, trusted_documents_file=mine)


def client(store: EmbeddedStore, tmp_path: Path, only: bool) -> httpx.AsyncClient:
    return api_client(store, "steward", "trusted", settings=settings_of(tmp_path, only))


def apollo(text: str) -> dict[str, Any]:
    return {"persistedQuery": {"version": 1, "sha256Hash": document_hash(text)}}


def document_id(text: str) -> str:
    return f"sha256:{document_hash(text)}"


def refused(answer: httpx.Response, status: int, code: str) -> str:
    assert answer.status_code == status, answer.text[:500]
    body = answer.json()
    assert body.get("data") is None and body["errors"][0]["extensions"]["code"] == code, body
    return str(body["errors"][0]["message"])


@pytest.mark.parametrize("only", [False, True])
async def test_a_listed_document_runs_by_its_hash_alone(
    embedded_store: EmbeddedStore, tmp_path: Path, only: bool
) -> None:
    async with client(embedded_store, tmp_path, only) as api:
        by_apollo = await api.post("/graphql", json={"extensions": apollo(PING)})
        by_id = await api.post("/graphql", json={"documentId": document_id(PING), "operationName": "Ping"})
        by_get = await api.get("/graphql", params={"extensions": json.dumps(apollo(PING))})
        by_get_id = await api.get("/graphql", params={"documentId": document_id(PING)})
        with_text = await api.post("/graphql", json={"query": PING, "extensions": apollo(PING)})
        for answer in (by_apollo, by_id, by_get, by_get_id, with_text):
            assert (answer.status_code, answer.json()) == (200, ANSWER), answer.text[:500]
        upper = {"persistedQuery": {"version": 1, "sha256Hash": document_hash(TYPENAME).upper()}}
        assert (await api.post("/graphql", json={"extensions": upper})).json() == {"data": {"__typename": "Query"}}


@pytest.mark.parametrize("only", [False, True])
async def test_an_unknown_hash_or_one_that_is_not_the_texts_is_refused(
    embedded_store: EmbeddedStore, tmp_path: Path, only: bool
) -> None:
    async with client(embedded_store, tmp_path, only) as api:
        says = refused(
            await api.post("/graphql", json={"extensions": apollo(NOT_LISTED)}), 404, "PERSISTED_QUERY_NOT_FOUND"
        )
        assert document_hash(NOT_LISTED) in says
        refused(
            await api.get("/graphql", params={"documentId": document_id(NOT_LISTED)}), 404, "PERSISTED_QUERY_NOT_FOUND"
        )
        mismatch = {"query": PING, "extensions": apollo(TYPENAME)}
        refused(await api.post("/graphql", json=mismatch), 400, "PERSISTED_QUERY_HASH_MISMATCH")
        refused(
            await api.post("/graphql", json={"query": PING, "documentId": document_id(TYPENAME)}),
            400,
            "PERSISTED_QUERY_HASH_MISMATCH",
        )
        two = {"documentId": document_id(PING), "extensions": apollo(TYPENAME)}
        refused(await api.post("/graphql", json=two), 400, "PERSISTED_QUERY_HASH_MISMATCH")
        for malformed in (
            {"documentId": "md5:0cc175b9c0f1b6a831c399e269772661"},
            {"documentId": 7},
            {"extensions": {"persistedQuery": {"version": 2, "sha256Hash": document_hash(PING)}}},
            {"extensions": {"persistedQuery": {"version": 1, "sha256Hash": "abc"}}},
        ):
            refused(await api.post("/graphql", json=malformed), 400, "BAD_REQUEST")


async def test_only_trusted_documents_run_when_enforced(embedded_store: EmbeddedStore, tmp_path: Path) -> None:
    async with client(embedded_store, tmp_path, only=True) as api:
        assert (await api.post("/graphql", json={"query": PING})).json() == ANSWER
        assert (await api.get("/graphql", params={"query": TYPENAME})).json() == {"data": {"__typename": "Query"}}
        says = refused(await api.post("/graphql", json={"query": NOT_LISTED}), 403, "TRUSTED_DOCUMENT_REQUIRED")
        assert document_hash(NOT_LISTED) in says and "docs/operations.md" in says
        refused(await api.get("/graphql", params={"query": NOT_LISTED}), 403, "TRUSTED_DOCUMENT_REQUIRED")
        # A listed text with a byte more is another document; so is a variant of its whitespace.
        refused(await api.post("/graphql", json={"query": PING + " "}), 403, "TRUSTED_DOCUMENT_REQUIRED")
        # Refused before it is parsed: a text that is not GraphQL is refused as untrusted, not unparsable.
        refused(await api.post("/graphql", json={"query": "{ store { "}), 403, "TRUSTED_DOCUMENT_REQUIRED")
        # A mutation that is not listed does not run (nothing to write: it is refused before anything).
        mutation = 'mutation { rejectCandidate(id: "x") { __typename } }'
        refused(await api.post("/graphql", json={"query": mutation}), 403, "TRUSTED_DOCUMENT_REQUIRED")
        # Batches are not served (app/api/request_limits.py); were they, each operation is admitted alone.
        batch = [{"query": PING}, {"query": NOT_LISTED}]
        refused(await api.post("/graphql", json=batch), 400, "BAD_REQUEST")
    async with client(embedded_store, tmp_path, only=False) as api:
        answer = await api.post("/graphql", json={"query": NOT_LISTED})
        assert answer.json() == {"data": {"store": {"backend": "embedded"}}}
        # Unlisted, a text sent with its own hash runs too (as Apollo's clients send it after a miss).
        answer = await api.post("/graphql", json={"query": NOT_LISTED, "extensions": apollo(NOT_LISTED)})
        assert answer.json() == {"data": {"store": {"backend": "embedded"}}}


async def test_authentication_and_rate_limits_come_first(embedded_store: EmbeddedStore, tmp_path: Path) -> None:
    once = RateLimit.model_validate({"requests": ["1/minute"], "misses": ["10/minute"]})
    limiter = RateLimiter({role: once for role in access_policy().roles})
    key = ApiKey("steward-1", "steward", hash_key("k"))
    app = create_app(
        store=embedded_store, settings=settings_of(tmp_path, True), keyring=KeyRing([key]), rate_limiter=limiter
    )
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as api:
        unknown = {"query": NOT_LISTED}
        refused(await api.post("/graphql", json=unknown), 401, "UNAUTHENTICATED")
        wrong = {"Authorization": "Bearer nope"}
        refused(await api.post("/graphql", json={"extensions": apollo(PING)}, headers=wrong), 401, "UNAUTHENTICATED")
        signed = {"Authorization": "Bearer k"}
        refused(await api.post("/graphql", json=unknown, headers=signed), 403, "TRUSTED_DOCUMENT_REQUIRED")
        refused(await api.post("/graphql", json=unknown, headers=signed), 429, "RATE_LIMITED")
        refused(await api.post("/graphql", json={"query": PING}, headers=signed), 429, "RATE_LIMITED")


async def test_every_shipped_query_answers_by_its_hash_as_by_its_text(
    embedded_store: EmbeddedStore, tmp_path: Path
) -> None:
    """The shipped list (docs/api.md's operations, the steward page's) runs where only it may: each
    query document by its hash alone answers what its text answers (mutations are left alone)."""
    shipped = json.loads(LIST.read_text(encoding="utf-8"))["documents"]
    queries = {k: v for k, v in shipped.items() if all(o.startswith("query ") for o in v["operations"])}
    assert queries
    async with client(embedded_store, tmp_path, only=True) as api:
        for sha256, entry in queries.items():
            name = entry["operations"][0].split(" ", 1)[1]
            operation = None if name == "(anonymous)" else name
            by_text = await api.post("/graphql", json={"query": entry["document"], "operationName": operation})
            by_hash = await api.post("/graphql", json={"documentId": f"sha256:{sha256}", "operationName": operation})
            assert (by_hash.status_code, by_hash.json()) == (by_text.status_code, by_text.json())
            assert by_text.json().get("errors", [{}])[0].get("extensions", {}).get("code") not in (
                "TRUSTED_DOCUMENT_REQUIRED",
                "PERSISTED_QUERY_NOT_FOUND",
            )
