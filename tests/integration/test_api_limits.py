"""The API's protections (depth, cost, aliases, tokens, page size; introspection and internal
errors in production), and parsing and validation done once per query text."""

from __future__ import annotations

import logging
import re
from pathlib import Path

import httpx
import pytest
from graphql import specified_rules

from app.api.request_limits import MAX_BODY_BYTES, MAX_VARIABLES_BYTES, REQUEST_SECONDS
from app.settings import Settings
from app.store.embedded import EmbeddedStore
from schema.limits import (
    INPUT_TEXT_MAX,
    MAX_ALIASES,
    MAX_COST,
    MAX_DEPTH,
    MAX_FRAGMENTS,
    MAX_PAGE,
    MAX_SELECTIONS,
    MAX_TOKENS,
    SEARCH_TEXT_MAX,
)
from schema.query_checks import QueryCache
from tests.conftest import api_client, cypher_of_tests

BARE_CUSTOMER = cypher_of_tests("bare_customer")


def client(store: EmbeddedStore, tmp_path: Path, env: str = "test") -> httpx.AsyncClient:
    return api_client(store, "admin", "limits", settings=Settings(env=env, data_dir=tmp_path))


async def error_of(api: httpx.AsyncClient, query: str) -> tuple[int, str, str]:
    answer = await api.post("/graphql", json={"query": query})
    error = answer.json()["errors"][0]
    return answer.status_code, error["extensions"]["code"], error["message"]


def contacts_nested(levels: int) -> str:
    """A customer's contact pages inside organisation links, ``levels`` pages deep: each page
    multiplies the cost of what is under it."""
    inner = "id"
    for _ in range(levels):
        inner = f"contacts(first: {MAX_PAGE}) {{ edges {{ node {{ {inner} }} }} }}"
    return inner


@pytest.mark.parametrize(
    "name,query,code,says",
    [
        (
            "depth",
            '{ customer(id: "x") { ' + "contacts { edges { node { " * 4 + "id" + " } } }" * 4 + " } }",
            "GRAPHQL_VALIDATION_FAILED",
            f"maximum operation depth of {MAX_DEPTH}",
        ),
        (
            "aliases",
            "{ " + " ".join(f"a{k}: __typename" for k in range(MAX_ALIASES + 1)) + " }",
            "GRAPHQL_VALIDATION_FAILED",
            f"Allowed: {MAX_ALIASES}",
        ),
        ("tokens", "{ " + " __typename" * MAX_TOKENS + " }", "GRAPHQL_PARSE_FAILED", f"more than {MAX_TOKENS} tokens"),
        ("syntax", "{ customer(id: ", "GRAPHQL_PARSE_FAILED", "Syntax Error"),
        (
            "cost",
            "{ "
            + " ".join(
                f's{k}: searchCustomers(text: "x", first: {MAX_PAGE}) {{ edges {{ node {{ '
                f"contacts(first: {MAX_PAGE}) {{ edges {{ node {{ id }} }} }} }} }} }}"
                for k in range(3)
            )
            + " }",
            "QUERY_TOO_COSTLY",
            f"limit of {MAX_COST}",
        ),
        (
            "page",
            f'{{ searchCustomers(text: "x", first: {MAX_PAGE + 1}) {{ totalCount }} }}',
            "BAD_USER_INPUT",
            f"between 1 and {MAX_PAGE}",
        ),
    ],
)
async def test_each_limit_answers_a_coded_error(
    graph: EmbeddedStore, tmp_path: Path, name: str, query: str, code: str, says: str
) -> None:
    async with client(graph, tmp_path) as api:
        for _ in range(2):  # the second answer comes from the query cache and must say the same
            status, got, message = await error_of(api, query)
            assert (got, status in (200, 400)) == (code, True), (name, message)
            assert says in message, message


async def test_introspection_only_outside_production(graph: EmbeddedStore, tmp_path: Path) -> None:
    query = "{ __schema { queryType { name } } }"
    async with client(graph, tmp_path) as api:
        answer = (await api.post("/graphql", json={"query": query})).json()
        assert answer["data"]["__schema"]["queryType"]["name"] == "Query"
    async with client(graph, tmp_path, env="production") as api:
        status, code, message = await error_of(api, query)
        assert code == "GRAPHQL_VALIDATION_FAILED" and "introspection" in message.lower()


