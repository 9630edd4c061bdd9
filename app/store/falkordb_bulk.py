"""FalkorDB's bulk insert (GRAPH.BULK) arguments for blocks of new nodes and relationships.

GRAPH.BULK reads binary sections, not Cypher: no parameter text to parse, no plan, no lookups, which
is what makes a first load fast. Each section is one label (or relationship type): its name, its
property names, then one entry per entity, every property a type byte and a value in the machine's
byte order; a relationship entry starts with the internal ids of its two nodes. A null property is
left unset, as a Cypher CREATE leaves it. The format is FalkorDB's (src/bulk_insert in its source).
"""

from __future__ import annotations

from collections.abc import Sequence
from struct import Struct
from typing import Any

from app.errors import NotBulkable
from app.store.base import EdgeBlock, EncodedNodes, NewNodes, NodeBlock

_NULL, _TRUE, _FALSE = b"\x00", b"\x01\x01", b"\x01\x00"
_DOUBLE, _STRING, _LONG, _ARRAY = b"\x02", b"\x03", b"\x04", b"\x05"
_I64 = Struct("=q")
_F64 = Struct("=d")
_U32 = Struct("=I")
_U64_PAIR = Struct("=QQ")


def _value(value: Any, parts: list[bytes]) -> None:
    kind = type(value)
    if kind is str:
        if "\x00" in value:
            raise NotBulkable(f"a property value holds a NUL character: {value[:40]!r}")
        parts += (_STRING, value.encode(), _NULL)
    elif value is None:
        parts.append(_NULL)
    elif kind is bool:
        parts.append(_TRUE if value else _FALSE)
    elif kind is int:
        parts += (_LONG, _I64.pack(value))
    elif kind is float:
        parts += (_DOUBLE, _F64.pack(value))
    elif kind is list or kind is tuple:
        parts += (_ARRAY, _I64.pack(len(value)))
        for item in value:
            _value(item, parts)
    else:
        raise NotBulkable(f"a property value of type {kind.__name__} has no bulk encoding")


# Whole numbers 0-127 (a record's shard, a version) and list lengths below 128 in their encoding as
# text: every byte is below 0x80, so a row of them and of text and nulls encodes in one call.
_SMALL_INTS = {n: (_LONG + _I64.pack(n)).decode("ascii") for n in range(128)}
_LIST_OF = {n: (_ARRAY + _I64.pack(n)).decode("ascii") for n in range(128)}


def _texts(items: list[Any]) -> str | None:
    """A list of texts (a record's phones) as encoded text; None for any other list."""
    if len(items) < 128 and all(type(item) is str and "\x00" not in item for item in items):
        return _LIST_OF[len(items)] + "".join([f"\x03{item}\x00" for item in items])
    return None


def _row_text(values: Sequence[Any]) -> str | None:
    """A row as the text its encoding is; None when it holds a value only bytes encode (an amount,
    a large number, a flag) or a text with a NUL."""
    small = _SMALL_INTS
    pieces = [
        f"\x03{v}\x00"
        if type(v) is str and "\x00" not in v
        else "\x00"
        if v is None
        else small.get(v)
        if type(v) is int
        else _texts(v)
        if type(v) is list
        else None
        for v in values
    ]
    return None if None in pieces else "".join(pieces)  # type: ignore[arg-type]


def _header(name: str, properties: Sequence[str]) -> list[bytes]:
    parts = [name.encode(), _NULL, _U32.pack(len(properties))]
    for prop in properties:
        parts += (prop.encode(), _NULL)
    return parts


def node_section(block: NodeBlock) -> bytes:
    """A block whose first row is all text, nulls, small numbers and lists of text (source records,
    contacts, subscriptions) has each such row put together as text and encoded in one call (a
    contact's source record 7.2 us instead of 9.8); any other row, and every row of a block whose
    first one is not (bills, points: an amount in each), is written value by value."""
    properties = block.properties
    parts = _header(block.label, [*properties, *block.constants])
    constants: list[bytes] = []
    for value in block.constants.values():
        _value(value, constants)
    tail = b"".join(constants)
    append = parts.append
    rows = block.rows
    by_text = bool(rows) and _row_text(_values_of(rows[0], properties)) is not None
    for row in rows:
        values = row if type(row) is list else map(row.get, properties)  # type: ignore[union-attr]
        if by_text:
            values = [*values]
            if (text := _row_text(values)) is not None:
                append(text.encode())
                append(tail)
                continue
        for value in values:
            if type(value) is str:
                if "\x00" in value:
                    raise NotBulkable(f"a property value holds a NUL character: {value[:40]!r}")
                append(_STRING)
                append(value.encode())
                append(_NULL)
            elif value is None:
                append(_NULL)
            else:
                _value(value, parts)
        append(tail)
    return b"".join(parts)


def _values_of(row: list[Any] | dict[str, Any], properties: list[str]) -> list[Any]:
    return row if type(row) is list else [*map(row.get, properties)]  # type: ignore[union-attr]


def edge_section(block: EdgeBlock) -> bytes:
    parts = _header(block.type, block.properties)
    pack = _U64_PAIR.pack
    if not block.properties:
        parts += [pack(source, target) for source, target in block.pairs]
        return b"".join(parts)
    if len(block.values) != len(block.pairs):
        raise ValueError(f"{block.type}: {len(block.pairs)} relationships but {len(block.values)} rows of values")
    width = len(block.properties)
    for (source, target), values in zip(block.pairs, block.values):
        if len(values) != width:
            raise ValueError(f"{block.type}: a relationship with {len(values)} values for {width} properties")
        parts.append(pack(source, target))
        for value in values:
            _value(value, parts)
    return b"".join(parts)


def bulk_arguments(nodes: Sequence[NewNodes], edges: Sequence[EdgeBlock]) -> list[Any]:
    """GRAPH.BULK's arguments after the graph name: counts, then the node and relationship sections.
    Nodes get internal ids in the order of their sections and rows, from the graph's next free id."""
    node_sections = [
        block.section if isinstance(block, EncodedNodes) else node_section(block) for block in nodes if block.count
    ]
    edge_sections = [edge_section(block) for block in edges if block.pairs]
    node_count = sum(block.count for block in nodes)
    edge_count = sum(len(block.pairs) for block in edges)
    return [node_count, edge_count, len(node_sections), len(edge_sections), *node_sections, *edge_sections]
