"""The ``CYPHER k=v ...`` header FalkorDB takes its parameters in, built fast.

Maps are written by a type-dispatched walk, the same output as the falkordb client's own
``stringify_param_value`` (quoted strings, backticked keys) without its chain of isinstance
checks. A value without maps is dumped by orjson instead, several times faster for long lists:
JSON arrays, strings, numbers, true/false/null read the same in Cypher, and FalkorDB decodes the
escapes orjson writes (backslash before " \\ n r t b f), but not ``\\uXXXX``, orjson's escape for
other control characters, so text holding one takes the walk.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import orjson


def _string(value: str) -> str:
    if "\x00" in value:
        raise ValueError("a string parameter holds a NUL character (U+0000), which FalkorDB's query text cannot carry")
    if "\\" in value or '"' in value:
        value = value.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{value}"'


def _list(value: list[Any] | tuple[Any, ...]) -> str:
    return "[" + ",".join([_literal(v) for v in value]) + "]"


_KEY_TEXT: dict[Any, str] = {}


def _key(key: Any) -> str:
    text = _KEY_TEXT.get(key)
    if text is None:
        name = str(key)
        if not name or "`" in name:
            raise ValueError(f"Cypher map key {name!r} cannot be empty or contain a backtick")
        text = f"`{name}`:"
        if len(_KEY_TEXT) < 4096:  # keys are the code's own names: a small, fixed set
            _KEY_TEXT[key] = text
    return text


def _map(value: dict[Any, Any]) -> str:
    parts = []
    for key, item in value.items():
        encode = _BY_TYPE.get(type(item))
        parts.append(_key(key) + (encode(item) if encode is not None else _literal(item)))
    return "{" + ",".join(parts) + "}"


class CypherText(str):
    """A value already written as Cypher (:func:`encoded_row`): a batch's rows are written this way
    where they are made, in a thread beside the store's work, so the statement's header only joins
    them while the store waits."""


def encoded_row(value: Any) -> CypherText:
    """A row of a batch statement's parameters as Cypher, for a list of rows that may also hold rows
    not written ahead (a row prepared again after a field was set aside). Only a list's own items are
    looked at: a row written ahead sits at the top of the rows, never deeper."""
    return CypherText(to_literal(value))


_BY_TYPE: dict[type, Callable[[Any], str]] = {
    CypherText: str.__str__,
    str: _string,
    int: repr,
    float: repr,
    bool: lambda v: "true" if v else "false",
    type(None): lambda v: "null",
    list: _list,
    tuple: _list,
    dict: _map,
}


def _literal(value: Any) -> str:
    encode = _BY_TYPE.get(type(value))
    if encode is None:
        if isinstance(value, str):
            return _string(value)
        if isinstance(value, dict):
            return _map(value)
        if isinstance(value, (list, tuple)):
            return _list(value)
        return str(value)
    return encode(value)


def _fast_literal(value: Any) -> str | None:
    """orjson's text when it means the same in Cypher, else None (maps, unusual escapes, big ints).

    orjson writes NaN and infinities as null; no parameter of ours carries them.
    """
    if isinstance(value, (dict, CypherText)) or (
        isinstance(value, (list, tuple))
        and value
        and (isinstance(value[0], dict) or any(type(item) is CypherText for item in value))
    ):
        return None  # orjson would quote a row written ahead as a string
    try:
        text = orjson.dumps(value).decode()
    except TypeError:
        return None
    if "\\u" in text or (('{"' in text or "{}" in text) and _holds_map(value)):
        return None  # a \u escape, or a map deeper down
    return text


def _holds_map(value: Any) -> bool:
    """Whether a list holds a map at any depth. Asked only when orjson's text has ``{"`` or ``{}``,
    which every map writes and text inside a string never does, except a string ending in a brace or
    holding ``{}``: ingest rows carry their original fields as JSON text and skip this walk."""
    if isinstance(value, dict):
        return True
    if isinstance(value, (list, tuple)):
        return any(_holds_map(item) for item in value if isinstance(item, (dict, list, tuple)))
    return False


def to_literal(value: Any) -> str:
    fast = _fast_literal(value)
    return fast if fast is not None else _literal(value)


def params_header(params: dict[str, Any] | None) -> str:
    if not params:
        return ""
    return "CYPHER " + " ".join(f"{key}={to_literal(value)}" for key, value in params.items()) + " "
