"""How the schema's operations are executed: strawberry's executor, less three costs a customer view
paid for nothing (measured in docs/benchmarks.md, nineteenth and twentieth sessions).

- A reference cycle. graphql-core's executor keeps the resolvers' helpers as its own bound methods,
  so the executor, the request's context, its loaders and every value they loaded were freed only by
  Python's cyclic collector: about 300 objects a view, a tenth of the API's time.
- Per-field machinery for plain fields. Most of a view's fields are attributes of a strawberry type
  with a scalar or enum type (a month's amount, a care item's due date, an entitlement's name), yet
  graphql-core builds a resolve info, walks the wrapping types and checks for awaitables for each of
  them and each item of their lists, and strawberry calls three functions to read the attribute.
  Such a field's value is read as strawberry reads it (the schema's default resolver) and coerced
  here in one step; anything else, a read that fails and any value that is not plainly valid (a null
  where none may be, a value its type refuses, an error, an awaitable), goes the library's way, which
  reads the attribute again and gives the error its place.
- Collecting each object's subfields again for every request. The parser cache hands every request of
  the same query text the same syntax tree, and a selection with no directive (no @skip, @include or
  @defer to read the variables of) collects to the same fields whatever the request: kept by type and
  field node, as the library keeps it within one request, for as long as the query's syntax tree
  lives (the parser cache's document, not the entry of a query text seen once)."""

from __future__ import annotations

import weakref
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from graphql import (
    GraphQLField,
    GraphQLLeafType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    Undefined,
    is_leaf_type,
)
from graphql.execution.collect_fields import CollectedFields, FieldDetailsList, FragmentDetails
from graphql.language import FieldNode, FragmentSpreadNode, InlineFragmentNode, OperationDefinitionNode, SelectionNode
from graphql.pyutils import Path, is_awaitable
from graphql.type.definition import GraphQLResolveInfoHelpers
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry.schema.schema_converter import GraphQLCoreConverter
from strawberry.types.field import StrawberryField

_SLOW = object()  # "let the library complete it"
_UNPLANNED: Any = object()
# Types no value of which is an error or an awaitable: checked first, since most values are of them.
_PLAIN = frozenset({str, int, float, bool, dict, list, date, datetime, Decimal})


def _leaf(leaf: GraphQLLeafType, nullable: bool) -> Callable[[Any], Any]:
    coerce = leaf.coerce_output_value

    def complete(value: Any) -> Any:
        if value is None or value is Undefined:
            return None if nullable else _SLOW
        # An error or an awaitable is the library's to place or await: a lenient scalar (JSON) would
        # pass either through.
        if type(value) not in _PLAIN and (isinstance(value, Exception) or is_awaitable(value)):
            return _SLOW
        try:
            out = coerce(value)
        except Exception:
            return _SLOW
        return _SLOW if out is None or out is Undefined else out

    return complete


def _list(item: Callable[[Any], Any], nullable: bool) -> Callable[[Any], Any]:
    def complete(value: Any) -> Any:
        if value is None or value is Undefined:
            return None if nullable else _SLOW
        if type(value) is not list and type(value) is not tuple:
            return _SLOW
        out = [item(v) for v in value]
        return _SLOW if _SLOW in out else out

    return complete


def _completion(output: GraphQLOutputType, nullable: bool = True) -> Callable[[Any], Any] | None:
    """How to complete a value of ``output`` in one step, or None if it is not a scalar, an enum or a
    list of them."""
    if isinstance(output, GraphQLNonNull):
        return _completion(output.of_type, nullable=False)
    if isinstance(output, GraphQLList):
        item = _completion(output.of_type)
        return None if item is None else _list(item, nullable)
    if is_leaf_type(output):
        return _leaf(output, nullable)  # type: ignore[arg-type]
    return None


@dataclass(frozen=True, slots=True)
class _Plain:
    """How a plain field's value is read and completed: strawberry's own attribute read (its
    configured default resolver and the attribute's Python name), then one-step completion."""

    parent: GraphQLObjectType
    read: Callable[[Any, str], Any]
    attribute: str
    complete: Callable[[Any], Any]


def _plan(parent: GraphQLObjectType, field: GraphQLField | None) -> _Plain | None:
    """A field strawberry resolves as a bare attribute read (its basic-field resolver, which it gives
    no info, arguments or extensions), of a plain type."""
    if field is None or field.args or not getattr(field.resolve, "_is_default", False):
        return None
    definition = field.extensions.get(GraphQLCoreConverter.DEFINITION_BACKREF)
    if not isinstance(definition, StrawberryField) or not definition.is_basic_field or not definition.python_name:
        return None
    complete = _completion(field.type)
    return None if complete is None else _Plain(parent, definition.default_resolver, definition.python_name, complete)


