"""Which parts of the customer view a query reads (schema/view_plan.py), from the query text alone.

``view_parts`` reads three things of strawberry's Info: ``_raw_info.field_nodes`` (the root field),
``.fragments`` and ``.variable_values``. The tests parse real queries with graphql-core, check them
against the published schema (schema.graphql, so a query here is one a channel could send), coerce the
variables as execution does (strawberry hands resolvers a dict of the coerced values, defaults included),
and hand view_parts a stand-in with just those attributes. One test runs a
tiny strawberry schema to show the stand-in has what a real Info has.
"""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import strawberry
from graphql import FieldNode, FragmentDefinitionNode, OperationDefinitionNode, build_schema, parse, validate
from graphql.execution.values import get_variable_values

from app.services.customer_view import ViewParts
from schema.limits import DEFAULT_PAGE, MAX_PAGE
from schema.view_plan import view_parts

SCHEMA = build_schema((Path(__file__).resolve().parents[2] / "schema.graphql").read_text(encoding="utf-8"))


def info_for(query: str, variables: dict[str, Any] | None = None) -> SimpleNamespace:
    """A stand-in for strawberry's Info of the query's first root field, checked against the schema."""
    document = parse(query)
    errors = validate(SCHEMA, document)
    assert not errors, errors
    operation = next(d for d in document.definitions if isinstance(d, OperationDefinitionNode))
    coerced = get_variable_values(SCHEMA, operation.variable_definitions or (), variables or {})
    assert not isinstance(coerced, list), coerced  # a list is the coercion errors
    root = next(s for s in operation.selection_set.selections if isinstance(s, FieldNode))
    fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
    return SimpleNamespace(
        _raw_info=SimpleNamespace(field_nodes=[root], fragments=fragments, variable_values=dict(coerced.coerced))
    )


def plan(query: str, variables: dict[str, Any] | None = None, **forced: bool) -> ViewParts:
    return view_parts(info_for(query, variables), **forced)  # type: ignore[arg-type]


def test_the_customer_node_alone_needs_no_part() -> None:
    parts = plan('{ customer(id: "C1") { id name segment sources provenance { attribute sourceRecord } } }')
    assert parts == ViewParts()
    assert not parts


@pytest.mark.parametrize(
    "selection",
    [
        "accounts { nodes { id } }",
        "subscriptions { nodes { serviceNumber } }",
        "offerings { nodes { code subscriptions { nodes { id } } } }",
        "opportunities { nodes { stage } }",
    ],
)
def test_a_holding_field_plans_the_holdings_part(selection: str) -> None:
    parts = plan(f'{{ customer(id: "C1") {{ id {selection} }} }}')
    assert parts == ViewParts(holdings=True)


@pytest.mark.parametrize(
    "selection",
    [
        "accountManagers { role }",
        "memberOf { nodes { customerId keyPerson } }",
        "household { customerId }",
    ],
)
def test_a_relation_field_plans_the_relations_part(selection: str) -> None:
    parts = plan(f'{{ customer(id: "C1") {{ id {selection} }} }}')
    assert parts == ViewParts(relations=True)


def test_members_plan_their_own_part() -> None:
    """Few views show an organisation's members: they are not read with the other relations."""
    parts = plan('{ customer(id: "C1") { id members { nodes { customerId } } } }')
    assert parts == ViewParts(members=True)
    assert parts.statement_parts() == ("members",)


def test_the_tier_plans_its_facts_and_relations() -> None:
    """A tier needs the bills of the window and the key-person links (its tags)."""
    parts = plan('{ customer(id: "C1") { tier { starLevel entitlements } } }')
    assert parts == ViewParts(relations=True, tier=True)
    assert "account_facts" in parts.statement_parts() and "member_of" in parts.statement_parts()


def test_contacts_plan_a_page_of_the_size_asked_or_the_default() -> None:
    default = plan('{ customer(id: "C1") { contacts { totalCount } } }')
    assert default == ViewParts(contact_pages=frozenset({DEFAULT_PAGE}))
    assert plan('{ customer(id: "C1") { contacts(first: 5) { totalCount } } }').contact_pages == {5}
    both = plan(
        '{ customer(id: "C1") { recent: contacts(first: 5) { totalCount } more: contacts(first: 50) { totalCount } } }'
    )
    assert both.contact_pages == {5, 50}


@pytest.mark.parametrize(
    "argument",
    [
        'after: "cursor-1"',
        "channel: HOTLINE",
        "kind: COMPLAINT",
        'since: "2026-01-01T00:00:00+08:00"',
        'until: "2026-02-01T00:00:00+08:00"',
    ],
)
def test_a_filtered_or_later_contact_page_is_not_planned(argument: str) -> None:
    """Only the plain newest-first page is fetched with the customer; a filtered one is read on its own."""
    parts = plan(f'{{ customer(id: "C1") {{ contacts(first: 5, {argument}) {{ totalCount }} }} }}')
    assert parts.contact_pages == frozenset()


def test_a_filter_given_as_null_still_plans_the_page() -> None:
    parts = plan('{ customer(id: "C1") { contacts(first: 7, channel: null, after: null) { totalCount } } }')
    assert parts.contact_pages == {7}


