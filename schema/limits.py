"""Protecting the API from expensive queries: depth, cost, aliases (each role's own, from
app/config/access.toml [query_limits]), tokens, page sizes, introspection in production, and error
codes on every error."""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from graphql import FieldNode, FragmentSpreadNode, GraphQLError, GraphQLSyntaxError, InlineFragmentNode
from graphql.language import (
    ArgumentNode,
    DocumentNode,
    FragmentDefinitionNode,
    IntValueNode,
    ListValueNode,
    ObjectValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    StringValueNode,
    ValueNode,
    VariableNode,
)
from strawberry.extensions import DisableIntrospection, SchemaExtension

from app import logs
from app.access import DEFAULT_LIMITS, QueryLimit, access_policy
from app.errors import (
    BadInput,
    C360Error,
    InternalError,
    QueryInvalid,
    QueryTooComplex,
    QueryTooCostly,
    QueryUnparsable,
)
from app.fields import TEXT_MAX
from app.record_kinds import MAX_LENGTHS
from schema.kept_answers import CachedCustomerViews
from schema.query_checks import _Text, checked_queries
from schema.scope import ActingFor

log = logging.getLogger("c360.api")

MAX_PAGE = 100
# A list's page size when the query gives no `first`; the cost limit counts it the same way.
DEFAULT_PAGE = 20
DEFAULT_LIST_COST = DEFAULT_PAGE
# Depth, aliases and cost are each role's (access.toml [query_limits]); these are the default's,
# which every role without its own values has.
_DEFAULTS = access_policy().query_limit(DEFAULT_LIMITS)
MAX_DEPTH: int = _DEFAULTS.depth or 0
MAX_ALIASES: int = _DEFAULTS.aliases or 0
MAX_COST: int = _DEFAULTS.cost or 0
MAX_TOKENS = 3000
# Distinct query texts whose parse and validation are kept (channels send a few dozen).
QUERY_CACHE_SIZE = 1024
# Fragments of one document, and the selections its fragments spread out to: both refused before
# validation, whose work grows with the spread-out size (a 1 KB document can spread to 2^30).
MAX_FRAGMENTS = 100
MAX_SELECTIONS = 10_000
# Every string a request gives (an argument, an input field, a variable): no field of any record
# kind takes more (app/record_kinds.py), and each field's own maximum applies where it is checked.
INPUT_TEXT_MAX = max(limit for kind in MAX_LENGTHS.values() for limit in kind.values())
# A search's text: the longest field one searches by (a name, an address) is a text field.
SEARCH_TEXT_MAX = TEXT_MAX


# The fields that answer a page of a list (a connection): without first or last they give DEFAULT_PAGE
# items, and cost as many (tests/unit/test_schema_v1.py holds the set to the schema's connections).
PAGED_FIELDS = frozenset(
    {
        "contacts",
        "searchCustomers",
        "reviewQueue",
        "stewardDecisions",
        "heldContactChanges",
        "mergeHistory",
        "tierHistory",
        "dueWork",
        "breaches",
        "accounts",
        "subscriptions",
        "offerings",
        "opportunities",
        "members",
        "memberOf",
        "sourceRecords",
        "opportunityInbox",
        "opportunityBoard",
        "capturedOpportunities",
        "callBacks",
        "contactWorkList",
        "marketingConsents",
    }
)


def page_size(first: int) -> int:
    if first < 1 or first > MAX_PAGE:
        raise BadInput(f"first must be between 1 and {MAX_PAGE}, got {first}")
    return first


def _cost(
    selection_set: SelectionSetNode | None,
    multiplier: int,
    fragments: dict[str, Any],
    seen: set[str],
    variables: Mapping[str, Any] | None = None,
) -> int:
    if selection_set is None:
        return 0
    total = 0
    for selection in selection_set.selections:
        if isinstance(selection, FieldNode):
            total += multiplier
            if selection.selection_set is not None:
                size = _page_argument(selection, variables)
                total += _cost(selection.selection_set, multiplier * size, fragments, seen, variables)
        elif isinstance(selection, InlineFragmentNode):
            total += _cost(selection.selection_set, multiplier, fragments, seen, variables)
        elif isinstance(selection, FragmentSpreadNode) and selection.name.value not in seen:
            fragment = fragments.get(selection.name.value)
            if fragment is not None:
                total += _cost(fragment.selection_set, multiplier, fragments, seen | {selection.name.value}, variables)
    return total


