"""The schema's executor (schema/execution.py): plain fields completed in one step answer exactly what
the library's own completion answers, errors included, and a request's objects are freed without
Python's cyclic collector."""

from __future__ import annotations

import asyncio
import gc
import warnings
import weakref
from collections.abc import Callable, Iterator
from datetime import date
from enum import Enum
from typing import Any

import pytest
import strawberry
from strawberry.extensions import FieldExtension, ParserCache
from strawberry.scalars import JSON
from strawberry.schema.config import StrawberryConfig

from app.rules import get_rules
from schema.execution import LeanExecutor
from schema.loaders import CustomerLoaders


@strawberry.enum
class Kind(Enum):
    VISIT = "visit"
    CALL = "call"


@strawberry.type
class Item:
    name: str
    kind: Kind
    due: date | None
    amount: float


def _item(name: str, kind: Any, due: date | None, amount: Any) -> Item:
    return Item(name=name, kind=kind, due=due, amount=amount)


class Shout(FieldExtension):
    def resolve(self, next_: Callable[..., Any], source: Any, info: strawberry.Info, **kwargs: Any) -> Any:
        return f"{info.field_name} {next_(source, info, **kwargs)}".upper()


@strawberry.type
class Holder:
    id: strawberry.ID
    count: int
    ok: bool
    note: str | None
    names: list[str]
    kinds: list[Kind]
    maybe: list[int | None]
    optional_names: list[str] | None
    items: list[Item]
    loud: str = strawberry.field(extensions=[Shout()], default="quiet")

    @strawberry.field
    def computed(self) -> str:
        return f"computed {self.count}"


def _holder(**changes: Any) -> Holder:
    values: dict[str, Any] = {
        "id": strawberry.ID("h1"),
        "count": 3,
        "ok": True,
        "note": None,
        "names": ["a", "b"],
        "kinds": [Kind.VISIT, Kind.CALL],
        "maybe": [1, None, 3],
        "optional_names": None,
        "items": [_item("x", Kind.CALL, date(2026, 12, 31), 1.5), _item("y", Kind.VISIT, None, 0.0)],
    }
    values.update(changes)
    return Holder(**values)


HOLDER: dict[str, Holder] = {}


@strawberry.type
class Query:
    @strawberry.field
    def holder(self) -> Holder:
        return HOLDER["now"]


QUERY = "{ holder { id count ok note names kinds maybe optionalNames computed loud items { name kind due amount } } }"


def _run(executor: type[LeanExecutor] | None, holder: Holder, query: str = QUERY) -> tuple[Any, list[tuple[str, Any]]]:
    HOLDER["now"] = holder
    schema = strawberry.Schema(query=Query, execution_context_class=executor)
    result = asyncio.run(schema.execute(query))
    return result.data, [(e.message, e.path) for e in result.errors or ()]


@pytest.mark.parametrize(
    "changes",
    [
        {},
        {"note": "a note", "optional_names": ["p", "q"], "maybe": []},
        # Values the library refuses or nulls where none may be: the library's errors, in place.
        {"count": None},
        {"names": ["a", None, "c"]},
        {"kinds": [Kind.CALL, "not a kind"]},
        {"count": "three"},
        {"items": [_item("x", "bad", None, 1.0)]},
        {"names": "not a list"},
        {"names": ("a", "b")},
        {"items": [_item("x", Kind.CALL, None, None)]},
    ],
)
def test_plain_fields_answer_what_the_library_answers(changes: dict[str, Any]) -> None:
    assert _run(LeanExecutor, _holder(**changes)) == _run(None, _holder(**changes))


def _shouting(source: Any, name: str) -> Any:
    value = getattr(source, name)
    return value.upper() if isinstance(value, str) else value


def test_plain_fields_are_read_by_the_schema_s_default_resolver() -> None:
    HOLDER["now"] = _holder(note="a note")
    answers = []
    for executor in (LeanExecutor, None):
        config = StrawberryConfig(default_resolver=_shouting)
        schema = strawberry.Schema(query=Query, execution_context_class=executor, config=config)
        answers.append(asyncio.run(schema.execute("{ holder { id note names items { name } } }")).data)
    assert answers[0] == answers[1]
    assert answers[0]["holder"]["note"] == "A NOTE"


def test_an_awaitable_attribute_is_awaited_once_as_the_library_does() -> None:
    async def later() -> int:
        return 7

    async def both() -> list[Any]:
        answers = []
        for executor in (LeanExecutor, None):
            HOLDER["now"] = _holder(count=later())
            schema = strawberry.Schema(query=Query, execution_context_class=executor)
            result = await schema.execute("{ holder { count } }")
            answers.append((result.data, result.errors))
        return answers

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ours, library = asyncio.run(both())
    assert ours == library == ({"holder": {"count": 7}}, None)


@pytest.mark.parametrize(
    "query",
    [
        "query($v: Boolean!) { holder { count note @skip(if: $v) items { name due @include(if: $v) } } }",
        "query($v: Boolean!) { holder { ...H } } fragment H on Holder { count note @skip(if: $v) }",
        "query($v: Boolean!) { holder { count ... on Holder @skip(if: $v) { note } } }",
        "query($v: Boolean!) { holder { count ... { ...H } } } fragment H on Holder { ... @include(if: $v) { ok } }",
    ],
)
def test_a_selection_with_directives_is_collected_for_each_request_s_variables(query: str) -> None:
    HOLDER["now"] = _holder(note="a note")
    schemas = {
        executor: strawberry.Schema(query=Query, execution_context_class=executor, extensions=[ParserCache])
        for executor in (LeanExecutor, None)
    }
    for flag in (True, False, True):
        ours, library = (asyncio.run(schemas[e].execute(query, variable_values={"v": flag})) for e in schemas)
        assert not ours.errors
        assert ours.data == library.data