@pytest.mark.parametrize("first", [0, -1, MAX_PAGE + 1])
def test_a_page_size_outside_the_limits_is_not_planned(first: int) -> None:
    """The resolver will refuse it (page_size); prefetching it would only waste a read."""
    parts = plan(f'{{ customer(id: "C1") {{ contacts(first: {first}) {{ totalCount }} }} }}')
    assert parts.contact_pages == frozenset()
    largest = plan(f'{{ customer(id: "C1") {{ contacts(first: {MAX_PAGE}) {{ totalCount }} }} }}')
    assert largest.contact_pages == {MAX_PAGE}


def test_variables_give_the_page_size_and_the_filters() -> None:
    query = (
        "query($id: ID!, $n: Int!, $channel: Channel) "
        "{ customer(id: $id) { contacts(first: $n, channel: $channel) { totalCount } } }"
    )
    assert plan(query, {"id": "C1", "n": 12}).contact_pages == {12}
    assert plan(query, {"id": "C1", "n": 12, "channel": None}).contact_pages == {12}
    assert plan(query, {"id": "C1", "n": 12, "channel": "HOTLINE"}).contact_pages == frozenset()
    defaulted = 'query($n: Int! = 9) { customer(id: "C1") { contacts(first: $n) { totalCount } } }'
    assert plan(defaulted).contact_pages == {9}


def test_named_fragments_are_followed_also_nested_and_repeated() -> None:
    query = """
        query { customer(id: "C1") { ...Card ...Card accountManagers { ...Manager } } }
        fragment Card on Customer { id ...Money contacts(first: 3) { totalCount } }
        fragment Money on Customer { accounts { nodes { id } } }
        fragment Manager on AccountManager { role }
    """
    assert plan(query) == ViewParts(holdings=True, relations=True, contact_pages=frozenset({3}))


def test_inline_fragments_are_followed() -> None:
    query = '{ customer(id: "C1") { ... on Customer { tier { starLevel } ... { subscriptions { nodes { id } } } } } }'
    assert plan(query) == ViewParts(holdings=True, relations=True, tier=True)


def test_fields_under_a_search_root_plan_the_same_parts() -> None:
    query = (
        '{ searchCustomers(text: "张伟") { edges { node { id memberOf { nodes { customerId } } '
        "contacts(first: 2) { totalCount } } } } }"
    )
    assert plan(query) == ViewParts(relations=True, contact_pages=frozenset({2}))


def test_a_resolver_can_force_relations_and_tier() -> None:
    """Search filters by account manager or stars read them whatever the selection asks."""
    parts = plan('{ customer(id: "C1") { id } }', relations=True, tier=True)
    assert parts == ViewParts(relations=True, tier=True)


# A tiny strawberry schema (module level: strawberry resolves the annotations from here) whose root
# resolver records what view_parts makes of a real Info.
PLANS: list[ViewParts] = []


@strawberry.type
class Page:
    total_count: int = 0


@strawberry.type
class Tier:
    star_level: int = 1


@strawberry.type
class Customer:
    id: str = "C1"

    @strawberry.field
    def accounts(self) -> list[str]:
        return []

    @strawberry.field
    def tier(self) -> Tier:
        return Tier()

    @strawberry.field
    def contacts(self, first: int = 20, channel: str | None = None) -> Page:
        return Page()


@strawberry.type
class Query:
    @strawberry.field
    def customer(self, info: strawberry.Info, id: str) -> Customer:
        PLANS.append(view_parts(info))
        return Customer()


def test_the_stand_in_reads_like_strawberrys_own_info() -> None:
    """The same query through a real strawberry execution gives the same plan as the stand-in."""
    PLANS.clear()
    query = (
        'query($n: Int!) { customer(id: "C1") { ...F ... on Customer { tier { starLevel } } '
        "contacts(first: $n) { totalCount } } } fragment F on Customer { accounts { nodes { id } } }"
    )
    result = strawberry.Schema(query=Query).execute_sync(
        query.replace("accounts { nodes { id } }", "accounts"), variable_values={"n": 4}
    )
    assert result.errors is None
    assert PLANS == [plan(query, {"n": 4})]
    assert PLANS[0] == ViewParts(holdings=True, relations=True, tier=True, contact_pages=frozenset({4}))


def test_one_parsed_query_plans_each_requests_own_contact_page() -> None:
    """The parser cache hands every request of one query text the same nodes; the plan kept for them
    holds names, never the page sizes, which come from each request's variables."""
    query = 'query($n: Int) { customer(id: "C1") { contacts(first: $n) { totalCount } } }'
    info = info_for(query, {"n": 5})
    first = view_parts(info)  # type: ignore[arg-type]
    info._raw_info.variable_values = {"n": 7}
    again = view_parts(info)  # type: ignore[arg-type]
    assert (first.contact_pages, again.contact_pages) == (frozenset({5}), frozenset({7}))
    other = info_for('{ customer(id: "C1") { tier { starLevel } } }')
    assert view_parts(other).tier and not view_parts(other).contact_pages  # type: ignore[arg-type]
