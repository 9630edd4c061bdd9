"""Each role's depth, aliases and cost limits (app/config/access.toml [query_limits]) against the real
ASGI app and the embedded store: for roles with different limits, an operation at each limit runs and
one over it is refused with its code (400), the message naming the role's limit. The limits are read
from access.toml, and the deep operations are built from the schema, so the tests follow both."""

from __future__ import annotations

from collections.abc import AsyncIterator
from functools import cache
from pathlib import Path
from typing import Any

import httpx
import pytest
from graphql import GraphQLInterfaceType, GraphQLObjectType, get_named_type, is_non_null_type

from app.access import QueryLimit, access_policy
from app.settings import Settings
from app.store.embedded import EmbeddedStore
from tests.conftest import api_client

# Roles whose limits differ (the default's, lower, higher): a test below holds that they do.
ROLES = ("admin", "web_hall", "analyst")
# The root field the operations start from: a search that finds nothing on an empty graph, so an
# operation that passes the limits runs and answers without errors.
SEARCH = 'searchCustomers(text: "zz"'


def limits(role: str) -> QueryLimit:
    return access_policy().query_limit(role)


@pytest.fixture
async def empty(embedded_store: EmbeddedStore) -> AsyncIterator[EmbeddedStore]:
    await embedded_store.clear()
    yield embedded_store


def client(store: EmbeddedStore, tmp_path: Path, role: str) -> httpx.AsyncClient:
    return api_client(store, role, "limits", settings=Settings(env="test", data_dir=tmp_path))


async def answer_of(api: httpx.AsyncClient, query: str, variables: dict[str, Any] | None = None) -> httpx.Response:
    return await api.post("/graphql", json={"query": query, "variables": variables or {}})


def runs(answer: httpx.Response) -> dict[str, Any]:
    body = answer.json()
    assert answer.status_code == 200 and "errors" not in body, answer.text[:600]
    return dict(body["data"])


def refused(answer: httpx.Response, code: str, says: str) -> None:
    assert answer.status_code == 400, answer.text[:600]
    error = answer.json()["errors"][0]
    assert (error["extensions"]["code"], says in error["message"]) == (code, True), error


# ------------------------------------------------------------------ operations of a chosen depth, cost


@cache
def _schema() -> Any:
    from schema import build_schema

    return build_schema()._schema


def _takes_no_required_argument(field: Any) -> bool:
    return not any(is_non_null_type(a.type) and a.default_value is None for a in field.args.values())


@cache
def _path(type_name: str, levels: int) -> tuple[str, ...] | None:
    """Names of ``levels`` nested fields from ``type_name``, each of an object or interface type and
    taking no required argument; None when the schema does not nest that deep from there."""
    if levels == 0:
        return ()
    owner = _schema().type_map[type_name]
    for name, field in sorted(owner.fields.items()):
        target = get_named_type(field.type)
        if not isinstance(target, GraphQLObjectType | GraphQLInterfaceType) or not _takes_no_required_argument(field):
            continue
        rest = _path(target.name, levels - 1)
        if rest is not None:
            return (name, *rest)
    return None


def deep(depth: int) -> tuple[str, bool]:
    """An operation whose deepest field is at ``depth`` (the root field is at 0) and whether it is valid:
    the schema's own fields (pages of one item) as deep as the schema nests, then made-up ones."""
    root = get_named_type(_schema().query_type.fields["searchCustomers"].type).name
    levels = depth - 1
    found = next(p for n in range(levels, -1, -1) if (p := _path(root, n)) is not None)
    owner, fields = _schema().type_map[root], []
    for name in found:
        field = owner.fields[name]
        fields.append(f"{name}(first: 1)" if "first" in field.args else name)
        owner = get_named_type(field.type)
    fields += [f"madeUp{k}" for k in range(levels - len(found))]
    inner = "__typename"
    for field in reversed(fields):
        inner = f"{field} {{ {inner} }}"
    return f"{{ {SEARCH}, first: 1) {{ {inner} }} }}", len(found) == levels


