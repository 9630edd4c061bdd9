"""The graph holds only the relationships docs/graph-model.md declares, each between the labels it
gives. Queries lean on it: a traversal's far end carries no label where the relationship type already
says what it is (FalkorDB checks such a label at several times the traversal's own cost), so a write
that joined other labels would put wrong nodes into due work and views without this test failing."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from app.store import Store
from tests.conftest import cypher_of_tests, load_demo

SHAPES = cypher_of_tests("relationship_shapes")
MODEL = Path(__file__).resolve().parents[2] / "docs" / "graph-model.md"


def declared() -> dict[str, set[tuple[str, str]]]:
    """The relationships section's table: each type and the (from, to) labels it may join."""
    text = MODEL.read_text(encoding="utf-8").split("## Relationships", 1)[1].split("\n## ", 1)[0]
    found: dict[str, set[tuple[str, str]]] = {}
    for line in text.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) < 2 or "->" not in cells[1]:
            continue
        ends = re.sub(r"\([^)]*\)", "", cells[1])
        start, _, rest = ends.partition("->")
        pairs = {(start.strip(), end.strip()) for end in rest.split(",")}
        for kind in re.findall(r"`([A-Z_]+)`", cells[0]):
            found.setdefault(kind, set()).update(pairs)
    return found


def test_the_model_table_is_read() -> None:
    model = declared()
    assert model["HAD_CONTACT"] == {("Customer", "Contact")}
    assert ("MergeEvent", "Customer") in model["ABSORBED"]
    assert ("SourceRecord", "Case") in model["DESCRIBES"]


@pytest.fixture(scope="module")
async def demo_graph(backend: Store, tmp_path_factory: pytest.TempPathFactory) -> Store:
    await backend.clear()
    await load_demo(backend, tmp_path_factory.mktemp("model") / "demo", 600, seed=5)
    return backend


async def test_every_relationship_joins_the_labels_the_model_declares(demo_graph: Store) -> None:
    model = declared()
    shapes = await demo_graph.read(SHAPES)
    assert len({row["type"] for row in shapes}) >= 18, "the demo exercises most of the model"
    undeclared = sorted(
        (row["type"], tuple(row["from_labels"]), tuple(row["to_labels"]), row["n"])
        for row in shapes
        if len(row["from_labels"]) != 1
        or len(row["to_labels"]) != 1
        or (row["from_labels"][0], row["to_labels"][0]) not in model.get(row["type"], set())
    )
    assert undeclared == []
