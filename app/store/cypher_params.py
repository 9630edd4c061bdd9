"""The ``CYPHER k=v ...`` header FalkorDB takes its parameters in, built fast.

Same output as the falkordb client's own ``stringify_param_value`` (quoted strings, backticked
map keys), but with a type dispatch instead of a chain of isinstance checks: ingest sends a
million-row batch of small maps, where the client's version was a third of the time.
"""

from __future__ import annotations

from typing import Any


def _string(value: str) -> str:
    if "\\" in value or '"' in value:
        value = value.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{value}"'


def _list(value: list[Any] | tuple[Any, ...]) -> str:
    return "[" + ",".join([_literal(v) for v in value]) + "]"


def _map(value: dict[Any, Any]) -> str:
    parts = []
    for key, item in value.items():
        key = str(key)
        if not key or "`" in key:
            raise ValueError(f"Cypher map key {key!r} cannot be empty or contain a backtick")
        parts.append(f"`{key}`:{_literal(item)}")
    return "{" + ",".join(parts) + "}"


_BY_TYPE = {str: _string, int: repr, float: repr, bool: lambda v: "true" if v else "false",
            type(None): lambda v: "null", list: _list, tuple: _list, dict: _map}


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


def params_header(params: dict[str, Any] | None) -> str:
    if not params:
        return ""
    return "CYPHER " + " ".join(f"{key}={_literal(value)}" for key, value in params.items()) + " "
