"""Parsing, the token limit and validation, each done once per distinct query text, and the
checks that must run before validation (its work grows with what fragments spread out to) and
before execution (they need the variables).

strawberry's ParserCache and ValidationCache do the same, but the validation cache is keyed
on the parsed document, and graphql-core hashes a document by walking its whole tree: 0.12 ms
for the full customer view, every request (measured), a tenth of the view's cost. A query's
text says everything its document does, and Python keeps a string's hash, so the text is
the key here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import lru_cache
from typing import Any

from graphql import ExecutionResult, GraphQLError, GraphQLSchema, parse
from graphql.language import DocumentNode
from graphql.validation import ASTValidationRule
from strawberry.extensions import SchemaExtension
from strawberry.schema.schema import validate_document

Rules = tuple[type[ASTValidationRule], ...]
# A document refused before validation, or None to validate it.
BeforeValidation = Callable[[DocumentNode], GraphQLError | None]
# A document refused for its variables (and the operation chosen), or None to run it.
BeforeExecution = Callable[[DocumentNode, str | None, dict[str, Any]], GraphQLError | None]


class _Text:
    """A parsed document that hashes and compares as the text it came from."""

    __slots__ = ("text", "document")

    def __init__(self, text: str, document: DocumentNode) -> None:
        self.text = text
        self.document = document

    def __hash__(self) -> int:
        return hash(self.text)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Text) and other.text == self.text


class QueryCache:
    """Per schema: documents and validation errors by query text, least recently used dropped."""

    def __init__(self, size: int, before: BeforeValidation | None = None) -> None:
        self.parse: Callable[[str, int], DocumentNode] = lru_cache(maxsize=size)(
            lambda text, max_tokens: parse(text, max_tokens=max_tokens)
        )
        self._validate = lru_cache(maxsize=size)(
            lambda schema, text, rules: _checked(before, text.document)
            or validate_document(schema, text.document, rules)
        )

    def validate(self, schema: GraphQLSchema, text: str, document: DocumentNode, rules: Rules) -> list[GraphQLError]:
        return self._validate(schema, _Text(text, document), rules)


def _checked(before: BeforeValidation | None, document: DocumentNode) -> list[GraphQLError]:
    refused = before(document) if before is not None else None
    return [refused] if refused is not None else []


class CheckedQueries(SchemaExtension):
    """Adds c360's validation rules and token limit; with a cache, parses and validates a text once.
    ``before_validation`` runs first, on every path (a refusal skips validation); ``before_execution``
    runs on the variables of each request, a refusal being its answer."""

    def __init__(
        self,
        rules: Rules,
        max_tokens: int,
        cache: QueryCache | None,
        before_validation: BeforeValidation | None = None,
        before_execution: BeforeExecution | None = None,
    ) -> None:
        self.rules = rules
        self.max_tokens = max_tokens
        self.cache = cache
        self.before_validation = before_validation
        self.before_execution = before_execution

    def on_operation(self) -> Iterator[None]:
        execution = self.execution_context
        execution.parse_options["max_tokens"] = self.max_tokens
        execution.validation_rules = execution.validation_rules + self.rules
        yield

    def on_parse(self) -> Iterator[None]:
        execution = self.execution_context
        if self.cache is not None and execution.query and execution.graphql_document is None:
            try:
                execution.graphql_document = self.cache.parse(execution.query, self.max_tokens)
            except GraphQLError:
                pass  # strawberry parses it again where its syntax errors become the answer's errors
        yield

    def on_validate(self) -> Iterator[None]:
        execution = self.execution_context
        if self.cache is not None and execution.query and execution.graphql_document is not None:
            # graphql-core's schema, which strawberry keeps as `_schema` and offers no other way to.
            graphql_schema = execution.schema._schema  # type: ignore[attr-defined]
            execution.pre_execution_errors = self.cache.validate(
                graphql_schema, execution.query, execution.graphql_document, execution.validation_rules
            )
        elif execution.graphql_document is not None:
            # Set, it keeps strawberry from validating; left None, strawberry validates.
            execution.pre_execution_errors = _checked(self.before_validation, execution.graphql_document) or None
        yield

    def on_execute(self) -> Iterator[None]:
        execution = self.execution_context
        if self.before_execution is not None and execution.graphql_document is not None:
            refused = self.before_execution(
                execution.graphql_document, execution.operation_name, execution.variables or {}
            )
            if refused is not None:
                execution.result = ExecutionResult(data=None, errors=[refused])
        yield


def checked_queries(
    rules: Rules,
    max_tokens: int,
    cache_size: int | None,
    before_validation: BeforeValidation | None = None,
    before_execution: BeforeExecution | None = None,
) -> Callable[[], Any]:
    """A factory for the schema: one cache shared by the requests, a fresh extension for each."""
    cache = QueryCache(cache_size, before_validation) if cache_size else None
    return lambda: CheckedQueries(rules, max_tokens, cache, before_validation, before_execution)