def costing(cost: int) -> str:
    """An operation of exactly ``cost``: ``__typename`` k times beside a page of P customers with a
    page of Q contacts each, f fields per contact; each field counts once per item of the pages above:
    k + 1 (the search) + 3P (edges, node, contacts) + PQ(2 + f) (edges, node, the fields)."""
    best = None
    for f in range(1, 60):
        for p in range(1, 101):
            q = min(100, (cost - 1 - 3 * p) // (p * (2 + f)))
            k = cost - (1 + 3 * p + p * q * (2 + f))
            if q >= 1 and (best is None or k + f < best[0] + best[3]):
                best = (k, p, q, f)
    assert best is not None and best[0] + best[3] < 1500, best
    k, p, q, f = best
    contacts = f"contacts(first: {q}) {{ edges {{ node {{{' __typename' * f} }} }} }}"
    return f"{{ {'__typename ' * k}{SEARCH}, first: {p}) {{ edges {{ node {{ {contacts} }} }} }} }}"


def test_the_roles_tested_have_different_limits() -> None:
    for kind in ("depth", "aliases", "cost"):
        assert len({getattr(limits(role), kind) for role in ROLES}) >= 2, kind
    assert limits("hotline") == limits("default"), "a role without its own values has the default's"


def test_the_operations_are_what_they_say() -> None:
    from graphql import parse

    from schema.limits import shape

    for depth in (3, 8, 11):
        query, _ = deep(depth)
        assert [o.depth for o in shape(None, parse(query)).operations] == [depth]
    for cost in (5_000, 20_001, 60_000):
        query = costing(cost)
        assert [o.cost for o in shape(None, parse(query)).operations] == [cost]


# ------------------------------------------------------------------ each limit, at it and over it


@pytest.mark.parametrize("role", ROLES)
async def test_depth_at_the_limit_runs_and_over_it_is_refused(empty: EmbeddedStore, tmp_path: Path, role: str) -> None:
    limit = limits(role).depth or 0
    at, valid = deep(limit)
    over, _ = deep(limit + 1)
    async with client(empty, tmp_path, role) as api:
        answer = await answer_of(api, at)
        if valid:
            assert runs(answer)["searchCustomers"] is not None
        else:  # the schema nests less deep than the limit: only its own validation errors, no depth refusal
            assert not any("depth" in e["message"] for e in answer.json()["errors"]), answer.text[:600]
        refused(
            await answer_of(api, over),
            "GRAPHQL_VALIDATION_FAILED",
            f"has depth {limit + 1}: it exceeds maximum operation depth of {limit} for role {role}",
        )


@pytest.mark.parametrize("role", ROLES)
async def test_aliases_at_the_limit_run_and_over_it_are_refused(
    empty: EmbeddedStore, tmp_path: Path, role: str
) -> None:
    limit = limits(role).aliases or 0

    def aliased(count: int) -> str:
        return "{ " + " ".join(f"a{k}: __typename" for k in range(count)) + " }"

    async with client(empty, tmp_path, role) as api:
        assert len(runs(await answer_of(api, aliased(limit)))) == limit
        refused(
            await answer_of(api, aliased(limit + 1)),
            "GRAPHQL_VALIDATION_FAILED",
            f"{limit + 1} aliases found. Allowed: {limit} for role {role}",
        )


@pytest.mark.parametrize("role", ROLES)
async def test_cost_at_the_limit_runs_and_over_it_is_refused(empty: EmbeddedStore, tmp_path: Path, role: str) -> None:
    limit = limits(role).cost or 0
    async with client(empty, tmp_path, role) as api:
        assert runs(await answer_of(api, costing(limit)))["searchCustomers"] is not None
        refused(
            await answer_of(api, costing(limit + 1)),
            "QUERY_TOO_COSTLY",
            f"query cost {limit + 1} exceeds the limit of {limit} for role {role}",
        )


@pytest.mark.parametrize("role", ROLES)
async def test_page_sizes_given_as_variables_count_at_their_values(
    empty: EmbeddedStore, tmp_path: Path, role: str
) -> None:
    """The same text runs or is refused by its variables: its cost is counted for each request, with
    the page size the variable gives (P customers, then one more, with 100 contacts each)."""
    limit = limits(role).cost or 0
    # k + 1 (the search) + 3P (edges, node, contacts) + 100P(2 + f) (a contact's edges, node, fields)
    f = next(f for f in range(1, 60) if (limit - 1) // (3 + 100 * (2 + f)) <= 99)
    per_customer = 3 + 100 * (2 + f)
    p = (limit - 1) // per_customer
    k = limit - (1 + p * per_customer)
    query = (
        f"query($p: Int!) {{ {'__typename ' * k}{SEARCH}, first: $p) {{ edges {{ node {{ contacts(first: 100) "
        f"{{ edges {{ node {{{' __typename' * f} }} }} }} }} }} }} }}"
    )
    async with client(empty, tmp_path, role) as api:
        runs(await answer_of(api, query, {"p": p}))
        refused(
            await answer_of(api, query, {"p": p + 1}),
            "QUERY_TOO_COSTLY",
            f"query cost {limit + per_customer} exceeds the limit of {limit} for role {role}",
        )


def test_the_limits_in_the_operations_guide_are_access_toml_s() -> None:
    guide = (Path(__file__).resolve().parents[2] / "docs" / "operations.md").read_text(encoding="utf-8")
    table = guide.split("### Query limits per role", 1)[1].split("\n\n")[2]
    rows = {
        cells[0].split(" ")[0]: tuple(int(c.replace(",", "")) for c in cells[1:])
        for line in table.splitlines()[2:]
        if (cells := [c.strip() for c in line.strip("|").split("|")])
    }
    policy = access_policy()
    assert rows == {
        role: (limit.depth, limit.aliases, limit.cost)
        for role in policy.query_limits
        if (limit := policy.query_limit(role))
    }