def _page_variables(selection_set: SelectionSetNode | None, fragments: Mapping[str, Any]) -> frozenset[str]:
    """The variables an operation gives as page sizes (through its fragments): its cost depends on them."""
    found: set[str] = set()
    seen: set[str] = set()
    stack = [selection_set]
    while stack:
        selections = stack.pop()
        for selection in selections.selections if selections is not None else ():
            if isinstance(selection, FieldNode):
                for argument in selection.arguments or ():
                    if argument.name.value in ("first", "limit") and isinstance(argument.value, VariableNode):
                        found.add(argument.value.name.value)
                stack.append(selection.selection_set)
            elif isinstance(selection, InlineFragmentNode):
                stack.append(selection.selection_set)
            elif isinstance(selection, FragmentSpreadNode) and selection.name.value not in seen:
                seen.add(selection.name.value)
                fragment = fragments.get(selection.name.value)
                if fragment is not None:
                    stack.append(fragment.selection_set)
    return frozenset(found)


def _page_argument(node: FieldNode, variables: Mapping[str, Any] | None = None) -> int:
    """A list's page size: a literal, or a variable's value (its default when not given); without
    the variables (validation, cached per text) a variable counts as the list's default page."""
    for argument in node.arguments or ():
        if argument.name.value not in ("first", "last", "limit"):
            continue
        if isinstance(argument.value, IntValueNode):
            return max(1, int(argument.value.value))
        if isinstance(argument.value, VariableNode) and variables is not None:
            given = variables.get(argument.value.name.value)
            if isinstance(given, int) and not isinstance(given, bool):
                return max(1, given)
    return DEFAULT_LIST_COST if node.name.value in PAGED_FIELDS else 1


def _fragments(document: DocumentNode) -> dict[str, FragmentDefinitionNode]:
    return {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}


def _spread_count(document: DocumentNode, counts: Callable[[FieldNode], int], stop: int | None = None) -> int:
    """The sum of ``counts`` over the fields the document's operations spread out to, each fragment
    counted where it is spread; each fragment's count is worked out once, so a 2^30 spread is counted
    in microseconds, and counting stops early past ``stop``. A fragment spread inside itself counts
    nothing here (validation refuses the cycle)."""
    fragments = _fragments(document)
    sizes: dict[str, int] = {}

    def size_of(selection_set: SelectionSetNode | None, visiting: frozenset[str]) -> int:
        total = 0
        for selection in selection_set.selections if selection_set is not None else ():
            if isinstance(selection, FieldNode):
                total += counts(selection) + size_of(selection.selection_set, visiting)
            elif isinstance(selection, InlineFragmentNode):
                total += size_of(selection.selection_set, visiting)
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                if name not in sizes and name in fragments and name not in visiting:
                    sizes[name] = size_of(fragments[name].selection_set, visiting | {name})
                total += sizes.get(name, 0)
            if stop is not None and total > stop:
                return total
        return total

    operations = (d for d in document.definitions if isinstance(d, OperationDefinitionNode))
    return sum(size_of(operation.selection_set, frozenset()) for operation in operations)


def spread_size(document: DocumentNode) -> int:
    """How many selections the document's operations spread out to (counted up to just past the limit)."""
    return _spread_count(document, lambda _: 1, MAX_SELECTIONS)


def _unfit(text: str) -> str | None:
    """Why no field could take this string: its length, or a NUL (no store keeps one in a value)."""
    if len(text) > INPUT_TEXT_MAX:
        return f"{len(text):,} characters, more than the {INPUT_TEXT_MAX:,} any input may have"
    if "\x00" in text:
        return "a NUL character (U+0000), which no field may hold"
    return None


