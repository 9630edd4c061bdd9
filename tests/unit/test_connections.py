"""Paging a list read whole, both ways: every item once, in order, with the right page info."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.errors import BadInput
from schema.pagination import Order, Window, in_memory, window

ORDER = Order("things", "newest", (str, str))


def keys(item: tuple[str, str]) -> tuple[str, str]:
    return item


def forward(items: list[tuple[str, str]], size: int, descending: bool) -> list[list[tuple[str, str]]]:
    pages, after = [], None
    while True:
        page = in_memory(ORDER, items, keys, lambda i: i, Window(first=size, after=after), descending=descending)
        pages.append(page.nodes)
        assert page.page_info.has_previous_page == (after is not None)
        assert page.total_count == len(items)
        if not page.page_info.has_next_page:
            return pages
        after = page.page_info.end_cursor


def backward(items: list[tuple[str, str]], size: int, descending: bool) -> list[list[tuple[str, str]]]:
    pages, before = [], None
    while True:
        page = in_memory(ORDER, items, keys, lambda i: i, Window(last=size, before=before), descending=descending)
        pages.append(page.nodes)
        assert page.page_info.has_next_page == (before is not None)
        if not page.page_info.has_previous_page:
            return pages[::-1]
        before = page.page_info.start_cursor


items_strategy = st.lists(
    st.tuples(st.sampled_from(["2026-01-01", "2026-02-01", "2026-03-01"]), st.text("abcdef", min_size=1, max_size=3)),
    unique=True,
    max_size=30,
)


@settings(max_examples=200, deadline=None)
@given(items_strategy, st.integers(1, 7), st.booleans())
def test_both_directions_give_every_item_once_in_order(
    items: list[tuple[str, str]], size: int, descending: bool
) -> None:
    expected = sorted(items, reverse=descending)
    ahead = forward(items, size, descending)
    assert [i for page in ahead for i in page] == expected
    assert all(len(page) <= size for page in ahead)
    behind = backward(items, size, descending)
    assert [i for page in behind for i in page] == expected


def test_a_cursor_of_an_item_gone_still_pages_on() -> None:
    items = [("2026-03-01", "c"), ("2026-02-01", "b"), ("2026-01-01", "a")]
    first = in_memory(ORDER, items, keys, lambda i: i, Window(first=1), descending=True)
    after = first.page_info.end_cursor
    rest = in_memory(ORDER, items[1:], keys, lambda i: i, Window(first=5, after=after), descending=True)
    assert rest.nodes == items[1:]


def test_window_refuses_both_directions_and_oversized_pages() -> None:
    with pytest.raises(BadInput, match="first or last"):
        window(2, None, 2, None)
    with pytest.raises(BadInput, match="between 1 and"):
        window(None, None, 0, None)
    assert window(None, None, None, None).first == 20
