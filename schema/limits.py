"""Protecting the API from expensive queries: depth, cost, aliases, tokens, page sizes,
introspection in production, and error codes on every error."""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Iterator, Mapping
from typing import Any

from graphql import FieldNode, FragmentSpreadNode, GraphQLError, GraphQLSyntaxError, InlineFragmentNode, ValidationRule
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
from strawberry.extensions.max_aliases import create_validator as create_alias_validator
from strawberry.extensions.query_depth_limiter import create_validator as create_depth_validator

from app import logs
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
from schema.query_checks import checked_queries
from schema.scope import ActingFor

log = logging.getLogger("c360.api")

MAX_PAGE = 100
# A list's page size when the query gives no `first`; the cost limit counts it the same way.
DEFAULT_PAGE = 20
DEFAULT_LIST_COST = DEFAULT_PAGE
MAX_DEPTH = 10
MAX_ALIASES = 30
MAX_TOKENS = 3000
MAX_COST = 20_000
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


def page_size(first: int) -> int:
    if first < 1 or first > MAX_PAGE:
        raise BadInput(f"first must be between 1 and {MAX_PAGE}, got {first}")
    return first


class CostLimit(ValidationRule):
    """A query's cost is its field count, each field multiplied by the page sizes above it."""

    def enter_operation_definition(self, node: OperationDefinitionNode, *_: Any) -> None:
        fragments = {
            f.name.value: f
            for f in self.context.document.definitions
            if getattr(f, "kind", "") == "fragment_definition"
        }
        cost = _cost(node.selection_set, 1, fragments, set())
        if cost > MAX_COST:
            self.report_error(
                GraphQLError(
                    f"query cost {cost} exceeds the limit of {MAX_COST}; ask for fewer fields or smaller pages",
                    node,
                    extensions={"code": QueryTooCostly.code},
                )
            )


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


def _page_argument(node: FieldNode, variables: Mapping[str, Any] | None = None) -> int:
    """A list's page size: a literal, or a variable's value (its default when not given); without
    the variables (validation, cached per text) a variable counts as the list's default page."""
    for argument in node.arguments or ():
        if argument.name.value not in ("first", "limit"):
            continue
        if isinstance(argument.value, IntValueNode):
            return max(1, int(argument.value.value))
        if isinstance(argument.value, VariableNode) and variables is not None:
            given = variables.get(argument.value.name.value)
            if isinstance(given, int) and not isinstance(given, bool):
                return max(1, given)
    return DEFAULT_LIST_COST if node.name.value in ("contacts", "searchCustomers", "reviewQueue") else 1


def _fragments(document: DocumentNode) -> dict[str, FragmentDefinitionNode]:
    return {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}


def spread_size(document: DocumentNode) -> int:
    """How many selections the document's operations spread out to, each fragment counted where it
    is spread; each fragment's size is worked out once, so a 2^30 spread is counted in microseconds.
    A fragment spread inside itself counts nothing here (validation refuses the cycle)."""
    fragments = _fragments(document)
    sizes: dict[str, int] = {}

    def size_of(selection_set: SelectionSetNode | None, visiting: frozenset[str]) -> int:
        total = 0
        for selection in selection_set.selections if selection_set is not None else ():
            if isinstance(selection, FieldNode):
                total += 1 + size_of(selection.selection_set, visiting)
            elif isinstance(selection, InlineFragmentNode):
                total += size_of(selection.selection_set, visiting)
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                if name not in sizes and name in fragments and name not in visiting:
                    sizes[name] = size_of(fragments[name].selection_set, visiting | {name})
                total += sizes.get(name, 0)
            if total > MAX_SELECTIONS:
                return total
        return total

    total = 0
    for definition in document.definitions:
        if isinstance(definition, OperationDefinitionNode):
            total += size_of(definition.selection_set, frozenset())
    return total


def _long_strings(value: ValueNode) -> Iterator[int]:
    if isinstance(value, StringValueNode):
        if len(value.value) > INPUT_TEXT_MAX:
            yield len(value.value)
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
        node, length = long
        return GraphQLError(
            f"argument {node.name.value} has a string of {length:,} characters, more than the "
            f"{INPUT_TEXT_MAX:,} any input may have",
            node,
            extensions={"code": BadInput.code},
        )
    return None


def _long_string_argument(document: DocumentNode) -> tuple[ArgumentNode, int] | None:
    stack: list[Any] = list(document.definitions)
    while stack:
        node = stack.pop()
        if isinstance(node, ArgumentNode):
            for length in _long_strings(node.value):
                return node, length
            continue
        for key in node.keys:
            child = getattr(node, key, None)
            if isinstance(child, tuple | list):
                stack.extend(c for c in child if hasattr(c, "keys"))
            elif hasattr(child, "keys") and key != "loc":
                stack.append(child)
    return None


def _long_variable(value: Any, path: str) -> tuple[str, int] | None:
    if isinstance(value, str):
        return (path, len(value)) if len(value) > INPUT_TEXT_MAX else None
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
    """What the variables decide: a string longer than any field takes, the cost of page sizes given
    as variables."""
    if not variables:
        return None
    for name, value in variables.items():
        long = _long_variable(value, f"${name}")
        if long is not None:
            where, length = long
            return GraphQLError(
                f"variable {where} has {length:,} characters, more than the {INPUT_TEXT_MAX:,} any input may have",
                extensions={"code": BadInput.code},
            )
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    chosen = [o for o in operations if operation_name is None or (o.name and o.name.value == operation_name)]
    if len(chosen) != 1:
        return None  # graphql-core refuses a missing or ambiguous operation name
    operation = chosen[0]
    given: dict[str, Any] = {
        d.variable.name.value: int(d.default_value.value)
        for d in operation.variable_definitions or ()
        if isinstance(d.default_value, IntValueNode)
    }
    given.update(variables)
    cost = _cost(operation.selection_set, 1, _fragments(document), set(), given)
    if cost > MAX_COST:
        return GraphQLError(
            f"query cost {cost} exceeds the limit of {MAX_COST}; ask for fewer fields or smaller pages",
            operation,
            extensions={"code": QueryTooCostly.code},
        )
    return None


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


# Built once: strawberry's QueryDepthLimiter and MaxAliasesLimiter make a new rule class per
# instance, and a new class in the rules defeats the validation cache (measured: every request
# re-validated, 5x slower on small queries). The same rules, made once, keep the cache hitting.
DEPTH_RULE = create_depth_validator(MAX_DEPTH, None)
ALIAS_RULE = create_alias_validator(MAX_ALIASES)


def extensions(production: bool, caches: bool = True) -> list[Any]:
    """Factories, never shared instances: a shared instance leaks execution context between requests.
    The parser and validation caches dominate the cost of small queries; off only to measure that."""
    logs.quiet_libraries()
    chosen: list[Any] = [
        checked_queries(
            (DEPTH_RULE, ALIAS_RULE, CostLimit),
            MAX_TOKENS,
            QUERY_CACHE_SIZE if caches else None,
            before_validation,
            before_execution,
        ),
        lambda: ErrorCodes(production=production),
        ActingFor,
        CachedCustomerViews,
    ]
    if production:
        chosen.append(DisableIntrospection)
    return chosen
