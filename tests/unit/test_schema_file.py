"""The committed schema.graphql is the schema the code serves: change one, regenerate the other."""

from __future__ import annotations

from pathlib import Path

from schema.export import sdl

SCHEMA_FILE = Path(__file__).resolve().parents[2] / "schema.graphql"


def test_committed_schema_matches_the_code() -> None:
    committed = SCHEMA_FILE.read_text(encoding="utf-8")
    assert committed == sdl(), "schema.graphql is stale: run `python -m schema.export > schema.graphql`"
