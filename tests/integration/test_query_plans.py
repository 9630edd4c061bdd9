"""FalkorDB's planner picks an index by its own rules, and once chose to scan every active customer for
each record a batch resolution re-attaches (its holder's ``status`` is indexed too): attaching consents
and contact plans took 12 s a batch of 5,000 customers, the write phase of a 15,000-record resolution
68 s instead of 2. These hold the plans of the statements a batch run repeats per record."""

from __future__ import annotations

import pytest
import redis

from app.store.embedded import EmbeddedStore
from app.store.queries import cypher, file_names

ATTACH = sorted(name for name in file_names() if name.startswith("resolve/attach_"))
PARAMS = "CYPHER customers=[{id:'c',records:['r'],manager:null}] now='2026-12-01T00:00:00Z' "


def plan(store: EmbeddedStore, name: str) -> list[str]:
    client = redis.Redis(unix_socket_path=str(store.server.socket_path))
    try:
        lines = client.execute_command("GRAPH.EXPLAIN", store.graph_name, PARAMS + cypher(name).text)
    finally:
        client.close()
    return [line.decode() for line in lines]


def test_there_are_attach_statements_to_check() -> None:
    assert {"resolve/attach_consents", "resolve/attach_contact_plans", "resolve/attach_accounts"} <= set(ATTACH)


@pytest.mark.parametrize("name", ATTACH)
async def test_a_batch_attach_scans_for_no_customer_but_the_one_it_attaches_to(
    embedded_store: EmbeddedStore, name: str
) -> None:
    lines = plan(embedded_store, name)
    customer_scans = [line for line in lines if "Scan" in line and ":Customer)" in line]
    assert len(customer_scans) == 1, "\n".join(lines)  # the customer of each row, by its id
    assert not any("All Node Scan" in line or "Label Scan" in line for line in lines), "\n".join(lines)


def test_the_changed_records_are_found_through_their_index(embedded_store: EmbeddedStore) -> None:
    """`c360 resolve --changed` reads as many records as changed, not every record of the graph."""
    client = redis.Redis(unix_socket_path=str(embedded_store.server.socket_path))
    try:
        text = "CYPHER since='2026-12-01T00:00:00.000Z' " + cypher("resolve/records_changed_since").text
        lines = [line.decode() for line in client.execute_command("GRAPH.EXPLAIN", embedded_store.graph_name, text)]
    finally:
        client.close()
    # The statement's MATCH has no predicate but changed_at: an index scan there is that index.
    assert any("Index Scan" in line and "SourceRecord" in line for line in lines), "\n".join(lines)
    assert not any("All Node Scan" in line or "Label Scan" in line for line in lines), "\n".join(lines)
