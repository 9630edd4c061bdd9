"""No repeated disturbance (不重复打扰, DOMAIN.md §1, §6, §9) through the served API on both stores, at
a fixed moment: a contact's purpose and survey answer kept from a file and from recordContact."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from app import clock
from app.services.resolve import resolve_all
from app.store import Store
from loaders.ingest import ingest_file
from tests.conftest import api_client, cypher_of_tests
from tests.integration.test_ingest import CUSTOMER_HEADER, customer, write_csv
from tests.integration.test_steward_api import crosswalk, gql

PROPERTIES = cypher_of_tests("source_record_properties")
BEIJING = timezone(timedelta(hours=8))
# Wednesday 2 December 2026, 15:00 in Beijing.
NOW = datetime(2026, 12, 2, 15, 0, tzinfo=BEIJING)

RECORD = """mutation($c: ContactRecordInput!) { recordContact(contact: $c) {
  customer { contacts(first: 10) { edges { node { id channel purpose satisfaction } } } }
  userErrors { field message } } }"""


@pytest.fixture
def at_now() -> Iterator[clock.FixedClock]:
    fixed = clock.FixedClock(NOW)
    previous = clock.set_clock(fixed)
    yield fixed
    clock.set_clock(previous)


def t(text: str) -> str:
    return f"2026-{text}:00+08:00"


async def loaded(store: Store, tmp_path: Path, contacts: list[dict[str, str]] | None = None) -> dict[str, str]:
    """Two customers, p1 and p2, and the contacts given (by customer_source_id)."""
    people = [customer("p1", "陈一", phones="13900000021"), customer("p2", "林二", phones="13900000022")]
    path = write_csv(tmp_path / "customers.csv", CUSTOMER_HEADER, people)
    summary = await ingest_file(store, "crm", "customers", path)
    assert (summary.rejected, summary.quarantined) == (0, 0), summary
    if contacts:
        path = write_csv(tmp_path / "contacts.csv", list(contacts[0]), contacts)
        summary = await ingest_file(store, "crm", "contacts", path)
        assert (summary.rejected, summary.quarantined) == (0, 0), summary
    await resolve_all(store)
    mapping = await crosswalk(store)
    return {n: mapping[f"crm:customers:{n}"] for n in ("p1", "p2")}


def touch(source_id: str, who: str, at: str, **extra: str) -> dict[str, str]:
    row = {
        "source_id": source_id,
        "channel": "agent",
        "kind": "retention",
        "at": t(at),
        "customer_source_id": who,
        "mode": "call",
        "direction": "outbound",
        "purpose": "marketing",
        "satisfaction": "",
    }
    row.update(extra)
    return row


async def test_a_contact_keeps_its_purpose_and_survey_answer_from_a_file_and_from_record_contact(
    store: Store, tmp_path: Path, at_now: clock.FixedClock
) -> None:
    ids = await loaded(store, tmp_path, [touch("K1", "p1", "11-20T10:00", purpose="service", satisfaction="neutral")])
    async with api_client(store, "service_hall", "desk-1") as hall:
        written = await gql(
            hall,
            RECORD,
            c={"customerId": ids["p1"], "kind": "QUERY", "purpose": "SERVICE", "satisfaction": "VERY_SATISFIED"},
        )
        assert "errors" not in written and written["data"]["recordContact"]["userErrors"] == [], written
        refused = await gql(hall, RECORD, c={"customerId": ids["p1"], "kind": "QUERY", "satisfaction": "HAPPY"})
        assert refused.get("errors"), refused
    shown = [e["node"] for e in written["data"]["recordContact"]["customer"]["contacts"]["edges"]]
    assert [(c["channel"], c["purpose"], c["satisfaction"]) for c in shown] == [
        ("SERVICE_HALL", "SERVICE", "VERY_SATISFIED"),
        ("AGENT", "SERVICE", "NEUTRAL"),
    ]
    [record] = await store.read(PROPERTIES, {"id": shown[0]["id"]})
    assert (record["props"]["purpose"], record["props"]["satisfaction"]) == ("service", "very_satisfied")
