"""FalkorDB's compact result sets read in one synchronous pass. The official client parses every value
with a coroutine of its own (an await per string): a batch resolution reads twenty values for each of a
million records, and dueWork a few thousand contacts. Scalars, lists and maps, all our statements
return, are read here; a row holding anything else (a node, an edge, a path, a point, a temporal value)
sends the whole response back to the client's own parser."""

from __future__ import annotations

from typing import Any

from redis.exceptions import ResponseError

NULL, STRING, INTEGER, BOOLEAN, DOUBLE, ARRAY = 1, 2, 3, 4, 5, 6
MAP = 10


class NotPlain(Exception):
    """A value only the client's parser reads (it needs the graph's label and property names)."""


def _text(value: Any) -> str:
    if isinstance(value, bytes):
        return value.decode()
    return value if isinstance(value, str) else str(value)


def _value(cell: list[Any]) -> Any:
    kind, value = cell
    if kind == STRING:
        return value if type(value) is str else _text(value)
    if kind == NULL:
        return None
    if kind == ARRAY:
        return _items(value)
    if kind == INTEGER:
        return int(value)
    if kind == MAP:
        return _map(value)
    if kind == DOUBLE:
        return float(value)
    if kind == BOOLEAN:
        return _text(value) == "true"
    raise NotPlain(kind)


def _items(cells: list[list[Any]]) -> list[Any]:
    """A list's values, its strings and nulls (most of what our statements return) read in line: a
    call per value was half of decoding a day plan's contacts or a shard of records."""
    out: list[Any] = []
    for kind, value in cells:
        if kind == STRING and type(value) is str:
            out.append(value)
        elif kind == NULL:
            out.append(None)
        else:
            out.append(_value([kind, value]))
    return out


def _map(cells: list[Any]) -> dict[str, Any]:
    """A map's entries, its keys (names, already text) and its strings and nulls read in line, as in
    a list: a customer view's reply is mostly maps."""
    out: dict[str, Any] = {}
    for i in range(0, len(cells), 2):
        key = cells[i]
        if type(key) is not str:
            key = _text(key)
        kind, value = cell = cells[i + 1]
        if kind == STRING and type(value) is str:
            out[key] = value
        elif kind == NULL:
            out[key] = None
        else:
            out[key] = _value(cell)
    return out


def rows_of(response: list[Any]) -> list[dict[str, Any]]:
    """The rows of a compact GRAPH.QUERY / GRAPH.RO_QUERY response as dicts by column name.
    Raises the server's ResponseError, or NotPlain for a value this reader leaves to the client."""
    if response and isinstance(response[0], ResponseError):
        raise response[0]
    if response and isinstance(response[-1], ResponseError):
        raise response[-1]
    if len(response) < 3:
        return []  # statistics only: a statement that returns nothing
    names = [_text(column[1]) for column in response[0]]
    return [dict(zip(names, _items(row), strict=True)) for row in response[1]]
