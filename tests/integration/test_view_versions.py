"""Every write that changes what a customer's view shows gives that customer a new version, so a
kept answer (app/services/kept_answers.py) is never served after the customer changed.

One API client keeps its answers across every step; after each write, through each real write
path, its answers must equal those of a client that keeps nothing, and any customer whose
answer changed must have a new version.
"""

from __future__ import annotations

import asyncio
import csv
import itertools
from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from app.services.incremental import resolve_records
from app.services.merges import Merges
from app.services.resolve import resolve_all
from app.services.source_records import customer_records
from app.store import Store
from loaders.ingest import ingest_file
from loaders.manifest import read_manifest
from tests.conftest import api_client, load_demo, rewrite
from tests.integration.test_steward_api import crosswalk, gql

# Everything a customer's view shows, as an admin sees it. Each list is read whole: answers() holds
# that every connection's page is its whole list (contacts: its newest 20 and their count).
FULL_VIEW = """query($id: ID!) { customer(id: $id) {
  id redirectedFrom version status name certificateNumber phones email address birthDate gender segment
  customerGroup organisationClass localNetwork sources provenance { attribute sourceRecord }
  tier { starLevel averageMonthlySpend vipCard tags entitlements }
  accountManagers { role employee { id name role localNetwork } }
  accounts { totalCount nodes { id accountType status openedOn subscriptions { totalCount nodes { id status } } } }
  subscriptions { totalCount nodes { id serviceNumber productType status offeringCode startDate endDate accountId } }
  offerings { totalCount nodes { code name isBundle subscriptions { totalCount nodes { id } } } }
  contacts(first: 20) { totalCount edges { node { id channel kind at summary outcome source } } }
  memberOf { totalCount nodes { customerId name keyPerson title } }
  members { totalCount nodes { customerId name keyPerson title } }
  opportunities { totalCount nodes { id kind need stage channel capturedAt product claimedBy claimedByName claimedAt } }
  mergeHistory { totalCount nodes { id kind undoneAt movedRecords } }
  sourceRecords { totalCount nodes { id source sourceId fields why } } } }"""


def changing(every: int = 1, **changes: Callable[[str], str]) -> Callable[[dict[str, str]], bool]:
    """A row change for :func:`rewrite`: each named field of every ``every``-th row becomes
    ``change(old value)``."""
    seen = 0

    def change(row: dict[str, str]) -> bool:
        nonlocal seen
        seen += 1
        if seen % every:
            return False
        for name, new in changes.items():
            row[name] = new(row[name])
        return True

    return change


def toggle(one: str, other: str) -> Callable[[str], str]:
    return lambda value: other if value == one else one


@pytest.fixture
async def people(graph: Store, tmp_path: Path) -> tuple[Store, Path]:
    return graph, await load_demo(graph, tmp_path / "demo", 80, seed=29)


def whole_lists(view: Any) -> bool:
    """Every connection in ``view`` lists all its items on its page (none left beyond the default size)."""
    if isinstance(view, list):
        return all(whole_lists(v) for v in view)
    if not isinstance(view, dict):
        return True
    if "nodes" in view and len(view["nodes"]) != view["totalCount"]:
        return False
    return all(whole_lists(v) for v in view.values())


async def answers(client: Any, ids: list[str]) -> dict[str, Any]:
    found = {}
    for customer in ids:
        answer = await gql(client, FULL_VIEW, id=customer)
        assert "errors" not in answer, answer
        assert whole_lists(answer["data"]["customer"]), answer
        found[customer] = answer["data"]["customer"]
    return found


def without_version(view: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in view.items() if k != "version"}


