"""The customer view's one statement, put together from the parts a request reads
(CypherQuery.with_parts, ViewParts.statement_parts)."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from app.errors import ConfigError
from app.services.customer_view import ViewParts, _statement
from app.store.queries import CypherQuery, part, part_columns

PARTS_DIR = Path(__file__).resolve().parents[2] / "cypher" / "fragments" / "view"


def every_view_parts() -> list[ViewParts]:
    return [
        ViewParts(
            holdings=h, relations=r, tier=t, contact_pages=frozenset({10}) if c else frozenset(), service=s, members=m
        )
        for h, r, t, c, s, m in itertools.product((False, True), repeat=6)
    ]


def test_every_part_file_is_in_some_view_and_none_twice() -> None:
    used: set[str] = set()
    for parts in every_view_parts():
        chosen = parts.statement_parts()
        assert len(chosen) == len(set(chosen)), (parts, chosen)
        used.update(chosen)
    assert used == {p.stem for p in PARTS_DIR.glob("*.cypher")}


@pytest.mark.parametrize("parts", every_view_parts(), ids=str)
def test_a_composed_view_returns_each_column_once_and_ends_with_its_return(parts: ViewParts) -> None:
    text = _statement(parts.statement_parts()).text
    last = text.rstrip().splitlines()[-1]
    assert last.startswith("RETURN wanted, live {.*} AS customer")
    columns = [c.strip() for c in last.split("AS customer")[1].split(",") if c.strip()]
    assert len(columns) == len(set(columns))
    assert columns == [c for name in parts.statement_parts() for c in part_columns(part(f"view/{name}"))]
    assert text.count("CALL {") == len(parts.statement_parts())


def test_the_columns_of_a_part_are_those_its_last_return_names() -> None:
    assert part_columns(part("view/contacts")) == ["contact_total", "contacts", "recent_beyond_page"]
    assert part_columns(part("view/accounts")) == ["accounts"]


def test_a_part_that_is_no_subquery_is_refused() -> None:
    with pytest.raises(ConfigError, match="one CALL"):
        part_columns(CypherQuery("fragments/view/broken", "MATCH (n) RETURN n"))


def test_parts_need_a_statement_ending_in_its_return() -> None:
    statement = CypherQuery("view/x", "MATCH (c) RETURN c\nORDER BY c.id")
    with pytest.raises(ConfigError, match="last line is its RETURN"):
        statement.with_parts((part("view/accounts"),))