def _long_strings(value: ValueNode) -> Iterator[str]:
    if isinstance(value, StringValueNode):
        reason = _unfit(value.value)
        if reason is not None:
            yield reason
    elif isinstance(value, ListValueNode):
        for item in value.values:
            yield from _long_strings(item)
    elif isinstance(value, ObjectValueNode):
        for item in value.fields:
            yield from _long_strings(item.value)


def before_validation(document: DocumentNode) -> GraphQLError | None:
    """What must be refused before graphql-core validates: too many fragments, a spread-out size
    over the limit, a string argument longer than any field takes."""
    fragments = _fragments(document)
    if len(fragments) > MAX_FRAGMENTS:
        return GraphQLError(
            f"{len(fragments)} fragments, more than the {MAX_FRAGMENTS} a query may define",
            extensions={"code": QueryTooComplex.code},
        )
    spread = spread_size(document)
    if spread > MAX_SELECTIONS:
        return GraphQLError(
            f"the query's fragments spread out to more than {MAX_SELECTIONS:,} selections; spread fewer",
            extensions={"code": QueryTooComplex.code},
        )
    long = _long_string_argument(document)
    if long is not None:
        node, reason = long
        return GraphQLError(
            f"argument {node.name.value} has a string of {reason}",
            node,
            extensions={"code": BadInput.code},
        )
    return None


def _long_string_argument(document: DocumentNode) -> tuple[ArgumentNode, str] | None:
    stack: list[Any] = list(document.definitions)
    while stack:
        node = stack.pop()
        if isinstance(node, ArgumentNode):
            for reason in _long_strings(node.value):
                return node, reason
            continue
        for key in node.keys:
            child = getattr(node, key, None)
            if isinstance(child, tuple | list):
                stack.extend(c for c in child if hasattr(c, "keys"))
            elif hasattr(child, "keys") and key != "loc":
                stack.append(child)
    return None


def _long_variable(value: Any, path: str) -> tuple[str, str] | None:
    if isinstance(value, str):
        reason = _unfit(value)
        return None if reason is None else (path, reason)
    if isinstance(value, dict):
        items: Any = ((f"{path}.{k}", v) for k, v in value.items())
    elif isinstance(value, list):
        items = ((f"{path}[{k}]", v) for k, v in enumerate(value))
    else:
        return None
    for where, item in items:
        found = _long_variable(item, where)
        if found is not None:
            return found
    return None


def before_execution(
    document: DocumentNode, operation_name: str | None, variables: dict[str, Any]
) -> GraphQLError | None:
    """What the variables decide: a string longer than any field takes (the cost of page sizes given
    as variables is the caller's role's, checked by ``RoleLimits``)."""
    for name, value in (variables or {}).items():
        long = _long_variable(value, f"${name}")
        if long is not None:
            where, reason = long
            return GraphQLError(f"variable {where} has {reason}", extensions={"code": BadInput.code})
    return None


# ------------------------------------------------------------------ depth, aliases and cost, per role


def _depth(selection_set: SelectionSetNode | None, fragments: Mapping[str, FragmentDefinitionNode]) -> int:
    """The deepest field under ``selection_set`` (its own fields are at 0), through its fragments, as
    strawberry's QueryDepthLimiter counts: introspection's fields (``__schema``, ``__type``) are not
    looked into. A fragment's depth is worked out once (validated documents have no cycles; a
    fragment spread inside itself counts nothing here)."""
    depths: dict[str, int] = {}

    def deepest(selections: SelectionSetNode | None, visiting: frozenset[str]) -> int:
        found = -1
        for selection in selections.selections if selections is not None else ():
            if isinstance(selection, FieldNode):
                below = -1
                if selection.selection_set is not None and not selection.name.value.startswith("__"):
                    below = deepest(selection.selection_set, visiting)
                found = max(found, 0, below + 1)
            elif isinstance(selection, InlineFragmentNode):
                found = max(found, deepest(selection.selection_set, visiting))
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                if name not in depths and name in fragments and name not in visiting:
                    depths[name] = deepest(fragments[name].selection_set, visiting | {name})
                found = max(found, depths.get(name, -1))
        return found

    return max(0, deepest(selection_set, frozenset()))


