"""Property-based fuzzing of the real ASGI app on the embedded store (issue 18, point 8): queries and
mutations generated from the schema by hypothesis-graphql, valid and invalid, and hostile variables
for a few operations; every answer must be coded JSON, none a 5xx or an INTERNAL_SERVER_ERROR, none
slower than the time limit, and the log must hold no traceback."""

from __future__ import annotations

import asyncio
import logging
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from graphql.language import (
    BooleanValueNode,
    FloatValueNode,
    IntValueNode,
    ListValueNode,
    NameNode,
    NullValueNode,
    ObjectFieldNode,
    ObjectValueNode,
    StringValueNode,
    ValueNode,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis_graphql import Mode, from_schema

from app.api.app import create_app
from app.api_keys import KeyRing
from app.settings import Settings
from app.store.embedded import EmbeddedStore
from schema import build_schema
from tests.conftest import short_tmpdir

KEY = "test-key-fuzz"
# Per strategy: a couple of thousand requests in about a minute on the shared test machine.
EXAMPLES = 1500
ANSWER_SECONDS = 10.0

_json_leaf = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False, allow_infinity=False), st.text(max_size=40)
)
JSON_VALUES = st.recursive(
    _json_leaf,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=12,
)
# CustomerRecordInput's fields, each a valid value or any JSON value.
RECORD_FIELDS: dict[str, st.SearchStrategy[Any]] = {
    "sourceId": st.text(max_size=40),
    "name": st.text(max_size=40),
    "certType": st.sampled_from(["RESIDENT_ID", "CREDIT_CODE", "PASSPORT", "BLANK"]),
    "certNo": st.text(max_size=40),
    "phones": st.lists(st.text(max_size=20), max_size=3),
    "email": st.text(max_size=40),
    "segment": st.sampled_from(["INDIVIDUAL", "HOUSEHOLD", "ENTERPRISE"]),
    "localNetwork": st.text(max_size=8),
    "address": st.text(max_size=40),
    "birthDate": st.text(max_size=12),
    "updatedAt": st.text(max_size=32),
    "identityVerified": st.booleans(),
}
RECORDS = st.lists(st.sampled_from(sorted(RECORD_FIELDS)), max_size=8, unique=True).flatmap(
    lambda names: st.fixed_dictionaries({name: RECORD_FIELDS[name] | JSON_VALUES for name in names})
)


def literal(value: Any) -> ValueNode:
    """A JSON value as a GraphQL literal (the JSON scalar's strategy for generated queries)."""
    if value is None:
        return NullValueNode()
    if isinstance(value, bool):
        return BooleanValueNode(value=value)
    if isinstance(value, int):
        return IntValueNode(value=str(value))
    if isinstance(value, float):
        return FloatValueNode(value=repr(value))
    if isinstance(value, str):
        return StringValueNode(value=value)
    if isinstance(value, list):
        return ListValueNode(values=tuple(literal(v) for v in value))
    return ObjectValueNode(
        fields=tuple(ObjectFieldNode(name=NameNode(value=k), value=literal(v)) for k, v in value.items())
    )


NAMES = st.from_regex(r"\A[a-z_][a-z0-9_]{0,11}\Z")
JSON_LITERALS = st.recursive(
    _json_leaf.filter(lambda v: not isinstance(v, float) or abs(v) < 1e300),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(NAMES, inner, max_size=4),
    max_leaves=12,
).map(literal)
# The DateTime scalar's strategy for generated queries: instants with and without an offset, and text.
DATE_TIME_LITERALS = st.one_of(
    st.datetimes().map(lambda d: d.isoformat()),
    st.datetimes(timezones=st.timezones()).map(lambda d: d.isoformat()),
    st.text(max_size=40),
).map(literal)
# The Date scalar (a day: dueWork's from and to): days, and text that is none.
DATE_LITERALS = st.one_of(st.dates().map(lambda d: d.isoformat()), st.text(max_size=20)).map(literal)
CUSTOM_SCALARS = {"JSON": JSON_LITERALS, "DateTime": DATE_TIME_LITERALS, "Date": DATE_LITERALS}
# UserError.code: the four the schema documents, and CONFLICT's refinement for an action against standing
# steward decisions (app/resolution/constraints.py).
USER_ERROR_CODES = {"BAD_USER_INPUT", "MERGE_RULE", "CONFLICT", "NOT_FOUND", "CONTRADICTS_DECISIONS"}
OPERATIONS = [
    (
        "query($t: String!, $f: Int!, $a: String) "
        "{ searchCustomers(text: $t, first: $f, after: $a) { totalCount edges { cursor node { id name } } } }",
        st.fixed_dictionaries({"t": JSON_VALUES, "f": JSON_VALUES, "a": JSON_VALUES}),
    ),
    (
        "query($id: ID!) { customer(id: $id) { id name contacts(first: 3) { edges { node { id } } } } }",
        st.fixed_dictionaries({"id": JSON_VALUES}),
    ),
    (
        "mutation($r: CustomerRecordInput!) { submitCustomerRecord(record: $r, channel: WEB_HALL) "
        "{ recordId decision warnings { field message } userErrors { field message code } } }",
        st.fixed_dictionaries({"r": RECORDS | JSON_VALUES}),
    ),
    (
        "query($s: CandidateStatus!, $n: Int!, $a: String) "
        "{ reviewQueue(status: $s, first: $n, after: $a) { nodes { id } } }",
        st.fixed_dictionaries(
            {
                "s": st.sampled_from(["PENDING", "APPROVED", "REJECTED"]) | JSON_VALUES,
                "n": JSON_VALUES,
                "a": JSON_VALUES,
            }
        ),
    ),
]


