"""Protecting the API from expensive queries: depth, cost, aliases, tokens, page sizes,
introspection in production, and error codes on every error."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator
from typing import Any

from graphql import FieldNode, FragmentSpreadNode, GraphQLError, GraphQLSyntaxError, InlineFragmentNode, ValidationRule
from graphql.language import IntValueNode, OperationDefinitionNode, SelectionSetNode
from strawberry.extensions import DisableIntrospection, SchemaExtension
from strawberry.extensions.max_aliases import create_validator as create_alias_validator
from strawberry.extensions.query_depth_limiter import create_validator as create_depth_validator

from app.errors import BadInput, C360Error
from schema.kept_answers import CachedCustomerViews
from schema.query_checks import checked_queries

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
                    extensions={"code": "QUERY_TOO_COSTLY"},
                )
            )


def _cost(selection_set: SelectionSetNode | None, multiplier: int, fragments: dict[str, Any], seen: set[str]) -> int:
    if selection_set is None:
        return 0
    total = 0
    for selection in selection_set.selections:
        if isinstance(selection, FieldNode):
            total += multiplier
            if selection.selection_set is not None:
                size = _page_argument(selection)
                total += _cost(selection.selection_set, multiplier * size, fragments, seen)
        elif isinstance(selection, InlineFragmentNode):
            total += _cost(selection.selection_set, multiplier, fragments, seen)
        elif isinstance(selection, FragmentSpreadNode) and selection.name.value not in seen:
            fragment = fragments.get(selection.name.value)
            if fragment is not None:
                total += _cost(fragment.selection_set, multiplier, fragments, seen | {selection.name.value})
    return total


def _page_argument(node: FieldNode) -> int:
    for argument in node.arguments or ():
        if argument.name.value in ("first", "limit") and isinstance(argument.value, IntValueNode):
            return max(1, int(argument.value.value))
    return DEFAULT_LIST_COST if node.name.value in ("contacts", "searchCustomers", "reviewQueue") else 1


class ErrorCodes(SchemaExtension):
    """Every error gets a stable ``extensions.code``; in production an unexpected one is replaced by
    a message with an error id that is also in the log, so nothing internal leaks."""

    def __init__(self, production: bool = False) -> None:
        self.production = production

    def on_operation(self) -> Iterator[None]:
        yield
        result = self.execution_context.result
        if result is None or not result.errors:
            return
        result.errors = [self._coded(error) for error in result.errors]
        if self.execution_context.pre_execution_errors:
            self.execution_context.pre_execution_errors = result.errors

    def _coded(self, error: GraphQLError) -> GraphQLError:
        extensions = dict(error.extensions or {})
        original = error.original_error
        if "code" in extensions:
            return error
        if isinstance(error, GraphQLSyntaxError):
            extensions["code"] = "GRAPHQL_PARSE_FAILED"
        elif original is None:
            extensions["code"] = "GRAPHQL_VALIDATION_FAILED"
        else:
            code = original.code if isinstance(original, C360Error) else None
            if code is None:
                error_id = uuid.uuid4().hex[:12]
                log.error("unexpected error %s in %s", error_id, error.path, exc_info=original)
                extensions.update(code="INTERNAL_SERVER_ERROR", error_id=error_id)
                if self.production:
                    return GraphQLError(
                        f"unexpected error; quote error id {error_id}",
                        error.nodes,
                        error.source,
                        error.positions,
                        error.path,
                        None,
                        extensions,
                    )
            else:
                extensions["code"] = code
        return GraphQLError(error.message, error.nodes, error.source, error.positions, error.path, original, extensions)


# Built once: strawberry's QueryDepthLimiter and MaxAliasesLimiter make a new rule class per
# instance, and a new class in the rules defeats the validation cache (measured: every request
# re-validated, 5x slower on small queries). The same rules, made once, keep the cache hitting.
DEPTH_RULE = create_depth_validator(MAX_DEPTH, None)
ALIAS_RULE = create_alias_validator(MAX_ALIASES)


def extensions(production: bool, caches: bool = True) -> list[Any]:
    """Factories, never shared instances: a shared instance leaks execution context between requests.
    The parser and validation caches dominate the cost of small queries; off only to measure that."""
    chosen: list[Any] = [
        checked_queries((DEPTH_RULE, ALIAS_RULE, CostLimit), MAX_TOKENS, QUERY_CACHE_SIZE if caches else None),
        lambda: ErrorCodes(production=production),
        CachedCustomerViews,
    ]
    if production:
        chosen.append(DisableIntrospection)
    return chosen
