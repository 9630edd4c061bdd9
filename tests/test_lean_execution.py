"""The lean execution of plain leaf fields answers exactly as graphql-core's own, errors included."""

from __future__ import annotations

from typing import Any

import pytest
import strawberry
from strawberry.scalars import JSON

from schema.execution import LeanExecutionContext


@strawberry.type
class Item:
    id: strawberry.ID
    name: str
    nickname: str | None
    count: int
    ratio: float
    flag: bool
    data: JSON
    tags: list[str]

    @strawberry.field
    def shout(self, times: int = 1) -> str:
        return self.name.upper() * times


class Broken:
    """Attributes the types promise but break: a null where not allowed, a wrong type, a missing one."""

    def __init__(self, **values: Any) -> None:
        self.__dict__.update(values)


ITEMS = [
    Item(id=strawberry.ID("1"), name="甄", nickname=None, count=3, ratio=0.5, flag=True, data={"a": [1, None]},
         tags=["x"]),
    Broken(id="2", name=None, nickname="n", count="not a number", ratio=1, flag=False, data=None, tags=[]),
    Broken(id="3", count=2**40, ratio=float("nan"), flag=1, data=7, tags=None),
]


@strawberry.type
class Query:
    @strawberry.field
    def items(self) -> list[Item | None]:
        return ITEMS  # type: ignore[return-value]


QUERIES = [
    "{ items { id name nickname count ratio flag data tags shout(times: 2) __typename } }",
    "{ items { a: id b: name c: count id } }",
    "query($n: Int!) { items { shout(times: $n) nickname @include(if: true) count @skip(if: true) } }",
    "{ items { ...F } } fragment F on Item { name flag ratio }",
]


@pytest.mark.parametrize("query", QUERIES)
def test_lean_and_standard_execution_give_the_same_answer(query: str) -> None:
    lean = strawberry.Schema(query=Query, execution_context_class=LeanExecutionContext)
    standard = strawberry.Schema(query=Query)
    got = lean.execute_sync(query, variable_values={"n": 3})
    expected = standard.execute_sync(query, variable_values={"n": 3})
    assert got.data == expected.data
    assert [(e.message, e.path) for e in got.errors or []] == [(e.message, e.path) for e in expected.errors or []]
    assert got.data is not None and got.data["items"][0] is not None


@pytest.mark.parametrize(("field", "broken"), [
    ("name", [1, 2]),  # null in a non-null field; no such attribute
    ("count", [1, 2]),  # text where an Int belongs; beyond 32 bits
    ("ratio", [2]),  # NaN is no Float
])
def test_broken_values_are_errors_not_silent_values(field: str, broken: list[int]) -> None:
    lean = strawberry.Schema(query=Query, execution_context_class=LeanExecutionContext)
    result = lean.execute_sync(f"{{ items {{ {field} }} }}")
    assert sorted(e.path[1] for e in result.errors or []) == broken
    assert result.data is not None and all(result.data["items"][index] is None for index in broken)


def test_the_api_schema_executes_the_lean_way() -> None:
    from schema import build_schema

    assert build_schema().execution_context_class is LeanExecutionContext