async def test_kept_answers_follow_every_write_path(people: tuple[Store, Path]) -> None:
    store, demo = people
    ids = sorted(set((await crosswalk(store)).values()))
    merges = Merges(store)

    files = {(entry.source, entry.kind): entry for entry in read_manifest(demo)}

    async def ingest(source: str, kind: str, change: Callable[[dict[str, str]], bool]) -> list[str]:
        entry = files[(source, kind)]
        assert rewrite(entry.path, entry.encoding, change) > 0, f"nothing to change in {entry.path}"
        summary = await ingest_file(store, source, kind, entry.path, encoding=entry.encoding)
        assert summary.rejected == 0
        return summary.changed_ids

    serial = itertools.count()
    renamed: list[str] = []

    def offering_renamed(row: dict[str, str]) -> bool:
        """Only the name of one offering changes: its holders' subscriptions rows are otherwise alike."""
        if not row["offering_code"] or (renamed and row["offering_code"] != renamed[0]):
            return False
        renamed[:1] = [row["offering_code"]]
        row["offering_name"] = row["offering_name"] + " (2027)"
        return True

    async def employees_renamed() -> None:
        for source, kind in sorted(files):
            if kind == "employees":
                await ingest(source, kind, changing(name=lambda name: name + "新"))

    def organisation_renamed(row: dict[str, str]) -> bool:
        if row["segment"] not in ("enterprise", "government"):
            return False
        row["name"] = row["name"] + "集团"
        return True

    async def organisations_renamed_then_resolved_one_by_one() -> None:
        changed: list[str] = []
        for source, kind in sorted(files):
            if kind == "customers" and any(r["segment"] in ("enterprise", "government") for r in read(source)):
                changed += await ingest(source, kind, organisation_renamed)
        await resolve_records(store, changed)

    def read(source: str) -> list[dict[str, str]]:
        entry = files[(source, "customers")]
        with entry.path.open(encoding=entry.encoding, newline="") as handle:
            return list(csv.DictReader(handle))

    async def memberships_then_resolve() -> None:
        await ingest(
            "am_app",
            "organisation_members",
            changing(key_person=toggle("true", "false"), title=lambda title: title + "助理"),
        )
        await resolve_all(store)

    async def merge_an_organisation_into_another() -> None:
        """An organisation with members absorbs its own record from another local network: the one merge
        of two organisations the hard rules allow, by the organisation customers' department."""
        organisations = [o for o in ids if (await gql_members(o))]
        assert organisations, "demo data has no organisation with members"
        owners = await crosswalk(store)
        first = min(r for r, c in owners.items() if c == organisations[0])
        row = (await customer_records(store, [first]))[0]
        probe = demo / "probe_organisation.csv"
        with probe.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(["source_id", "name", "cert_type", "cert_no", "local_network", "segment"])
            writer.writerow(["X1", row["name"], row["cert_type"], row["cert_no"], "0599", row["segment"]])
        await ingest_file(store, "probe", "customers", probe)
        placed = await resolve_records(store, ["probe:customers:X1"])
        assert placed[0].customer_id != organisations[0]
        outcome = await merges.merge(
            organisations[0], placed[0].customer_id, decided_by="test", departments=("organisation_customers",)
        )
        events.append(outcome.event_id)

    async def unmerge() -> None:
        await merges.unmerge(events.pop(), decided_by="test")

    async def split_one_record_off() -> None:
        for customer in ids:
            records = fresh_answers[customer]["sourceRecords"]["nodes"]
            if len(records) >= 2 and fresh_answers[customer]["redirectedFrom"] is None:
                await merges.split(customer, [records[-1]["id"]], decided_by="test")
                return
        raise AssertionError("no customer with two source records to split")

    async def record_contact() -> None:
        async with api_client(store, "hotline") as hotline:
            for customer in ids[:5]:
                answer = await gql(
                    hotline,
                    RECORD,
                    c={"customerId": customer, "kind": "QUERY", "channel": "HOTLINE", "summary": "version test"},
                )
                assert "errors" not in answer, answer
                recorded = answer["data"]["recordContact"]
                assert recorded["userErrors"] == [] and recorded["customer"]["id"] == customer, answer

    async def gql_members(customer: str) -> list[Any]:
        return fresh_answers[customer]["members"]["nodes"]

    events: list[str] = []
    steps: list[tuple[str, Callable[[], Awaitable[None]]]] = [
        ("account status", lambda: ingest("crm", "accounts", changing(4, status=toggle("suspended", "active")))),
        ("bill amounts", lambda: ingest("crm", "bills", changing(4, amount=lambda a: f"{float(a) + 300:.2f}"))),
        (
            "subscription status",
            lambda: ingest("crm", "subscriptions", changing(4, status=toggle("suspended", "active"))),
        ),
        ("offering renamed", lambda: ingest("crm", "subscriptions", offering_renamed)),
        ("contact summary", lambda: ingest("hotline", "contacts", changing(4, summary=lambda s: s + " (corrected)"))),
        ("opportunity stage", lambda: ingest("hall", "opportunities", changing(4, stage=toggle("won", "lost")))),
        ("employees renamed", employees_renamed),
        (
            "customer record changed",
            lambda: ingest("crm", "customers", changing(4, email=lambda _: f"changed.{next(serial)}@example.cn")),
        ),
        ("memberships and batch resolution", memberships_then_resolve),
        ("organisations renamed, resolved one record at a time", organisations_renamed_then_resolved_one_by_one),
        ("merge", merge_an_organisation_into_another),
        ("unmerge", unmerge),
        ("split", split_one_record_off),
        ("contact recorded by a channel", record_contact),
    ]
    async with api_client(store, "admin", "keeper") as keeper:
        kept_before = await answers(keeper, ids)
        async with api_client(store, "admin", "fresh") as fresh:
            fresh_answers = await answers(fresh, ids)
        assert kept_before == fresh_answers
        for name, step in steps:
            await step()
            async with api_client(store, "admin", "fresh") as fresh:
                now = await answers(fresh, ids)
            kept = await answers(keeper, ids)
            changed = [c for c in ids if without_version(now[c]) != without_version(fresh_answers[c])]
            assert changed, f"{name}: the step changed no view; the test would prove nothing"
            unversioned = [
                c
                for c in changed
                if now[c]["version"] == fresh_answers[c]["version"] and now[c]["id"] == fresh_answers[c]["id"]
            ]
            assert not unversioned, f"{name}: views changed without a new version: {unversioned[:5]}"
            stale = [c for c in ids if kept[c] != now[c]]
            assert not stale, f"{name}: kept answers are stale for {stale[:5]}"
            fresh_answers = now


