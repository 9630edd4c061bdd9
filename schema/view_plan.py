"""Which parts of the customer view a root field's selection reads.

Read from the query's syntax tree (fragments included) before any customer is loaded,
so the customer loader can fetch the customers and every part they need in one round
trip. Field names anywhere under the root field count: a name that is not the
customer's own only makes the fetch larger, never wrong. The tree is walked directly,
not through strawberry's ``selected_fields``, which rebuilds it and cost 6% of a view.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from graphql.language import (
    FieldNode,
    FragmentSpreadNode,
    InlineFragmentNode,
    IntValueNode,
    NullValueNode,
    SelectionNode,
    ValueNode,
    VariableNode,
)

from app.services.customer_view import ViewParts
from schema.context import Info
from schema.limits import DEFAULT_PAGE, MAX_PAGE

HOLDINGS = frozenset({"accounts", "subscriptions", "offerings", "opportunities"})
RELATIONS = frozenset({"accountManagers", "memberOf", "household", "tier"})
MEMBERS = "members"
TIER = frozenset({"tier"})
SERVICE = "service"
PENDING_DUPLICATES = "pendingDuplicates"
# A contact page with any of these is not the plain newest-first page the customer query prefetches.
CONTACT_FILTERS = frozenset({"after", "channel", "kind", "since", "until"})


def _fields(selections: Iterable[SelectionNode], fragments: dict[str, Any], seen: set[str]) -> Iterator[FieldNode]:
    for selection in selections:
        if isinstance(selection, FieldNode):
            yield selection
            if selection.selection_set is not None:
                yield from _fields(selection.selection_set.selections, fragments, seen)
        elif isinstance(selection, InlineFragmentNode):
            yield from _fields(selection.selection_set.selections, fragments, seen)
        elif isinstance(selection, FragmentSpreadNode) and selection.name.value not in seen:
            seen.add(selection.name.value)
            fragment = fragments.get(selection.name.value)
            if fragment is not None:
                yield from _fields(fragment.selection_set.selections, fragments, seen)


def _value(node: ValueNode, variables: dict[str, Any]) -> Any:
    if isinstance(node, VariableNode):
        return variables.get(node.name.value)
    if isinstance(node, NullValueNode):
        return None
    if isinstance(node, IntValueNode):
        return int(node.value)
    return node


def _plain_page(node: FieldNode, variables: dict[str, Any]) -> int | None:
    """The size of a contact page with no cursor and no filter, else None."""
    first: Any = DEFAULT_PAGE
    for argument in node.arguments or ():
        value = _value(argument.value, variables)
        if argument.name.value == "first":
            first = value
        elif argument.name.value in CONTACT_FILTERS and value is not None:
            return None
    return first if isinstance(first, int) and 0 < first <= MAX_PAGE else None


@dataclass(frozen=True, slots=True)
class _Walk:
    """What a root field's selection holds, whatever the variables: its field names and contact pages."""

    names: frozenset[str]
    contacts: tuple[FieldNode, ...]


# By the root field's nodes, which the parser cache hands to every request of the same query text. The
# entry keeps the nodes it was made for, so an id is never taken for another query's once freed.
_walks: dict[tuple[int, ...], tuple[tuple[FieldNode, ...], _Walk]] = {}
WALKS_KEPT = 256


def _walk(field_nodes: tuple[FieldNode, ...], fragments: dict[str, Any]) -> _Walk:
    key = tuple(map(id, field_nodes))
    kept = _walks.get(key)
    if kept is not None and all(a is b for a, b in zip(kept[0], field_nodes, strict=True)):
        return kept[1]
    nodes = list(_fields(field_nodes, fragments, set()))
    walk = _Walk(frozenset(n.name.value for n in nodes), tuple(n for n in nodes if n.name.value == "contacts"))
    if len(_walks) >= WALKS_KEPT:
        _walks.clear()
    _walks[key] = (field_nodes, walk)
    return walk


def view_parts(info: Info, *, relations: bool = False, tier: bool = False) -> ViewParts:
    """``relations`` and ``tier`` force parts the resolver itself reads (search filters)."""
    raw = info._raw_info  # graphql-core's info: strawberry gives no public way to the field nodes
    walk = _walk(tuple(raw.field_nodes), raw.fragments)
    names = walk.names
    pages = frozenset(size for node in walk.contacts if (size := _plain_page(node, raw.variable_values)) is not None)
    return ViewParts(
        holdings=bool(names & HOLDINGS),
        relations=relations or bool(names & RELATIONS),
        tier=tier or bool(names & TIER),
        contact_pages=pages,
        service=SERVICE in names,
        pending_duplicates=PENDING_DUPLICATES in names,
        members=MEMBERS in names,
    )
