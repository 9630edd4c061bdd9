"""The channels' API on a real demo graph: one view for every channel, read-your-writes,
submissions resolved at once, search, masking with an audit trail, and a fixed number of
store round trips for the full customer view."""

from __future__ import annotations

import csv
import logging
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from app.clock import FixedClock
from app.services.customer_view import ContactPage, read_contacts
from app.services.resolve import resolve_all
from app.store import Store, cypher
from loaders.ingest import ingest_file, rejects_path
from loaders.manifest import read_manifest
from tests.conftest import api_client, load_demo, record_input, rewrite
from tests.integration.test_steward_api import crosswalk, gql


@pytest.fixture
async def demo(graph: Store, tmp_path: Path) -> tuple[Store, Path]:
    return graph, await load_demo(graph, tmp_path / "demo", 150, seed=13)


def crm_person(directory: Path) -> dict[str, str]:
    """A crm individual with a resident id and a phone, to look up and to submit again."""
    with (directory / "crm" / "customers.csv").open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            if (
                row["segment"] == "individual"
                and row["cert_type"] == "resident_id"
                and row["phones"]
                and len(row["cert_no"]) == 18
            ):
                return row
    raise AssertionError("demo data has no crm individual with a resident id")


VIEW = """query($id: ID!) { customer(id: $id) {
  id version name certificateNumber phones email address birthDate segment localNetwork
  tier { starLevel averageMonthlySpend vipCard entitlements }
  accountManagers { role employee { id name } }
  accounts { nodes { id accountType subscriptions { nodes { serviceNumber productType } } } }
  subscriptions { nodes { serviceNumber } }
  offerings { nodes { code isBundle subscriptions { nodes { serviceNumber } } } }
  contacts(first: 20) { totalCount edges { node { id channel kind at } } pageInfo { hasNextPage endCursor } }
  memberOf { nodes { customerId keyPerson } } members { nodes { customerId } }
  provenance { attribute sourceRecord } } }"""
RECORD = """mutation($c: ContactRecordInput!) { recordContact(contact: $c) { customer {
  id version contacts(first: 5) { totalCount edges { node { id channel kind summary } } } }
  userErrors { field message code } } }"""
SUBMIT = """mutation($r: CustomerRecordInput!) { submitCustomerRecord(record: $r) {
  recordId decision probability customer { id name } warnings { field message } userErrors { field message code } } }"""
SEARCH = """query($text: String!, $segment: Segment) { searchCustomers(text: $text, segment: $segment, first: 10) {
  totalCount edges { score node { id name segment } } pageInfo { hasNextPage } } }"""


async def customer_of(store: Store, row: dict[str, str]) -> str:
    return (await crosswalk(store))[f"crm:customers:{row['source_id']}"]


async def test_a_contact_from_one_channel_is_seen_by_another(demo: tuple[Store, Path]) -> None:
    store, directory = demo
    customer = await customer_of(store, crm_person(directory))
    async with api_client(store, "service_hall", "desk-1") as hall, api_client(store, "hotline", "agent-7") as hotline:
        before = (await gql(hotline, VIEW, id=customer))["data"]["customer"]
        written = await gql(hall, RECORD, c={"customerId": customer, "kind": "COMPLAINT", "summary": "slow broadband"})
        assert "errors" not in written and written["data"]["recordContact"]["userErrors"] == [], written
        after = (await gql(hotline, VIEW, id=customer))["data"]["customer"]
    assert after["version"] > before["version"]
    assert after["contacts"]["totalCount"] == before["contacts"]["totalCount"] + 1
    newest = after["contacts"]["edges"][0]["node"]
    assert (newest["channel"], newest["kind"]) == ("SERVICE_HALL", "COMPLAINT")