@pytest.fixture(scope="module")
async def fuzzed_app() -> Any:
    """A store of its own: the mutations write what they like, and no other test reads it."""
    store = EmbeddedStore(short_tmpdir("c360fuzz-"), graph_name="c360_fuzz", pool_size=4)
    await store.start()
    await store.setup_schema()
    app = create_app(
        store=store,
        settings=Settings(env="production", data_dir=store.server.data_dir),
        keyring=KeyRing.holding(KEY, "fuzz", "admin", exempt_from_rate_limits=True),
    )
    yield app
    await store.close()


def user_errors(data: Any) -> list[dict[str, Any]]:
    """Every userErrors entry of a mutation's payloads in an answer's data."""
    if isinstance(data, list):
        return [e for item in data for e in user_errors(item)]
    if not isinstance(data, dict):
        return []
    found = [e for e in data.get("userErrors") or () if isinstance(e, dict)]
    return found + [e for k, v in data.items() if k != "userErrors" for e in user_errors(v)]


def check(answer: httpx.Response, seen: dict[str, int]) -> None:
    assert answer.status_code < 500, answer.text[:1000]
    body = answer.json()
    for error in body.get("errors") or ():
        code = (error.get("extensions") or {}).get("code")
        assert code and code != "INTERNAL_SERVER_ERROR", error
        seen[code] = seen.get(code, 0) + 1
    for error in user_errors(body.get("data")):
        # A refusal answered as data carries one of UserError's codes and says why (where the query asks).
        assert error.get("code") in USER_ERROR_CODES if "code" in error else True, error
        assert error["message"] if "message" in error else True, error
        seen[f"user:{error.get('code')}"] = seen.get(f"user:{error.get('code')}", 0) + 1
    seen[str(answer.status_code)] = seen.get(str(answer.status_code), 0) + 1


async def _fuzz(
    app: Any, caplog: pytest.LogCaptureFixture, strategy: st.SearchStrategy[dict[str, Any]]
) -> dict[str, int]:
    loop = asyncio.get_running_loop()
    seen: dict[str, int] = {}
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://t", headers={"Authorization": f"Bearer {KEY}"}
    ) as api:

        async def send(request: dict[str, Any]) -> httpx.Response:
            return await asyncio.wait_for(api.post("/graphql", json=request), ANSWER_SECONDS)

        @settings(max_examples=EXAMPLES, deadline=None, database=None, suppress_health_check=list(HealthCheck))
        @given(strategy)
        def run(request: dict[str, Any]) -> None:
            started = time.monotonic()
            answer = asyncio.run_coroutine_threadsafe(send(request), loop).result()
            assert time.monotonic() - started < ANSWER_SECONDS
            check(answer, seen)

        with caplog.at_level(logging.INFO):
            await asyncio.to_thread(run)
    tracebacks = [
        r for r in caplog.records if r.exc_info or "Traceback" in r.getMessage() or r.levelno >= logging.ERROR
    ]
    assert not tracebacks, tracebacks[0].getMessage()
    return seen


async def test_generated_queries_and_mutations(fuzzed_app: Any, caplog: pytest.LogCaptureFixture) -> None:
    schema = build_schema()._schema
    queries = from_schema(schema, custom_scalars=CUSTOM_SCALARS) | from_schema(
        schema, custom_scalars=CUSTOM_SCALARS, mode=Mode.NEGATIVE
    )
    seen = await _fuzz(fuzzed_app, caplog, queries.map(lambda text: {"query": text}))
    assert seen.get("200", 0) > 0 and sum(v for k, v in seen.items() if k.isdigit()) >= EXAMPLES * 0.9, seen


async def test_generated_variables(fuzzed_app: Any, caplog: pytest.LogCaptureFixture) -> None:
    requests = st.one_of(
        *(variables.map(lambda v, q=query: {"query": q, "variables": v}) for query, variables in OPERATIONS)
    )
    seen = await _fuzz(fuzzed_app, caplog, requests)
    assert seen.get("BAD_USER_INPUT", 0) > 0, seen
    # Some records got past the input's types to the record's own checks, and some were kept.
    assert seen.get("user:BAD_USER_INPUT", 0) > 0 and seen.get("200", 0) > 0, seen


def test_the_fuzzing_is_pinned() -> None:
    text = (Path(__file__).resolve().parents[2] / "pyproject.toml").read_text(encoding="utf-8")
    assert '"hypothesis-graphql==' in text
