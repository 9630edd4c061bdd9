"""Parsing, the token limit and validation, each done once per distinct query text.

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

from graphql import GraphQLError, GraphQLSchema, parse
from graphql.language import DocumentNode
from graphql.validation import ASTValidationRule
from strawberry.extensions import SchemaExtension
from strawberry.schema.schema import validate_document

Rules = tuple[type[ASTValidationRule], ...]


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

    def __init__(self, size: int) -> None:
        self.parse: Callable[[str, int], DocumentNode] = lru_cache(maxsize=size)(
            lambda text, max_tokens: parse(text, max_tokens=max_tokens)
        )
        self._validate = lru_cache(maxsize=size)(
            lambda schema, text, rules: validate_document(schema, text.document, rules)
        )

    def validate(self, schema: GraphQLSchema, text: str, document: DocumentNode, rules: Rules) -> list[GraphQLError]:
        return self._validate(schema, _Text(text, document), rules)


class CheckedQueries(SchemaExtension):
    """Adds c360's validation rules and token limit; with a cache, parses and validates a text once."""

    def __init__(self, rules: Rules, max_tokens: int, cache: QueryCache | None) -> None:
        self.rules = rules
        self.max_tokens = max_tokens
        self.cache = cache

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
        yield


def checked_queries(rules: Rules, max_tokens: int, cache_size: int | None) -> Callable[[], Any]:
    """A factory for the schema: one cache shared by the requests, a fresh extension for each."""
    cache = QueryCache(cache_size) if cache_size else None
    return lambda: CheckedQueries(rules, max_tokens, cache)