def _fixed(selections: Iterable[SelectionNode], fragments: dict[str, FragmentDetails], seen: set[str]) -> bool:
    """Whether a selection collects to the same fields for any request: no directive on it or on the
    fragments it spreads (into fields' own selections is another collection), no fragment arguments."""
    for selection in selections:
        if selection.directives:
            return False
        if isinstance(selection, InlineFragmentNode):
            if not _fixed(selection.selection_set.selections, fragments, seen):
                return False
        elif isinstance(selection, FragmentSpreadNode):
            if selection.arguments:
                return False
            fragment = fragments.get(selection.name.value)
            if fragment is None or fragment.variable_signatures:
                return False
            if selection.name.value not in seen:
                seen.add(selection.name.value)
                if not _fixed(fragment.definition.selection_set.selections, fragments, seen):
                    return False
    return True


_Collected = tuple[GraphQLObjectType, FieldNode, CollectedFields]


class LeanExecutor(StrawberryGraphQLCoreExecutionContext):
    """Strawberry's executor without a reference cycle, plain fields completed in one step. Its
    helpers reach it through a weak reference: the schema has no subscriptions, @defer or @stream,
    whose sub-executors could outlive it."""

    # By parent type and field name; an entry keeps its type, so an id is never taken for another's.
    _plans: dict[tuple[int, str], _Plain | None] = {}

    # By operation node's id (the entry goes when the node does: as long as the parser cache keeps its
    # document, and no longer; not a WeakKeyDictionary, since a node's hash walks its whole tree), then
    # by object type and field node: (type, node, its collected subfields), for fixed selections only.
    _collected: dict[int, tuple[weakref.ref[OperationDefinitionNode], dict[tuple[int, int], _Collected]]] = {}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        me = weakref.proxy(self)
        self.async_helpers = GraphQLResolveInfoHelpers(
            gather=lambda values: me.gather_async_work(values), track=lambda values: me.track_async_work(values)
        )

    def execute_field(
        self,
        parent_type: GraphQLObjectType,
        source: Any,
        field_details_list: FieldDetailsList,
        path: Path,
        position_context: Any,
    ) -> Any:
        node = field_details_list[0].node
        if not node.directives and not (self.middleware_manager and self.middleware_manager.middlewares):
            key = (id(parent_type), node.name.value)
            plain = self._plans.get(key, _UNPLANNED)
            if plain is _UNPLANNED or (plain is not None and plain.parent is not parent_type):
                plain = self._plans[key] = _plan(parent_type, self.schema.get_field(parent_type, key[1]))
            if plain is not None:
                # A read that fails, or a value not plainly valid, goes the library's way, which reads
                # the attribute again and places the error.
                try:
                    done = plain.complete(plain.read(source, plain.attribute))
                except Exception:
                    done = _SLOW
                if done is not _SLOW:
                    return done
        return super().execute_field(parent_type, source, field_details_list, path, position_context)

    def collect_subfields(
        self, return_type: GraphQLObjectType, field_details_list: FieldDetailsList
    ) -> CollectedFields:
        if len(field_details_list) != 1:
            return super().collect_subfields(return_type, field_details_list)
        details = field_details_list[0]
        node = details.node
        if details.defer_usage is not None or details.fragment_variable_values is not None:
            return super().collect_subfields(return_type, field_details_list)
        key = (id(return_type), id(node))
        operation = self.operation
        entry = self._collected.get(id(operation))
        here = entry[1] if entry is not None and entry[0]() is operation else None
        kept = here.get(key) if here is not None else None
        if kept is not None and kept[0] is return_type and kept[1] is node:
            return kept[2]
        collected = super().collect_subfields(return_type, field_details_list)
        selections = node.selection_set.selections if node.selection_set else ()
        if not collected.new_defer_usages and _fixed(selections, self.fragments, set()):
            if here is None:
                here = self._kept_for(operation)
            here[key] = (return_type, node, collected)
        return collected

    def _kept_for(self, operation: OperationDefinitionNode) -> dict[tuple[int, int], _Collected]:
        everything, key = self._collected, id(operation)

        def gone(ref: weakref.ref[OperationDefinitionNode]) -> None:
            if everything.get(key, (None,))[0] is ref:
                del everything[key]

        here: dict[tuple[int, int], _Collected] = {}
        everything[key] = (weakref.ref(operation, gone), here)
        return here