async def test_unexpected_errors_are_masked_in_production_with_an_id_in_the_log(
    graph: EmbeddedStore, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    await graph.write(BARE_CUSTOMER, {"id": "C-BROKEN", "props": {"name": "broken", "provenance": "{not json"}})
    query = '{ customer(id: "C-BROKEN") { name provenance { attribute } } }'
    for env, leaks in (("test", True), ("production", False)):
        caplog.clear()
        with caplog.at_level(logging.ERROR, logger="c360.api"):
            async with client(graph, tmp_path, env=env) as api:
                answer = await api.post("/graphql", json={"query": query})
        assert answer.status_code == 200
        error = answer.json()["errors"][0]
        assert error["extensions"]["code"] == "INTERNAL_SERVER_ERROR"
        error_id = error["extensions"]["error_id"]
        assert any(error_id in record.getMessage() for record in caplog.records)
        assert ("expected a string key" in error["message"]) is leaks, error["message"]
        if not leaks:
            assert error["message"] == f"unexpected error; quote error id {error_id}"


def test_a_query_text_is_parsed_and_validated_once() -> None:
    from schema import build_schema

    schema = build_schema()._schema
    rules = tuple(specified_rules)
    cache = QueryCache(8)
    text = "query($id: ID!) { customer(id: $id) { id name } }"
    for copy in (text, "".join(list(text))):  # equal texts, different string objects
        document = cache.parse(copy, MAX_TOKENS)
        assert cache.validate(schema, copy, document, rules) == []
    assert cache.parse.cache_info().hits == 1  # type: ignore[attr-defined]
    assert cache._validate.cache_info().hits == 1
    wrong = '{ customer(id: "x") { nope } }'
    errors = cache.validate(schema, wrong, cache.parse(wrong, MAX_TOKENS), rules)
    assert errors and "nope" in errors[0].message
    assert cache.validate(schema, wrong, cache.parse(wrong, MAX_TOKENS), rules) is errors


def test_the_limits_in_the_docs_are_the_limits_in_the_code() -> None:
    text = " ".join((Path(__file__).resolve().parents[2] / "docs" / "api.md").read_text(encoding="utf-8").split())
    for said in (
        f"depth {MAX_DEPTH}",
        f"{MAX_ALIASES} aliases",
        f"{MAX_TOKENS:,} tokens",
        f"cost {MAX_COST:,}",
        f"at most {MAX_PAGE}",
        f"at most {MAX_FRAGMENTS} fragments",
        f"at most {MAX_SELECTIONS:,} selections",
        f"at most {INPUT_TEXT_MAX:,} characters",
        f"at most {SEARCH_TEXT_MAX} characters",
        f"at most {MAX_BODY_BYTES // 1024} KB",
        f"at most {MAX_VARIABLES_BYTES // 1024} KB",
        f"{REQUEST_SECONDS:g} s per request",
    ):
        assert said in text, said


def test_every_example_in_the_api_docs_is_valid_against_the_schema() -> None:
    from graphql import parse, validate

    from schema import build_schema

    text = (Path(__file__).resolve().parents[2] / "docs" / "api.md").read_text(encoding="utf-8")
    examples = re.findall(r"```graphql\n(.*?)```", text, re.S)
    assert len(examples) >= 6
    schema = build_schema()._schema
    for example in examples:
        errors = validate(schema, parse(example))
        assert not errors, (example, errors)


async def test_a_number_past_64_bits_in_the_variables_gets_a_coded_answer(graph: EmbeddedStore) -> None:
    """JSON allows any integer; the key of kept answers could not hold one past 64 bits and the answer
    came back without a code (found by test_fuzz_api)."""
    body = b'{"query": "query($id: ID!) { customer(id: $id) { id } }", "variables": {"id": -9223372036854775809}}'
    async with api_client(graph, "hotline") as client:
        answer = await client.post("/graphql", content=body, headers={"content-type": "application/json"})
    [error] = answer.json()["errors"]
    assert error["extensions"]["code"] == "NOT_FOUND" and "-9223372036854775809" in error["message"]


@pytest.mark.parametrize(
    ("query", "variables", "says"),
    [
        ('{ reviewQueue(createdBefore: "") { totalCount } }', None, "is not an ISO-8601 time"),
        ("{ reviewQueue(createdBefore: 3) { totalCount } }", None, "is not a DateTime"),
        ("query($t: DateTime) { reviewQueue(createdBefore: $t) { totalCount } }", {"t": "soon"}, "ISO-8601"),
        ('{ customer(id: "C\\u0000") { id } }', None, "NUL character"),
        ("query($id: ID!) { customer(id: $id) { id } }", {"id": "C\x00"}, "NUL character"),
    ],
)
async def test_a_bad_time_or_a_nul_in_a_request_is_bad_user_input(
    graph: EmbeddedStore, query: str, variables: dict[str, str] | None, says: str
) -> None:
    """In the text or in a variable alike: refused as the user's to correct, never an internal error."""
    async with api_client(graph, "steward") as client:
        answer = await client.post("/graphql", json={"query": query, "variables": variables})
    [error] = answer.json()["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT" and says in error["message"], error
