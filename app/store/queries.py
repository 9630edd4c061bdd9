"""Named Cypher files: the only way application code reaches the graph.

A query is declared once, at import time, with :func:`cypher`; a name without a
file fails the import, so a typo breaks start-up instead of the first request.
Files live in the ``cypher`` package and are found relative to it, never the
working directory.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from app.errors import ConfigError

SUFFIX = ".cypher"
_root = resources.files("cypher")
_declared: dict[str, CypherQuery] = {}
_parts: dict[str, CypherQuery] = {}


@dataclass(frozen=True, slots=True)
class CypherQuery:
    name: str
    text: str

    def statements(self) -> list[str]:
        """Split a multi-statement file (schema files) on ``;`` at line ends, dropping comments."""
        body = _body(self.text)
        return [s.strip() for s in re.split(r";\s*(?:\n|$)", body) if s.strip()]

    def with_parts(self, parts: tuple[CypherQuery, ...]) -> CypherQuery:
        """This statement with subqueries (:func:`part`) put ahead of its last line, a ``RETURN``, and
        their columns added to it. The name stays this statement's: it is one query with optional parts."""
        if not parts:
            return self
        lines = self.text.rstrip().splitlines()
        if not lines[-1].startswith("RETURN "):
            raise ConfigError(f"{self.name}: parts need a statement whose last line is its RETURN")
        body = "\n".join(_body(p.text) for p in parts)
        columns = ", ".join(c for p in parts for c in part_columns(p))
        return CypherQuery(self.name, "\n".join([*lines[:-1], body, f"{lines[-1]}, {columns}"]))

    @classmethod
    def from_path(cls, path: Path) -> CypherQuery:
        """An analyst's own file, outside the package: named by its path."""
        try:
            return cls(name=str(path), text=path.read_text(encoding="utf-8"))
        except OSError as exc:
            raise ConfigError(f"cannot read Cypher file {path}: {exc.strerror}") from exc


def _file_text(name: str) -> str:
    resource = _root.joinpath(*f"{name}{SUFFIX}".split("/"))
    if not resource.is_file():
        raise ConfigError(f"no Cypher file for query '{name}' (expected cypher/{name}{SUFFIX})")
    return resource.read_text(encoding="utf-8")


def _body(text: str) -> str:
    """The text without its comment lines and blank lines."""
    return "\n".join(line for line in text.splitlines() if line.strip() and not line.lstrip().startswith("//"))


PART_RETURN = re.compile(r"\bRETURN\b(?!.*\bRETURN\b)(.*)\}\s*$", re.S)
PART_COLUMN = re.compile(r"\bAS\s+(\w+)\s*(?:,|$)")


def part_columns(part: CypherQuery) -> list[str]:
    """The columns a part's subquery returns, read from its last RETURN."""
    found = PART_RETURN.search(_body(part.text))
    if found is None:
        raise ConfigError(f"{part.name}: a part is one CALL {{ ... RETURN ... }} subquery")
    return PART_COLUMN.findall(found.group(1))


def part(name: str) -> CypherQuery:
    """``cypher/fragments/<name>.cypher``: a subquery that :meth:`CypherQuery.with_parts` adds to a
    statement, read once (a missing file fails the import, as for a query)."""
    key = f"fragments/{name}"
    if key not in _parts:
        _parts[key] = CypherQuery(name=key, text=_file_text(key))
    return _parts[key]


VIEW_CHANGED = re.compile(r"\bview_changed\((\w+)\)")
VIEW_CHANGED_FRAGMENT = "fragments/view_changed"


def _view_changed(variable: str) -> str:
    """cypher/fragments/view_changed.cypher for the statement's variable (written there as ``customer``)."""
    body = " ".join(line.strip() for line in _body(_file_text(VIEW_CHANGED_FRAGMENT)).splitlines())
    return re.sub(r"\bcustomer\b", variable, body)


def expand(text: str) -> str:
    """The statement as the store runs it: each ``view_changed(c)`` replaced by the shared fragment."""
    return VIEW_CHANGED.sub(lambda use: _view_changed(use.group(1)), text)


def cypher(name: str) -> CypherQuery:
    """Declare the use of ``cypher/<name>.cypher`` and return it; raise if it does not exist."""
    if name in _declared:
        return _declared[name]
    query = CypherQuery(name=name, text=expand(_file_text(name)))
    _declared[name] = query
    return query


def declared_names() -> set[str]:
    return set(_declared)


def file_names(under: str = "") -> set[str]:
    """Every query name that has a file, optionally below one sub-folder such as ``analytics``
    (fragments are parts of queries, not queries)."""
    base = Path(str(_root))
    start = base / under if under else base
    names = {p.relative_to(base).with_suffix("").as_posix() for p in start.rglob(f"*{SUFFIX}")}
    return {name for name in names if not name.startswith("fragments/")}


BACKEND_DIALECTS = {"embedded": "falkordb", "neo4j": "neo4j"}


def backend_cypher(name: str) -> dict[str, CypherQuery]:
    """A statement the backends spell differently (full-text search): ``<name>.falkordb.cypher``
    and ``<name>.neo4j.cypher``, keyed by backend; both must exist."""
    return {backend: cypher(f"{name}.{dialect}") for backend, dialect in BACKEND_DIALECTS.items()}