RECORD = """mutation($c: ContactRecordInput!) { recordContact(contact: $c) {
  customer { id version } userErrors { field message code } } }"""


async def test_a_kept_answer_is_audited_per_read_and_kept_per_role(people: tuple[Store, Path]) -> None:
    store, _ = people
    customer = sorted(set((await crosswalk(store)).values()))[0]
    query = "query($id: ID!) { customer(id: $id) { id certificateNumber phones } }"
    audit = Path("var/audit.log")
    written = audit.read_text(encoding="utf-8").count("\n") if audit.exists() else 0
    async with api_client(store, "admin", "auditor-kept") as admin:
        first = await gql(admin, query, id=customer)
        before = dict(store.stats.by_query)
        second = await gql(admin, query, id=customer)
        assert second == first and "errors" not in second
        assert {k: v - before.get(k, 0) for k, v in store.stats.by_query.items() if v != before.get(k, 0)} == {
            "view/customer_versions": 1
        }
    lines = [
        line
        for line in audit.read_text(encoding="utf-8").splitlines()[written:]
        if "caller=auditor-kept" in line and f"customer={customer}" in line
    ]
    assert len(lines) == 2 and all("certificate" in line for line in lines)
    async with api_client(store, "admin") as admin:
        full = (await gql(admin, query, id=customer))["data"]["customer"]
    async with api_client(store, "service_hall") as hall:
        for _ in range(2):
            masked = (await gql(hall, query, id=customer))["data"]["customer"]
            assert masked["certificateNumber"] != full["certificateNumber"] and "*" in masked["certificateNumber"]
    async with api_client(store, "web_hall") as web:
        for _ in range(2):
            denied = await gql(web, "query($id: ID!) { customer(id: $id) { birthDate } }", id=customer)
            assert denied["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_a_burst_of_concurrent_views_is_answered_alike_with_batched_checks(people: tuple[Store, Path]) -> None:
    store, _ = people
    customers = sorted(set((await crosswalk(store)).values()))[:20]
    async with api_client(store, "admin") as admin:
        expected = await answers(admin, customers)
        before = dict(store.stats.by_query)
        burst = await asyncio.gather(*(gql(admin, FULL_VIEW, id=c) for c in customers * 10))
        checks = store.stats.by_query.get("view/customer_versions", 0) - before.get("view/customer_versions", 0)
    assert [b["data"]["customer"] for b in burst] == [expected[c] for c in customers * 10]
    assert store.stats.by_query.get("view/customer_views", 0) == before.get("view/customer_views", 0)
    assert 1 <= checks < len(burst), checks


def test_a_reason_stored_as_plain_text_by_an_earlier_version_is_shown_as_a_note() -> None:
    from schema.customer import _why

    assert _why("incremental: merge with crm:customers:1") == {"note": "incremental: merge with crm:customers:1"}
    assert _why('{"decision": "merge"}') == {"decision": "merge"} and _why(None) is None


async def test_a_kept_answer_showing_the_star_level_is_not_served_across_a_month_end(
    people: tuple[Store, Path], fixed_clock: Any
) -> None:
    """The star level counts the last months' bills: at midnight of a month's first day in China the
    window moves, so an answer kept a minute earlier must be read afresh."""
    store, _ = people
    customer = sorted(set((await crosswalk(store)).values()))[0]
    query = "query($id: ID!) { customer(id: $id) { id tier { starLevel averageMonthlySpend } } }"
    async with api_client(store, "admin", "month-end") as admin:
        before_midnight = await gql(admin, query, id=customer)
        reads = store.stats.by_query.get("view/customer_views", 0)
        assert await gql(admin, query, id=customer) == before_midnight
        assert store.stats.by_query.get("view/customer_views", 0) == reads, "the kept answer was not used"
        fixed_clock.advance(timedelta(hours=1))
        after_midnight = await gql(admin, query, id=customer)
        assert store.stats.by_query.get("view/customer_views", 0) == reads + 1, "served across the month end"
    async with api_client(store, "admin", "month-end-fresh") as fresh:
        assert after_midnight == await gql(fresh, query, id=customer)