async def test_a_channel_cannot_write_as_another(demo: tuple[Store, Path]) -> None:
    store, directory = demo
    customer = await customer_of(store, crm_person(directory))
    async with api_client(store, "hotline") as hotline:
        answer = await gql(hotline, RECORD, c={"customerId": customer, "kind": "QUERY", "channel": "SERVICE_HALL"})
    assert answer["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_submitted_record_joins_its_customer_or_starts_one(demo: tuple[Store, Path]) -> None:
    store, directory = demo
    person = crm_person(directory)
    existing = await customer_of(store, person)
    async with api_client(store, "web_hall") as web:
        known = await gql(
            web,
            SUBMIT,
            r=record_input(
                {
                    "source_id": "w-1",
                    "name": person["name"],
                    "cert_type": "resident_id",
                    "cert_no": person["cert_no"],
                    "phones": person["phones"],
                    "local_network": person["local_network"],
                    "segment": "individual",
                }
            ),
        )
        assert known["data"]["submitCustomerRecord"]["decision"] == "MERGE", known
        assert known["data"]["submitCustomerRecord"]["customer"]["id"] == existing
        unknown = {
            "source_id": "w-2",
            "name": "司马某某",
            "phones": "13999990000",
            "local_network": "0591",
            "segment": "individual",
        }
        stranger = await gql(web, SUBMIT, r=record_input(unknown))
        assert stranger["data"]["submitCustomerRecord"]["decision"] == "NEW"
        assert stranger["data"]["submitCustomerRecord"]["customer"]["id"] != existing
        again = await gql(web, SUBMIT, r=record_input(unknown))
        assert again["data"]["submitCustomerRecord"]["decision"] == "UNCHANGED"
        unknown_network = record_input({"source_id": "w-3", "name": "某", "segment": "individual"})
        bad = await gql(web, SUBMIT, r=unknown_network)
    [error] = bad["data"]["submitCustomerRecord"]["userErrors"]
    assert error["code"] == "BAD_USER_INPUT" and error["field"] == ["record", "localNetwork"]
    assert "is required" in error["message"]
    assert bad["data"]["submitCustomerRecord"]["recordId"] is None


async def test_search_by_name_phone_and_certificate_tail(demo: tuple[Store, Path]) -> None:
    store, directory = demo
    person = crm_person(directory)
    customer = await customer_of(store, person)
    phone = person["phones"].split(";")[0].replace("+86 ", "")
    async with api_client(store, "service_hall") as hall:
        for text in (person["name"], phone, person["cert_no"][-4:]):
            found = (await gql(hall, SEARCH, text=text))["data"]["searchCustomers"]
            assert customer in [e["node"]["id"] for e in found["edges"]], (text, found)
        filtered = (await gql(hall, SEARCH, text=person["name"], segment="ENTERPRISE"))["data"]["searchCustomers"]
        assert customer not in [e["node"]["id"] for e in filtered["edges"]]
        short = await gql(hall, SEARCH, text="x")
        assert short["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


STARS = """query($text: String!, $stars: Int, $after: String) {
  searchCustomers(text: $text, minStars: $stars, first: 2, after: $after) {
    totalCount edges { cursor node { id tier { starLevel } } } pageInfo { hasNextPage endCursor } } }"""


async def test_search_filtered_by_star_level_pages_to_its_end(demo: tuple[Store, Path]) -> None:
    """minStars reads each hit's tier; every page holds only customers at or above it, and paging by
    pageInfo reaches the last hit once."""
    store, directory = demo
    name = crm_person(directory)["name"][:1] + crm_person(directory)["name"][1:2]
    async with api_client(store, "service_hall") as hall:
        every = (await gql(hall, STARS, text=name, stars=None, after=None))["data"]["searchCustomers"]
        for stars in (1, 2):
            seen: list[str] = []
            after = None
            while True:
                page = (await gql(hall, STARS, text=name, stars=stars, after=after))["data"]["searchCustomers"]
                assert all(e["node"]["tier"]["starLevel"] >= stars for e in page["edges"])
                seen += [e["node"]["id"] for e in page["edges"]]
                if not page["pageInfo"]["hasNextPage"]:
                    break
                after = page["pageInfo"]["endCursor"]
            assert len(seen) == len(set(seen)) == page["totalCount"] <= every["totalCount"]
        bad = await gql(hall, STARS, text=name, stars=1, after="bm90IG91cnM=")
        assert bad["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


BY_KEYS = """query($type: CertificateType!, $cert: String!, $number: String!) {
  byCert: customerByCertificate(type: $type, number: $cert) { id }
  byNumber: customerByServiceNumber(number: $number) { id } }"""


async def test_lookups_by_certificate_and_service_number(demo: tuple[Store, Path]) -> None:
    """The hall's two exact look-ups, and a search by a whole certificate number, find the customer
    that owns the certificate and the subscription."""
    store, directory = demo
    person = crm_person(directory)
    with (directory / "crm" / "subscriptions.csv").open(encoding="utf-8") as handle:
        subscription = next(row for row in csv.DictReader(handle) if row["status"] == "active")
    owner = (await crosswalk(store))[f"crm:customers:{subscription['customer_source_id']}"]
    customer = await customer_of(store, person)
    async with api_client(store, "service_hall") as hall:
        found = (
            await gql(
                hall, BY_KEYS, type="RESIDENT_ID", cert=person["cert_no"].lower(), number=subscription["service_no"]
            )
        )["data"]
        assert found == {"byCert": {"id": customer}, "byNumber": {"id": owner}}
        hits = (await gql(hall, SEARCH, text=person["cert_no"]))["data"]["searchCustomers"]
        assert [e["node"]["id"] for e in hits["edges"]] == [customer]
        missing = await gql(hall, BY_KEYS, type="RESIDENT_ID", cert=person["cert_no"], number="13900000000")
        assert missing["errors"][0]["extensions"]["code"] == "NOT_FOUND"


class Collected(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


async def test_masking_by_role_and_audit_of_full_reads(demo: tuple[Store, Path]) -> None:
    store, directory = demo
    person = crm_person(directory)
    customer = await customer_of(store, person)
    query = "query($id: ID!) { customer(id: $id) { certificateNumber phones } }"
    async with api_client(store, "service_hall") as hall:
        masked = (await gql(hall, query, id=customer))["data"]["customer"]
    cert = masked["certificateNumber"]
    assert cert[:4] == person["cert_no"][:4] and cert[-4:] == person["cert_no"][-4:] and "*" * 10 in cert
    assert all(p[3:7] == "****" for p in masked["phones"] if len(p) == 11)
    async with api_client(store, "web_hall") as web:
        denied = await gql(web, "query($id: ID!) { customer(id: $id) { birthDate } }", id=customer)
    assert denied["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    audit = Path("var/audit.log")
    console = Collected()
    logging.getLogger().addHandler(console)
    try:
        async with api_client(store, "admin", "auditor-check") as admin:
            full = (await gql(admin, query, id=customer))["data"]["customer"]
    finally:
        logging.getLogger().removeHandler(console)
    assert full["certificateNumber"] == person["cert_no"]
    lines = [line for line in audit.read_text(encoding="utf-8").splitlines() if "caller=auditor-check" in line]
    assert lines and f"customer={customer}" in lines[-1] and "certificate" in lines[-1]
    # The audit file only: the console log must not repeat who read whose personal data.
    assert not [r for r in console.records if customer in r.getMessage() or "auditor-check" in r.getMessage()]


VERSION_CHECK = "view/customer_versions"


def reads_since(store: Store, before: dict[str, int]) -> dict[str, int]:
    return {name: n - before.get(name, 0) for name, n in store.stats.by_query.items() if n != before.get(name, 0)}


async def test_full_view_costs_one_round_trip(demo: tuple[Store, Path]) -> None:
    store, directory = demo
    crosswalked = await crosswalk(store)
    counts: list[int] = []
    checks: list[int] = []
    filtered = VIEW.replace("contacts(first: 20)", "contacts(first: 20, kind: QUERY)")
    customers = sorted(set(crosswalked.values()))[:6]
    async with api_client(store, "admin") as admin:
        for customer in customers:
            for query in (VIEW, filtered):
                before = dict(store.stats.by_query)
                answer = await gql(admin, query, id=customer)
                assert "errors" not in answer, answer
                reads = reads_since(store, before)
                checks.append(reads.pop(VERSION_CHECK, 0))
                counts.append(sum(reads.values()))
        # The plain view in one query; a filtered contact page is one more, whatever the list sizes.
        assert counts == [1, 2] * 6, counts
        # Each answer is kept; checking that it still holds is one more small read.
        assert checks == [1, 1] * 6, checks
        for customer in customers:
            before = dict(store.stats.by_query)
            again = await gql(admin, VIEW, id=customer)
            assert "errors" not in again, again
            assert reads_since(store, before) == {VERSION_CHECK: 1}


async def test_parts_asked_for_through_fragments_and_variables_come_in_the_one_round_trip(
    demo: tuple[Store, Path],
) -> None:
    store, directory = demo
    customer = sorted(set((await crosswalk(store)).values()))[0]
    fragmented = """query($id: ID!, $n: Int!) { customer(id: $id) { ...Held ... on Customer { tier { starLevel } } } }
      fragment Held on Customer { accounts { nodes { id } }
        contacts(first: $n) { totalCount edges { node { id } } } }"""
    plain = """query($id: ID!) { customer(id: $id) { accounts { nodes { id } } tier { starLevel }
      contacts(first: 3) { totalCount edges { node { id } } } } }"""
    async with api_client(store, "admin") as admin:
        expected = await gql(admin, plain, id=customer)
        before = dict(store.stats.by_query)
        answer = await gql(admin, fragmented, id=customer, n=3)
        assert reads_since(store, before) == {VERSION_CHECK: 1, "view/customer_views": 1}
    assert "errors" not in answer, answer
    assert answer == expected


async def test_parts_fetched_with_the_customer_equal_the_parts_fetched_alone(
    demo: tuple[Store, Path], fixed_clock: object
) -> None:
    """The clock is fixed: a paused case's deadline moves with it between two reads."""
    from app.rules import get_rules
    from app.services.customer_view import ContactPage, ViewParts
    from schema.loaders import CustomerLoaders

    store, directory = demo
    customers = sorted(set((await crosswalk(store)).values()))
    async with api_client(store, "admin") as admin:
        for k in range(3):
            await gql(
                admin,
                RECORD,
                c={
                    "customerId": customers[0],
                    "kind": "QUERY",
                    "channel": "HOTLINE",
                    "at": f"2026-10-0{k + 1}T10:00:00+08:00",
                },
            )
    together = CustomerLoaders(store, get_rules())
    together.want(
        ViewParts(
            holdings=True, relations=True, tier=True, contact_pages=frozenset({2, 20}), service=True, members=True
        )
    )
    alone = CustomerLoaders(store, get_rules())
    raws = await together.customer.load_many(customers)
    assert await alone.customer.load_many(customers) == raws
    before = store.stats.round_trips
    for raw in raws:
        assert raw is not None
        live = raw["id"]
        for size in (2, 20):
            assert await together.contacts.load(ContactPage(live, size)) == await alone.contacts.load(
                ContactPage(live, size)
            )
        assert await together.holdings.load(live) == await alone.holdings.load(live)
        assert await together.relations.load(live) == await alone.relations.load(live)
        assert await together.tier(raw) == await alone.tier(raw)
        assert await together.service.load(live) == await alone.service.load(live)
        assert await together.members.load(live) == await alone.members.load(live)
    # Every part of ``together`` came primed: the round trips above are all ``alone``'s.
    assert store.stats.round_trips - before == len(raws) * 7
    assert any([(await together.holdings.load(r["id"])).accounts for r in raws if r])
    assert any([(await together.contacts.load(ContactPage(r["id"], 2)))[0] >= 3 for r in raws if r])
    assert any([(await together.service.load(r["id"])).cases for r in raws if r])


async def test_every_combination_of_view_parts_reads_what_the_whole_view_reads(
    demo: tuple[Store, Path], fixed_clock: object
) -> None:
    """Each of the 64 statements the view's parts make runs on the backend, and a part reads the same
    with or without the others (a part's subquery must not depend on another's being there)."""
    import itertools

    from app.rules import get_rules
    from app.services.customer_view import ViewParts, read_views

    store, _ = demo
    rules = get_rules()
    ids = sorted(set((await crosswalk(store)).values()))[:40]
    # Mid-October: the demo's October bills are then in the service standing's window (which takes the
    # month in progress) and not the tier's (complete months only).
    fixed_clock.advance(timedelta(days=-46))  # type: ignore[attr-defined]
    whole = await read_views(store, ids, ViewParts(True, True, True, frozenset({3}), True, members=True), rules)
    assert len(whole) == len(ids)
    service_months = {m for v in whole.values() if v.service for m in v.service.facts.monthly_spend}
    assert service_months - {m for v in whole.values() if v.tier for m in v.tier.spend}
    # Some customer's recent contacts go beyond the page of four: the rest come apart from the page.
    assert any(v.service and len(v.service.facts.contacts) > 4 for v in whole.values())
    for holdings, relations, tier, contacts, service, members in itertools.product((False, True), repeat=6):
        parts = ViewParts(
            holdings, relations, tier, frozenset({3}) if contacts else frozenset(), service, members=members
        )
        views = await read_views(store, ids, parts, rules)
        assert views.keys() == whole.keys()
        for wanted, view in views.items():
            full = whole[wanted]
            assert view.customer == full.customer
            assert view.holdings == (full.holdings if holdings else None)
            assert view.relations == (full.relations if relations else None)
            assert view.tier == (full.tier if tier else None)
            assert view.service == (full.service if service else None)
            assert view.members == (full.members if members else None)
            if contacts:
                assert (view.contact_total, view.contacts) == (full.contact_total, full.contacts)


async def test_holdings_are_attached_and_contacts_page_through(demo: tuple[Store, Path]) -> None:
    from app.services.invariants import check_invariants

    store, directory = demo
    report = await check_invariants(store)
    assert report.ok, report.violations
    customer = await customer_of(store, crm_person(directory))
    page_query = """query($id: ID!, $after: String, $until: DateTime) { customer(id: $id) {
      accounts { nodes { id } } contacts(first: 2, after: $after, until: $until) {
        totalCount edges { node { id at } } pageInfo { hasNextPage endCursor } } } }"""
    async with api_client(store, "admin") as admin:
        for k in range(5):
            await gql(
                admin,
                RECORD,
                c={
                    "customerId": customer,
                    "kind": "QUERY",
                    "channel": "HOTLINE",
                    "at": f"2026-10-0{k + 1}T10:00:00+08:00",
                },
            )
        seen: list[tuple[str, str]] = []
        after = None
        while True:
            view = (await gql(admin, page_query, id=customer, after=after))["data"]["customer"]
            seen += [(e["node"]["at"], e["node"]["id"]) for e in view["contacts"]["edges"]]
            if not view["contacts"]["pageInfo"]["hasNextPage"]:
                break
            after = view["contacts"]["pageInfo"]["endCursor"]
        assert view["accounts"]["nodes"], "resolution attached no account to a crm customer"
        assert len(seen) == view["contacts"]["totalCount"] == len(set(seen)) >= 5
        assert seen == sorted(seen, reverse=True)
        until = (await gql(admin, page_query, id=customer, until="2026-10-03T00:00:00+08:00"))["data"]["customer"]
        assert until["contacts"]["totalCount"] == sum(1 for at, _ in seen if at < "2026-10-03T00:00:00+08:00")


async def test_bad_inputs_get_stable_codes(demo: tuple[Store, Path]) -> None:
    store, _ = demo
    async with api_client(store, "service_hall") as hall:
        cases: list[tuple[str, dict[str, Any], str]] = [
            ('query { customer(id: "nope") { id } }', {}, "NOT_FOUND"),
            ('query { customerByCertificate(type: RESIDENT_ID, number: "123") { id } }', {}, "BAD_USER_INPUT"),
            ('query { searchCustomers(text: "张伟", first: 1000) { totalCount } }', {}, "BAD_USER_INPUT"),
            ('query { customer(id: "x") { nope } }', {}, "GRAPHQL_VALIDATION_FAILED"),
            (
                'query { customer(id: "x") { accounts { nodes { subscriptions { nodes { id } } } } '
                "memberOf { nodes { customerId } } " + " ".join(f"a{k}: id" for k in range(40)) + " } }",
                {},
                "GRAPHQL_VALIDATION_FAILED",
            ),
            (
                "query { "
                + " ".join(
                    f's{k}: searchCustomers(text: "张伟", first: 100) {{ edges {{ node {{ '
                    f"contacts(first: 100) {{ edges {{ node {{ id }} }} }} }} }} }}"
                    for k in range(3)
                )
                + " }",
                {},
                "QUERY_TOO_COSTLY",
            ),
        ]
        for query, variables, code in cases:
            answer = await hall.post("/graphql", json={"query": query, "variables": variables})
            assert answer.status_code in (200, 400), answer.text
            assert answer.json()["errors"][0]["extensions"]["code"] == code, (query, answer.json())


MATCH = """query($r: CustomerRecordInput!) { match(record: $r) { decision probability customer { id } } }"""


async def test_match_finds_the_customer_by_each_lookup_key_alone(demo: tuple[Store, Path]) -> None:
    """Every branch of the candidate lookup on its own, the others absent (sent as empty lists)."""
    store, directory = demo
    person = crm_person(directory)
    existing = await customer_of(store, person)
    network = person["local_network"]
    probes = {
        "certificate": {"name": "某某", "certType": "RESIDENT_ID", "certNo": person["cert_no"]},
        "phone": {"name": "某某", "phones": person["phones"].split(";")[:1]},
        "name": {"name": person["name"], "localNetwork": network},
    }
    async with api_client(store, "hotline") as hotline:
        for key, probe in probes.items():
            answer = await gql(hotline, MATCH, r=probe)
            assert "errors" not in answer, (key, answer)
            assert existing in [m["customer"]["id"] for m in answer["data"]["match"]], (key, answer)
        nobody = await gql(hotline, MATCH, r={"name": "司马某某", "phones": ["13999990001"], "localNetwork": network})
    assert nobody["data"]["match"] == [], nobody


async def test_account_manager_and_backup_come_from_the_records(demo: tuple[Store, Path]) -> None:
    store, directory = demo
    with (directory / "am_app" / "employees.csv").open(encoding="utf-8") as handle:
        backups = {row["source_id"]: row["backup_id"] for row in csv.DictReader(handle)}
    with (directory / "am_app" / "customers.csv").open(encoding="utf-8") as handle:
        managed = [row for row in csv.DictReader(handle) if row["account_manager_id"]]
    assert managed, "demo data has no customer with an account manager"
    crosswalked = await crosswalk(store)
    query = "query($id: ID!) { customer(id: $id) { accountManagers { role employee { id } } } }"
    async with api_client(store, "service_hall") as hall:
        for row in managed:
            customer = crosswalked[f"am_app:customers:{row['source_id']}"]
            shown = (await gql(hall, query, id=customer))["data"]["customer"]["accountManagers"]
            expected = [{"role": "A", "employee": {"id": f"am_app:employees:{row['account_manager_id']}"}}]
            if backups.get(row["account_manager_id"]):
                expected.append(
                    {"role": "B", "employee": {"id": f"am_app:employees:{backups[row['account_manager_id']]}"}}
                )
            assert shown == expected, (row["source_id"], shown)
    # A record that stops naming a manager takes the manager (and the backup) off its customer.
    path = directory / "am_app" / "customers.csv"
    dropped = managed[0]["source_id"]

    def without_manager(row: dict[str, str]) -> bool:
        if row["source_id"] != dropped:
            return False
        row["account_manager_id"] = ""
        return True

    assert rewrite(path, "utf-8", without_manager) == 1
    await ingest_file(store, "am_app", "customers", path)
    await resolve_all(store)
    customer = (await crosswalk(store))[f"am_app:customers:{dropped}"]
    async with api_client(store, "service_hall") as hall:
        assert (await gql(hall, query, id=customer))["data"]["customer"]["accountManagers"] == []


async def test_opportunities_from_every_channel_show_on_their_customer(demo: tuple[Store, Path]) -> None:
    store, directory = demo
    crosswalked = await crosswalk(store)
    expected: dict[str, set[str]] = {}
    for entry in read_manifest(directory):
        if entry.kind == "opportunities":
            with entry.path.open(encoding=entry.encoding) as handle:
                for row in csv.DictReader(handle):
                    customer = crosswalked[f"{entry.source}:customers:{row['customer_source_id']}"]
                    expected.setdefault(customer, set()).add(f"{entry.source}:opportunities:{row['source_id']}")
    assert len(expected) >= 5, "demo data has too few opportunities"
    query = (
        "query($id: ID!) { customer(id: $id) { opportunities(first: 100) { nodes { id kind need stage channel "
        "capturedAt claimedBy claimedByName claimedAt } } } }"
    )
    async with api_client(store, "hotline") as hotline:
        for customer, ids in expected.items():
            shown = (await gql(hotline, query, id=customer))["data"]["customer"]["opportunities"]["nodes"]
            assert {o["id"] for o in shown} == ids
            assert [o["capturedAt"] for o in shown] == sorted((o["capturedAt"] for o in shown), reverse=True)
            for o in shown:
                assert (o["claimedBy"] is None) == (o["claimedByName"] is None) == (o["claimedAt"] is None)
                assert o["kind"] == ("OPPORTUNITY" if o["need"] == "purchase" else "LEAD")


async def test_household_is_shown_apart_from_organisations(graph: Store, tmp_path: Path) -> None:
    from tests.integration.test_ingest import CUSTOMER_HEADER, customer, write_csv

    people = [
        customer("H1", name="李明家庭", phones="059187654321", segment="household", birth_date=""),
        customer("P1", name="李明", phones="13812345671"),
        customer("P2", name="王芳", phones="13912345672"),
        customer(
            "E1", name="福州闽江科技有限公司", phones="059187654322", segment="enterprise", birth_date="", org_class="B"
        ),
    ]
    await ingest_file(graph, "am_app", "customers", write_csv(tmp_path / "c.csv", CUSTOMER_HEADER, people))
    header = ["source_id", "organisation_source_id", "member_source_id", "title", "key_person"]
    links = [
        {
            "source_id": "L1",
            "organisation_source_id": "H1",
            "member_source_id": "P1",
            "title": "户主",
            "key_person": "false",
        },
        {
            "source_id": "L2",
            "organisation_source_id": "H1",
            "member_source_id": "P2",
            "title": "",
            "key_person": "false",
        },
        {
            "source_id": "L3",
            "organisation_source_id": "E1",
            "member_source_id": "P1",
            "title": "总经理",
            "key_person": "true",
        },
    ]
    summary = await ingest_file(graph, "am_app", "organisation_members", write_csv(tmp_path / "m.csv", header, links))
    assert summary.rejected == 0
    await resolve_all(graph)
    ids = await crosswalk(graph)
    home, firm = ids["am_app:customers:H1"], ids["am_app:customers:E1"]
    query = """query($id: ID!) { customer(id: $id) { household { customerId name segment title }
      memberOf { nodes { customerId segment keyPerson title } } members { nodes { customerId } } } }"""
    async with api_client(graph, "account_manager") as app:
        li = (await gql(app, query, id=ids["am_app:customers:P1"]))["data"]["customer"]
        wang = (await gql(app, query, id=ids["am_app:customers:P2"]))["data"]["customer"]
        family = (await gql(app, query, id=home))["data"]["customer"]
    assert li["household"] == {"customerId": home, "name": "李明家庭", "segment": "HOUSEHOLD", "title": "户主"}
    assert li["memberOf"]["nodes"] == [
        {"customerId": firm, "segment": "ENTERPRISE", "keyPerson": True, "title": "总经理"}
    ]
    assert wang["household"]["customerId"] == home and wang["memberOf"]["nodes"] == []
    assert sorted(m["customerId"] for m in family["members"]["nodes"]) == sorted(
        [ids["am_app:customers:P1"], ids["am_app:customers:P2"]]
    )


TIMES = """query($id: ID!, $since: DateTime) { customer(id: $id) {
  contacts(first: 50, since: $since) { edges { node { id at source } } } } }"""


async def test_a_file_time_and_the_apis_clock_at_one_instant_are_stored_alike_and_order_by_time(
    demo: tuple[Store, Path], tmp_path: Path, fixed_clock: FixedClock
) -> None:
    """At 23:30 in China (15:30 UTC, so the previous day's date in UTC: the boundary) a file says
    +08:00 and the API's clock stamps its own time: one instant, one stored text. A contact recorded
    a minute later is newest, and `since` two minutes before now finds it (text compared across
    offsets missed it: 15:31+00:00 < 23:29+08:00 as text)."""
    store, directory = demo
    person = crm_person(directory)
    customer = await customer_of(store, person)
    path = tmp_path / "contacts.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=["source_id", "channel", "kind", "at", "customer_source_id"])
        writer.writeheader()
        writer.writerow(
            {
                "source_id": "T-2330",
                "channel": "hotline",
                "kind": "query",
                "at": "2026-11-30T23:30:00+08:00",
                "customer_source_id": person["source_id"],
            }
        )
    summary = await ingest_file(store, "crm", "contacts", path)
    assert (summary.written, summary.rejected) == (1, 0)
    await resolve_all(store)
    async with api_client(store, "service_hall", "desk-1") as hall:
        written = await gql(hall, RECORD, c={"customerId": customer, "kind": "QUERY"})
        assert "errors" not in written, written
        ((_, rows),) = await read_contacts(store, [ContactPage(customer, 50)])
        stored = {row["source"]: row["at"] for row in rows if row["at"].startswith("2026-11-30")}
        assert stored == {"crm": "2026-11-30T15:30:00.000Z", "api_service_hall": "2026-11-30T15:30:00.000Z"}

        fixed_clock.advance(timedelta(minutes=1))
        later = await gql(hall, RECORD, c={"customerId": customer, "kind": "COMPLAINT"})
        assert "errors" not in later, later
        fixed_clock.advance(timedelta(minutes=1))
        shown = (await gql(hall, TIMES, id=customer))["data"]["customer"]["contacts"]["edges"]
        assert shown[0]["node"]["at"] == "2026-11-30T23:31:00.000+08:00"
        assert [e["node"]["at"] for e in shown[1:3]] == ["2026-11-30T23:30:00.000+08:00"] * 2
        assert all(e["node"]["at"].endswith("+08:00") for e in shown)
        assert [e["node"]["at"] for e in shown] == sorted((e["node"]["at"] for e in shown), reverse=True)
        two_minutes_ago = "2026-11-30T23:30:00+08:00"
        recent = (await gql(hall, TIMES, id=customer, since=two_minutes_ago))["data"]["customer"]["contacts"]
        assert [e["node"]["at"] for e in recent["edges"]] == [
            "2026-11-30T23:31:00.000+08:00",
            "2026-11-30T23:30:00.000+08:00",
            "2026-11-30T23:30:00.000+08:00",
        ]


async def test_implausible_times_are_refused_by_the_api_and_by_files_naming_the_field(
    demo: tuple[Store, Path], tmp_path: Path, fixed_clock: FixedClock
) -> None:
    """A contact dated 2999 would stay newest for ever: more than a day ahead of the clock, or
    before 1900, is refused (BAD_USER_INPUT naming the field; a file's row goes to its rejects).
    Just under a day ahead (a channel system's clock running fast) is kept."""
    store, directory = demo
    person = crm_person(directory)
    customer = await customer_of(store, person)
    async with api_client(store, "service_hall") as hall:
        for at, why in (
            ("2999-01-01T00:00:00+08:00", "is more than a day after now (2026-11-30T23:30:00.000+08:00)"),
            ("2026-12-01T23:31:00+08:00", "is more than a day after now"),
            ("1899-12-31T23:59:59Z", "is before 1900"),
        ):
            refused = await gql(hall, RECORD, c={"customerId": customer, "kind": "QUERY", "at": at})
            assert "errors" not in refused, refused
            [error] = refused["data"]["recordContact"]["userErrors"]
            assert error["code"] == "BAD_USER_INPUT" and error["field"] == ["contact", "at"], refused
            assert error["message"].startswith(f"at: {at!r} {why}"), error["message"]
            assert refused["data"]["recordContact"]["customer"] is None
        not_a_time = await gql(hall, RECORD, c={"customerId": customer, "kind": "QUERY", "at": "next tuesday"})
        error = not_a_time["errors"][0]
        assert error["extensions"]["code"] == "BAD_USER_INPUT" and "is not an ISO-8601 time" in error["message"]
        kept = await gql(hall, RECORD, c={"customerId": customer, "kind": "QUERY", "at": "2026-12-01T23:29:00+08:00"})
        assert "errors" not in kept and kept["data"]["recordContact"]["userErrors"] == [], kept
    async with api_client(store, "web_hall") as web:
        submitted = await gql(
            web,
            SUBMIT,
            r=record_input(
                {
                    "source_id": "w-future",
                    "name": "司马某某",
                    "phones": "13999990000",
                    "local_network": "0591",
                    "segment": "individual",
                    "updated_at": "2999-01-01T00:00:00+08:00",
                }
            ),
        )
    # Typed at a desk, the record is kept without the time, which the answer names.
    result = submitted["data"]["submitCustomerRecord"]
    assert result["userErrors"] == [] and result["recordId"] == "api_web_hall:customers:w-future", submitted
    [warning] = result["warnings"]
    assert warning["field"] == ["record", "updatedAt"]
    assert "'2999-01-01T00:00:00+08:00' is more than a day after now" in warning["message"]

    header = ["source_id", "customer_source_id", "kind", "need", "stage", "channel", "captured_at", "claimed_at"]
    path = tmp_path / "opportunities.csv"
    good = {
        "source_id": "O-ok",
        "customer_source_id": person["source_id"],
        "kind": "lead",
        "need": "purchase",
        "stage": "captured",
        "channel": "service_hall",
        "captured_at": "2026-11-30T09:00:00+08:00",
        "claimed_at": "",
    }
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=header)
        writer.writeheader()
        writer.writerow(good)
        writer.writerow({**good, "source_id": "O-2999", "captured_at": "2999-01-01T00:00:00+08:00"})
        writer.writerow({**good, "source_id": "O-claimed", "claimed_at": "1800-01-01T00:00:00+08:00"})
    await ingest_file(store, "crm", "opportunities", path)
    with rejects_path(path).open(encoding="utf-8") as handle:
        rejects = {row["source_id"]: (row["field"], row["reason"]) for row in csv.DictReader(handle)}
    assert rejects["O-2999"][0] == "captured_at" and "is more than a day after now" in rejects["O-2999"][1]
    # An optional time is set aside (the row kept without it) or refuses the row: either way, reported.
    assert rejects["O-claimed"][0] == "claimed_at" and "is before 1900" in rejects["O-claimed"][1]
    known = await store.read(
        cypher("ingest/known_records"), {"ids": ["crm:opportunities:O-ok", "crm:opportunities:O-2999"]}
    )
    assert [row["id"] for row in known] == ["crm:opportunities:O-ok"], "a row without a plausible capture time"