def _aliases(document: DocumentNode) -> int:
    """Aliased fields of the document's operations, a fragment's counted at each spread (as
    strawberry's MaxAliasesLimiter counts)."""
    return _spread_count(document, lambda field: field.alias is not None)


@dataclass(frozen=True, slots=True)
class _Operation:
    node: OperationDefinitionNode
    name: str | None
    depth: int
    # Its cost with every page size given as a variable counted as the list's default page.
    cost: int
    # The variables it gives as page sizes, and their defaults: its cost depends on their values.
    page_variables: frozenset[str]
    defaults: Mapping[str, int]


@dataclass(frozen=True, slots=True)
class _Shape:
    """What the limits look at in a document, worked out once per query text."""

    aliases: int
    operations: tuple[_Operation, ...]
    fragments: Mapping[str, FragmentDefinitionNode]


def _shape_of(document: DocumentNode) -> _Shape:
    fragments = _fragments(document)
    operations = []
    for node in document.definitions:
        if not isinstance(node, OperationDefinitionNode):
            continue
        defaults = {
            d.variable.name.value: int(d.default_value.value)
            for d in node.variable_definitions or ()
            if isinstance(d.default_value, IntValueNode)
        }
        page_variables = _page_variables(node.selection_set, fragments)
        operations.append(
            _Operation(
                node,
                node.name.value if node.name else None,
                _depth(node.selection_set, fragments),
                _cost(node.selection_set, 1, fragments, set(), defaults),
                page_variables,
                defaults,
            )
        )
    return _Shape(_aliases(document), tuple(operations), fragments)


# Per query text, as parsing and validation are (schema/query_checks.py).
_shape_of_text = lru_cache(maxsize=QUERY_CACHE_SIZE)(lambda keyed: _shape_of(keyed.document))


def shape(text: str | None, document: DocumentNode) -> _Shape:
    """What the limits look at in ``document``, parsed from ``text`` (kept per text when it is given)."""
    return _shape_of_text(_Text(text, document)) if text else _shape_of(document)


_ROLE_LIMITS: dict[str, QueryLimit] = {}


def limits_of(role: str | None) -> QueryLimit:
    """The role's depth, aliases and cost (access.toml [query_limits]), the default's where it has none."""
    name = role or DEFAULT_LIMITS
    limits = _ROLE_LIMITS.get(name)
    if limits is None:
        limits = _ROLE_LIMITS[name] = access_policy().query_limit(name)
    return limits


def over_limits(
    document: DocumentNode,
    text: str | None,
    operation_name: str | None,
    variables: Mapping[str, Any] | None,
    role: str | None,
) -> list[GraphQLError]:
    """The refusals of an operation over its caller's role's depth, aliases or cost: depth and aliases
    over the whole document (as graphql-core validates), cost for the operation that runs (every one
    when the name chooses none), with page sizes given as variables counted at their values."""
    limits = limits_of(role)
    depth, aliases, cost = limits.depth or 0, limits.aliases or 0, limits.cost or 0
    who = f"role {role or DEFAULT_LIMITS}"
    found = shape(text, document)
    errors = [
        GraphQLError(
            f"'{operation.name or 'anonymous'}' has depth {operation.depth}: it exceeds maximum operation depth "
            f"of {depth} for {who}",
            operation.node,
            extensions={"code": QueryInvalid.code},
        )
        for operation in found.operations
        if operation.depth > depth
    ]
    if found.aliases > aliases:
        errors.append(
            GraphQLError(
                f"{found.aliases} aliases found. Allowed: {aliases} for {who}", extensions={"code": QueryInvalid.code}
            )
        )
    for operation in found.operations:
        if operation_name is not None and operation.name != operation_name:
            continue
        spent = operation.cost
        if operation.page_variables and variables and operation.page_variables & variables.keys():
            given = {**operation.defaults, **variables}
            spent = _cost(operation.node.selection_set, 1, found.fragments, set(), given)
        if spent > cost:
            errors.append(
                GraphQLError(
                    f"query cost {spent} exceeds the limit of {cost} for {who}; ask for fewer fields or smaller pages",
                    operation.node,
                    extensions={"code": QueryTooCostly.code},
                )
            )
    return errors


