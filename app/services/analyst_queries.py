"""Analysts' ad-hoc Cypher: always read-only, bounded in time and rows, output for people or tools."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from app.errors import C360Error, StoreError
from app.store import Store, cypher
from app.store.queries import CypherQuery


class QueryRefused(C360Error):
    code = "FORBIDDEN"


def parse_param(text: str) -> tuple[str, Any]:
    """``k=v``: v is read as JSON when it is JSON (numbers, lists, true, "quoted"), else as a string."""
    key, sep, raw = text.partition("=")
    if not sep or not key.strip().isidentifier():
        raise C360Error(f"--param {text!r}: write it as name=value")
    try:
        value = orjson.loads(raw)
    except orjson.JSONDecodeError:
        value = raw
    return key.strip(), value


def load_query(file: Path | None, name: str | None) -> CypherQuery:
    if (file is None) == (name is None):
        raise C360Error("give either a Cypher FILE or --name NAME (such as analytics/duplicate_rate_by_source)")
    return CypherQuery.from_path(file) if file is not None else cypher(name)  # type: ignore[arg-type]


@dataclass(slots=True)
class QueryResult:
    rows: list[dict[str, Any]]
    truncated: bool


async def run_read_only(
    store: Store, query: CypherQuery, params: dict[str, Any], *, limit: int, timeout_ms: int
) -> QueryResult:
    """The backend runs it as a read (FalkorDB GRAPH.RO_QUERY, a Neo4j read transaction), so a
    query that writes is refused by the database itself, whatever its text looks like."""
    try:
        rows = await store.read(query, params, timeout_ms=timeout_ms)
    except StoreError as exc:
        message = str(exc.backend_message or exc).lower()
        if "read-only" in message or "read only" in message or "write" in message and "read" in message:
            raise QueryRefused(
                f"{query.name}: refused, the query writes and c360 cypher is read-only ({exc.backend_message})"
            ) from exc
        raise
    return QueryResult(rows[:limit], len(rows) > limit)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, (dict, list)):
        return orjson.dumps(value).decode()
    return str(value)


def to_csv(rows: list[dict[str, Any]]) -> str:
    out = io.StringIO()
    if rows:
        writer = csv.writer(out)
        writer.writerow(rows[0].keys())
        for row in rows:
            writer.writerow([_cell(v) for v in row.values()])
    return out.getvalue()


def to_json(rows: list[dict[str, Any]]) -> str:
    return orjson.dumps(rows, option=orjson.OPT_INDENT_2, default=str).decode()