def _collected(monkeypatch: pytest.MonkeyPatch) -> dict[Any, Any]:
    fresh = type(LeanExecutor._collected)()  # an empty one of the kind the executor keeps
    monkeypatch.setattr(LeanExecutor, "_collected", fresh)
    return fresh


def test_a_fixed_selection_is_collected_once_for_every_request_of_its_text(monkeypatch: pytest.MonkeyPatch) -> None:
    collected = _collected(monkeypatch)
    HOLDER["now"] = _holder()
    schema = strawberry.Schema(query=Query, execution_context_class=LeanExecutor, extensions=[ParserCache])
    query = "{ holder { ...H items { name } } } fragment H on Holder { count ... { ok } }"
    first = asyncio.run(schema.execute(query))
    ((operation, kept_here),) = collected.values()
    kept = dict(kept_here)
    again = asyncio.run(schema.execute(query))
    assert first.data == again.data == {"holder": {"count": 3, "ok": True, "items": [{"name": "x"}, {"name": "y"}]}}
    holder = [v for v in kept.values() if v[1].name.value == "holder"]
    assert len(holder) == 1 and list(holder[0][2].grouped_field_set) == ["count", "ok", "items"]
    assert [(ref(), here) for ref, here in collected.values()] == [(operation(), kept)]


def test_collected_selections_go_with_their_query_s_syntax_tree(monkeypatch: pytest.MonkeyPatch) -> None:
    collected = _collected(monkeypatch)
    HOLDER["now"] = _holder()
    schema = strawberry.Schema(query=Query, execution_context_class=LeanExecutor)
    for n in range(3):
        result = asyncio.run(schema.execute(f"{{ holder {{ count items {{ name }} }} a{n}: holder {{ ok }} }}"))
        assert not result.errors
    gc.collect()
    assert len(collected) == 0


@strawberry.type
class Loose:
    one: JSON | None
    many: list[JSON | None]
    strict: int


LOOSE: dict[str, Any] = {}


@strawberry.type
class LooseQuery:
    @strawberry.field
    def loose(self) -> Loose | None:
        return LOOSE["now"]()


async def _later(value: Any) -> Any:
    if isinstance(value, Exception):
        raise value
    return value


@pytest.mark.parametrize(
    ("query", "made", "expected"),
    [
        (
            "{ loose { one many } }",
            lambda: Loose(one=_later({"a": 1}), many=[_later(2), _later(ValueError("no"))], strict=0),
            {"loose": {"one": {"a": 1}, "many": [2, None]}},
        ),
        ("{ loose { strict } }", lambda: Loose(one=None, many=[], strict=_later(None)), {"loose": None}),
    ],
)
def test_an_awaitable_passed_by_a_lenient_scalar_is_awaited_and_placed_as_the_library_does(
    query: str, made: Callable[[], Loose], expected: dict[str, Any]
) -> None:
    LOOSE["now"] = made

    async def both() -> list[Any]:
        answers = []
        for executor in (LeanExecutor, None):
            schema = strawberry.Schema(query=LooseQuery, execution_context_class=executor)
            result = await schema.execute(query)
            answers.append((result.data, [(e.message, e.path) for e in result.errors or ()]))
        return answers

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ours, library = asyncio.run(both())
    assert ours == library
    assert ours[0] == expected and ours[1]


class BrokenHolder(Holder):
    """A holder whose count cannot be read."""

    @property  # type: ignore[override]
    def count(self) -> int:
        raise RuntimeError("unreadable")


def test_an_attribute_that_cannot_be_read_is_an_error_at_its_field() -> None:
    broken = object.__new__(BrokenHolder)
    broken.__dict__.update({k: v for k, v in vars(_holder()).items() if k != "count"})
    HOLDER["now"] = broken
    answers = []
    for executor in (LeanExecutor, None):
        schema = strawberry.Schema(query=Query, execution_context_class=executor)
        result = asyncio.run(schema.execute("{ holder { ok count } }"))
        answers.append((result.data, [(e.message, e.path) for e in result.errors or ()]))
    assert answers[0] == answers[1] == (None, [("unreadable", ["holder", "count"])])


def test_a_field_with_an_extension_goes_through_it() -> None:
    data, errors = _run(LeanExecutor, _holder())
    assert not errors
    assert data["holder"]["loud"] == "LOUD QUIET"


def test_a_refused_value_is_an_error_at_its_field() -> None:
    data, errors = _run(LeanExecutor, _holder(names=["a", None]))
    assert data is None
    assert errors == [("Cannot return null for non-nullable field Holder.names.", ["holder", "names", 1])]


@pytest.fixture
def no_collector() -> Iterator[None]:
    was = gc.isenabled()
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


class Context:
    pass


def test_a_request_is_freed_without_the_cyclic_collector(no_collector: None) -> None:
    HOLDER["now"] = _holder()
    schema = strawberry.Schema(query=Query, execution_context_class=LeanExecutor)
    context = Context()
    gone = weakref.ref(context)
    result = asyncio.run(schema.execute(QUERY, context_value=context))
    assert not result.errors
    del context, result
    assert gone() is None


def test_a_request_s_loaders_are_freed_without_the_cyclic_collector(no_collector: None) -> None:
    loaders = CustomerLoaders(None, get_rules())  # type: ignore[arg-type]
    gone = weakref.ref(loaders)
    del loaders
    assert gone() is None