class RoleLimits(SchemaExtension):
    """Refuses an operation over its caller's role's depth, aliases or cost (access.toml
    [query_limits]) before it runs: after parsing, before (or, with the cache, in place of)
    validation's answer, so an operation too deep is refused as such whatever else is wrong with it.
    A refusal made before validation (too many fragments, an over-long string) stands alone."""

    def on_validate(self) -> Iterator[None]:
        execution = self.execution_context
        document = execution.graphql_document
        earlier = execution.pre_execution_errors or []
        if document is not None and not any((e.extensions or {}).get("code") for e in earlier):
            caller = getattr(execution.context, "caller", None)
            refused = over_limits(
                document,
                execution.query,
                execution.operation_name,
                execution.variables,
                caller.role_name if caller is not None else None,
            )
            if refused:
                execution.pre_execution_errors = refused + list(earlier)
        yield


# graphql-core's messages of variables whose values do not fit their types (coercion, at execution).
_VARIABLE_VALUE = re.compile(
    r"^Variable '\$\w+' (has invalid value|of required type .* was not provided|got invalid value)"
)
# graphql-core's suggestions of names, which tell a prober the schema where introspection is off.
_SUGGESTION = re.compile(r"\s*Did you mean .*$", re.S)


class ErrorCodes(SchemaExtension):
    """Every error gets a stable ``extensions.code`` (declared in app/errors.py) and one log line: the
    code, where, and the query's digest, never its text or the message (which may quote a value). In
    production an unexpected error is replaced by a message with an error id that is also in the log,
    so nothing internal leaks, and validation messages suggest no field names."""

    def __init__(self, production: bool = False) -> None:
        self.production = production

    def on_operation(self) -> Iterator[None]:
        yield
        result = self.execution_context.result
        if result is None or not result.errors:
            return
        digest = logs.query_digest(self.execution_context.query)
        result.errors = [self._coded(error, digest) for error in result.errors]
        if self.execution_context.pre_execution_errors:
            self.execution_context.pre_execution_errors = result.errors

    def _coded(self, error: GraphQLError, digest: str) -> GraphQLError:
        extensions = dict(error.extensions or {})
        original = error.original_error
        message = _SUGGESTION.sub("", error.message) if self.production else error.message
        where = ".".join(map(str, error.path)) if error.path else "(request)"
        if "code" not in extensions:
            if isinstance(error, GraphQLSyntaxError):
                extensions["code"] = QueryUnparsable.code
            elif error.path is None and _VARIABLE_VALUE.match(error.message):
                extensions["code"] = BadInput.code
            elif original is None:
                extensions["code"] = QueryInvalid.code
            elif isinstance(original, C360Error):
                extensions["code"] = original.code
            else:
                error_id = uuid.uuid4().hex[:12]
                log.error("unexpected error %s at %s, query %s: %s", error_id, where, digest, logs.stack_only(original))
                extensions.update(code=InternalError.code, error_id=error_id)
                if self.production:
                    message = f"unexpected error; quote error id {error_id}"
                    original = None
                return GraphQLError(
                    message, error.nodes, error.source, error.positions, error.path, original, extensions
                )
        log.info("%s at %s, query %s", extensions["code"], where, digest)
        if message == error.message and extensions == error.extensions:
            return error
        return GraphQLError(message, error.nodes, error.source, error.positions, error.path, original, extensions)


def extensions(production: bool, caches: bool = True) -> list[Any]:
    """Factories, never shared instances: a shared instance leaks execution context between requests.
    The parser and validation caches dominate the cost of small queries; off only to measure that."""
    logs.quiet_libraries()
    chosen: list[Any] = [
        # Depth, aliases and cost are not validation rules: they are the caller's role's, and the
        # validation cache is per query text, whoever sends it.
        checked_queries((), MAX_TOKENS, QUERY_CACHE_SIZE if caches else None, before_validation, before_execution),
        RoleLimits,
        lambda: ErrorCodes(production=production),
        ActingFor,
        CachedCustomerViews,
    ]
    if production:
        chosen.append(DisableIntrospection)
    return chosen
