"""Incremental mode: `c360 ingest` resolves new customer records as they land, after a batch run."""

from __future__ import annotations

import csv
from pathlib import Path

from app.services.resolve import resolve_all
from app.store.embedded import EmbeddedStore
from demo import generate
from loaders.manifest import ingest_directory
from tests.conftest import api_client
from tests.integration.test_channel_api import crm_person
from tests.integration.test_cli_analyst import c360
from tests.integration.test_steward_api import crosswalk, gql


async def test_ingest_resolves_new_records_against_existing_customers(graph: EmbeddedStore, tmp_path: Path) -> None:
    generate(tmp_path / "demo", 80, seed=17)
    await ingest_directory(graph, tmp_path / "demo")
    await resolve_all(graph)
    person = crm_person(tmp_path / "demo")
    before = await crosswalk(graph)
    path = tmp_path / "late.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["source_id", "name", "cert_type", "cert_no", "phones", "local_network", "segment"])
        writer.writerow(
            [
                "L1",
                person["name"],
                "resident_id",
                person["cert_no"],
                person["phones"],
                person["local_network"],
                "individual",
            ]
        )
        writer.writerow(["L2", "司马某某", "", "", "13999990001", "0591", "individual"])
        other_network = "0592" if person["local_network"] != "0592" else "0591"
        writer.writerow(["L3", person["name"], "resident_id", person["cert_no"], "", other_network, "individual"])
    done = c360(graph, "ingest", "--source", "late", "--kind", "customers", str(path))
    assert done.returncode == 0, done.stderr
    assert "resolved incrementally" in done.stderr
    after = await crosswalk(graph)
    existing = before[f"crm:customers:{person['source_id']}"]
    assert after["late:customers:L1"] == existing
    assert after["late:customers:L2"] not in before.values()
    assert after["late:customers:L3"] != existing

    # L2 corrected at its source to the same person: it moves to that customer, and the customer it
    # had alone is retired (kept, with no records), not left active and empty.
    alone = after["late:customers:L2"]
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["source_id", "name", "cert_type", "cert_no", "phones", "local_network", "segment"])
        writer.writerow(
            [
                "L2",
                person["name"],
                "resident_id",
                person["cert_no"],
                person["phones"],
                person["local_network"],
                "individual",
            ]
        )
    done = c360(graph, "ingest", "--source", "late", "--kind", "customers", str(path))
    assert done.returncode == 0, done.stderr
    assert (await crosswalk(graph))["late:customers:L2"] == existing
    async with api_client(graph, "steward") as client:
        retired = (
            await gql(
                client, "query($id: ID!) { customer(id: $id) { id status sourceRecords { nodes { id } } } }", id=alone
            )
        )["data"]["customer"]
    assert retired == {"id": alone, "status": "RETIRED", "sourceRecords": {"nodes": []}}


async def test_a_model_trained_for_other_comparison_levels_is_not_used(graph: EmbeddedStore, tmp_path: Path) -> None:
    """A graph resolved by an earlier version keeps that version's model; its levels would weigh the
    wrong comparisons, so it counts as no model until `c360 resolve` trains one."""
    import orjson

    from app.services.resolve import WRITE_RUN, latest_model

    generate(tmp_path / "demo", 40, seed=19)
    await ingest_directory(graph, tmp_path / "demo")
    await resolve_all(graph)
    model = await latest_model(graph)
    assert model is not None and model.fits()
    stale = model.to_dict()
    stale["fields"]["address"]["levels"] = ["exact", "close", "same_area", "different"]  # type: ignore[index]
    await graph.write(
        WRITE_RUN,
        {
            "id": "R9999-stale",
            "now": "2999-01-01T00:00:00.000Z",
            "started_at": "2999-01-01T00:00:00.000Z",
            "mode": "batch",
            "summary": "{}",
            "model": orjson.dumps(stale).decode(),
        },
    )
    assert await latest_model(graph) is None
