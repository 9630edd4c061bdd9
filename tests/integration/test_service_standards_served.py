"""The service standards through the served API on both stores, from real files, at a fixed moment
(DOMAIN.md §5-7): a customer's open cases with their clocks, the VIP care it is owed, its churn
warnings; an account manager's due work (late first, a backup's only on the leave's days); the SLA
breach report; birthdays only to a caller who reads the birth date in full; never a kept answer."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from app import clock
from app.services.resolve import resolve_all
from app.store import Store
from loaders.ingest import ingest_file
from tests.conftest import api_client
from tests.integration.test_ingest import CUSTOMER_HEADER, customer, write_csv
from tests.integration.test_steward_api import crosswalk, gql

BEIJING = timezone(timedelta(hours=8))
# Wednesday 2 December 2026, 15:00 in Beijing.
NOW = datetime(2026, 12, 2, 15, 0, tzinfo=BEIJING)
E1, E2 = "am_app:employees:E1", "am_app:employees:E2"

SERVICE = """query($id: ID!) { customer(id: $id) { id service {
  openCases { id kind channel ownerId open paused pauseReason warning breached nextDueAt
    deadlines { name dueAt metAt breached warning } events { event at } }
  care { kind due overdue reason modes }
  churnWarnings { rule evidence sinceDay }
  lifecycle { stage reasons } } } }"""

DUE = """query($from: Date!, $to: Date!, $employee: ID, $after: String) {
  dueWork(from: $from, to: $to, employee: $employee, first: 50, after: $after) {
    totalCount pageInfo { hasNextPage endCursor }
    nodes { kind customerId due dueAt late warning reason case { id kind } care { kind } } } }"""

REPORT = """query($from: DateTime!, $to: DateTime!) { slaBreachReport(from: $from, to: $to) {
  rates { channel kind cases breached warning open rate }
  breaches(first: 10) { totalCount nodes { id kind breached } } } }"""


@pytest.fixture
def at_now() -> Iterator[clock.FixedClock]:
    fixed = clock.FixedClock(NOW)
    previous = clock.set_clock(fixed)
    yield fixed
    clock.set_clock(previous)


def t(text: str) -> str:
    return f"2026-{text}:00+08:00"


def files(tmp_path: Path) -> list[tuple[str, str, Path]]:
    employees = [
        {"source_id": "E1", "name": "王经理", "role": "account_manager", "local_network": "0591", "backup_id": "E2"},
        {"source_id": "E2", "name": "李经理", "role": "account_manager", "local_network": "0591", "backup_id": ""},
    ]
    # E1 is on leave Thursday 3 and Friday 4 December: E2 acts for E1's customers those days only.
    leaves = [{"source_id": "L1", "employee_id": "E1", "from": "2026-12-03", "to": "2026-12-04"}]
    people = [
        # A gold card made on 2 November: the first visit is due by 2 December; born 5 December.
        customer(
            "v1",
            "陈金",
            phones="13900000011",
            birth_date="1980-12-05",
            vip_card="gold",
            vip_card_since="2026-11-02",
            account_manager_id="E1",
        ),
        # A silver card visited on 1 October and called since: its visit is due by 1 January.
        customer(
            "v2",
            "林银",
            phones="13900000012",
            birth_date="1975-03-09",
            vip_card="silver",
            vip_card_since="2026-01-10",
            account_manager_id="E1",
        ),
        # No card and no manager: owed no care, so no birthday either.
        customer("v5", "吴普", phones="13900000015", birth_date="1990-06-01"),
    ]
    contacts = [
        {
            "source_id": "K1",
            "channel": "account_manager",
            "kind": "care_visit",
            "at": t("10-01T10:00"),
            "customer_source_id": "v2",
            "employee_id": "E1",
            "mode": "visit",
            "direction": "outbound",
            "outcome": "resolved",
            "called_number": "",
        },
        {
            "source_id": "K2",
            "channel": "account_manager",
            "kind": "care_visit",
            "at": t("11-20T10:00"),
            "customer_source_id": "v2",
            "employee_id": "E1",
            "mode": "call",
            "direction": "outbound",
            "outcome": "resolved",
            "called_number": "",
        },
        # v1 called a competitor's hotline.
        {
            "source_id": "K3",
            "channel": "hotline",
            "kind": "query",
            "at": t("11-28T20:00"),
            "customer_source_id": "v1",
            "employee_id": "",
            "mode": "call",
            "direction": "outbound",
            "outcome": "",
            "called_number": "10010",
        },
    ]
    cases = [
        # A complaint opened at 08:00 today: solution due 16:00; at 15:00 seven eighths have run.
        {
            "source_id": "C1",
            "customer_source_id": "v1",
            "kind": "complaint",
            "channel": "hotline",
            "opened_at": t("12-02T08:00"),
            "employee_id": "E1",
            "summary": "bill dispute",
        },
        # A consultation opened yesterday 09:00, never answered: breached at 12:00 yesterday.
        {
            "source_id": "C2",
            "customer_source_id": "v2",
            "kind": "consultation",
            "channel": "service_hall",
            "opened_at": t("12-01T09:00"),
            "employee_id": "E1",
            "summary": "5G package",
        },
        # Business by phone done and told in time: no work owed.
        {
            "source_id": "C3",
            "customer_source_id": "v2",
            "kind": "phone_business",
            "channel": "hotline",
            "opened_at": t("12-02T09:00"),
            "employee_id": "E1",
            "summary": "add a line",
        },
    ]
    events = [
        {
            "source_id": "V1",
            "case_source_id": "C3",
            "event": "solved",
            "at": t("12-02T10:00"),
            "employee_id": "E1",
            "reason": "",
        },
        {
            "source_id": "V2",
            "case_source_id": "C3",
            "event": "customer_told",
            "at": t("12-02T10:20"),
            "employee_id": "E1",
            "reason": "",
        },
    ]
    return [
        ("am_app", "employees", write_csv(tmp_path / "employees.csv", list(employees[0]), employees)),
        ("am_app", "leaves", write_csv(tmp_path / "leaves.csv", list(leaves[0]), leaves)),
        ("am_app", "customers", write_csv(tmp_path / "customers.csv", CUSTOMER_HEADER, people)),
        ("am_app", "contacts", write_csv(tmp_path / "contacts.csv", list(contacts[0]), contacts)),
        ("am_app", "cases", write_csv(tmp_path / "cases.csv", list(cases[0]), cases)),
        ("am_app", "case_events", write_csv(tmp_path / "events.csv", list(events[0]), events)),
    ]


async def loaded(store: Store, tmp_path: Path) -> dict[str, str]:
    for source, kind, path in files(tmp_path):
        summary = await ingest_file(store, source, kind, path)
        assert (summary.rejected, summary.quarantined) == (0, 0), (kind, summary)
    await resolve_all(store)
    mapping = await crosswalk(store)
    return {n: mapping[f"am_app:customers:{n}"] for n in ("v1", "v2", "v5")}


async def ask(store: Store, query: str, role: str = "admin", bound: str | None = None, **variables: Any) -> Any:
    """As ``role``, with a key bound to employee ``bound`` if given."""
    async with api_client(store, role, employee=bound) as client:
        answer = await gql(client, query, **variables)
    return answer


async def test_a_customers_open_cases_care_and_warnings(store: Store, tmp_path: Path, at_now: clock.FixedClock) -> None:
    ids = await loaded(store, tmp_path)
    v1 = (await ask(store, SERVICE, "account_manager", E1, id=ids["v1"]))["data"]["customer"]["service"]
    [complaint] = v1["openCases"]
    assert (complaint["kind"], complaint["ownerId"], complaint["warning"], complaint["breached"]) == (
        "COMPLAINT",
        E1,
        True,
        False,
    )
    assert complaint["nextDueAt"] == "2026-12-02T16:00:00.000+08:00"
    care = {c["kind"]: c for c in v1["care"]}
    assert care["FIRST_VISIT"]["due"] == "2026-12-02" and not care["FIRST_VISIT"]["overdue"]
    # The account manager reads the birth date in full: the birthday is listed.
    assert care["BIRTHDAY_REMINDER"]["due"] == "2026-12-02" and care["BIRTHDAY_CALL"]["due"] == "2026-12-05"
    [warning] = v1["churnWarnings"]
    assert warning["rule"] == "competitor_hotline" and "10010" in warning["evidence"]
    assert v1["lifecycle"]["stage"] == "DECLINE"

    # The hotline sees the open complaint, not the birthday (birth dates are masked for it).
    hotline = (await ask(store, SERVICE, "hotline", id=ids["v1"]))["data"]["customer"]["service"]
    assert [c["id"] for c in hotline["openCases"]] == [complaint["id"]]
    assert {c["kind"] for c in hotline["care"]} == {"FIRST_VISIT", "CALL"}

    v2 = (await ask(store, SERVICE, id=ids["v2"]))["data"]["customer"]["service"]
    # The phone business was done and told in time: no work owed; the consultation is breached.
    [consultation] = v2["openCases"]
    assert (consultation["kind"], consultation["breached"]) == ("CONSULTATION", True)
    assert consultation["deadlines"][0]["dueAt"] == "2026-12-01T12:00:00.000+08:00"
    visit = next(c for c in v2["care"] if c["kind"] == "VISIT")
    assert (visit["due"], visit["overdue"]) == ("2027-01-01", False)


async def test_customers_without_a_case_or_with_only_closed_ones_keep_their_service(
    store: Store, tmp_path: Path, at_now: clock.FixedClock
) -> None:
    """The cases are a subquery of the service read's one statement: a customer with none, or whose
    cases an event closed, must still come back (an aggregation over no rows is one row of nothing)."""
    people = [customer("v3", "周无", phones="13900000013"), customer("v4", "吴结", phones="13900000014")]
    cases = [
        {
            "source_id": "C4",
            "customer_source_id": "v4",
            "kind": "consultation",
            "channel": "hotline",
            "opened_at": t("12-01T09:00"),
            "employee_id": "E1",
            "summary": "roaming",
        }
    ]
    events = [
        {
            "source_id": "V3",
            "case_source_id": "C4",
            "event": "closed",
            "at": t("12-01T09:30"),
            "employee_id": "E1",
            "reason": "",
        }
    ]
    more = tmp_path / "more"
    more.mkdir()
    for source, kind, path in [
        *files(tmp_path),
        ("am_app", "customers", write_csv(more / "customers.csv", CUSTOMER_HEADER, people)),
        ("am_app", "cases", write_csv(more / "cases.csv", list(cases[0]), cases)),
        ("am_app", "case_events", write_csv(more / "events.csv", list(events[0]), events)),
    ]:
        summary = await ingest_file(store, source, kind, path)
        assert (summary.rejected, summary.quarantined) == (0, 0), (kind, summary)
    await resolve_all(store)
    ids = await crosswalk(store)
    for name in ("v3", "v4"):
        answer = await ask(store, SERVICE, id=ids[f"am_app:customers:{name}"])
        assert answer.get("errors") is None, answer
        service = answer["data"]["customer"]["service"]
        assert (service["openCases"], service["care"]) == ([], [])


async def test_a_merged_id_answers_the_survivors_service(
    store: Store, tmp_path: Path, at_now: clock.FixedClock
) -> None:
    """The service read starts beside the view's with the id asked; a merged id must still answer
    its survivor's standing, with the absorbed customer's cases, not the merged node's."""
    ids = await loaded(store, tmp_path)
    async with api_client(store, "steward", "steward-1") as steward:
        merged = await gql(
            steward,
            'mutation($s: ID!, $a: ID!) { mergeCustomers(survivorId: $s, absorbedId: $a, reason: "same person") '
            "{ userErrors { message } } }",
            s=ids["v1"],
            a=ids["v2"],
        )
        assert merged["data"]["mergeCustomers"]["userErrors"] == [], merged
    through_old = (await ask(store, SERVICE, id=ids["v2"]))["data"]["customer"]
    through_new = (await ask(store, SERVICE, id=ids["v1"]))["data"]["customer"]
    assert through_old["id"] == ids["v1"]
    assert through_old == through_new
    assert {c["kind"] for c in through_old["service"]["openCases"]} == {"COMPLAINT", "CONSULTATION"}


async def test_the_clock_moves_the_answer_and_it_is_never_kept(
    store: Store, tmp_path: Path, at_now: clock.FixedClock
) -> None:
    ids = await loaded(store, tmp_path)
    plain = "query($id: ID!) { customer(id: $id) { id name } }"
    async with api_client(store, "hotline") as client:  # one app: one process's kept answers
        first = await gql(client, SERVICE, id=ids["v1"])
        assert first["data"]["customer"]["service"]["openCases"][0]["breached"] is False
        await gql(client, plain, id=ids["v1"])
        at_now.advance(timedelta(hours=1, minutes=1))  # 16:01: the complaint's solution is late
        again = await gql(client, SERVICE, id=ids["v1"])
        case = again["data"]["customer"]["service"]["openCases"][0]
        assert (case["breached"], case["warning"]) == (True, False)
        # A query without the service field is kept as before: the same answer from the same process.
        before = store.stats.round_trips
        assert (await gql(client, plain, id=ids["v1"]))["data"] == {"customer": {"id": ids["v1"], "name": "陈金"}}
        kept = store.stats.round_trips - before
        await gql(client, SERVICE, id=ids["v1"])
        assert store.stats.round_trips - before > kept


async def test_an_account_managers_due_work_late_first_and_a_backups_only_on_leave(
    store: Store, tmp_path: Path, at_now: clock.FixedClock
) -> None:
    ids = await loaded(store, tmp_path)
    plan = (await ask(store, DUE, "account_manager", E1, **{"from": "2026-12-02", "to": "2026-12-06"}))["data"][
        "dueWork"
    ]
    kinds = [(n["kind"], n["customerId"], n["late"]) for n in plan["nodes"]]
    assert kinds[0] == ("CASE", ids["v2"], True), kinds  # the breached consultation first
    assert ("FIRST_VISIT", ids["v1"], False) in kinds
    assert ("BIRTHDAY_CALL", ids["v1"], False) in kinds
    assert ("CASE", ids["v1"], False) in kinds
    assert all(not n["late"] for n in plan["nodes"][1:])
    assert plan["totalCount"] == len(plan["nodes"])

    # E2 backs E1 up: on Thursday and Friday (E1's leave) E2 has E1's customers' work, and not before.
    before = await ask(store, DUE, "account_manager", E2, **{"from": "2026-12-01", "to": "2026-12-02"})
    assert before["data"]["dueWork"]["nodes"] == []
    during = await ask(store, DUE, "account_manager", E2, **{"from": "2026-12-03", "to": "2026-12-04"})
    assert {n["customerId"] for n in during["data"]["dueWork"]["nodes"]} == {ids["v1"], ids["v2"]}

    # Another manager's plan is not E2's to read; a service manager reads anyone's.
    refused = await ask(store, DUE, "account_manager", E2, employee=E1, **{"from": "2026-12-02", "to": "2026-12-02"})
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN" and "team work" in refused["errors"][0]["message"]
    managed = await ask(store, DUE, "service_manager", employee=E1, **{"from": "2026-12-02", "to": "2026-12-06"})
    nodes = managed["data"]["dueWork"]["nodes"]
    # Birth dates are masked for the service manager: no birthday work is listed to them.
    assert nodes and not {n["kind"] for n in nodes} & {"BIRTHDAY_REMINDER", "BIRTHDAY_CALL"}
    too_long = await ask(store, DUE, "service_manager", employee=E1, **{"from": "2026-12-01", "to": "2027-01-05"})
    assert too_long["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_the_breach_report_by_channel_and_kind(store: Store, tmp_path: Path, at_now: clock.FixedClock) -> None:
    await loaded(store, tmp_path)
    report = await ask(
        store, REPORT, "service_manager", **{"from": "2026-12-01T00:00:00+08:00", "to": "2026-12-03T00:00:00+08:00"}
    )
    assert "errors" not in report, report
    rates = {(r["channel"], r["kind"]): r for r in report["data"]["slaBreachReport"]["rates"]}
    assert rates[("SERVICE_HALL", "CONSULTATION")] | {} == {
        "channel": "SERVICE_HALL",
        "kind": "CONSULTATION",
        "cases": 1,
        "breached": 1,
        "warning": 0,
        "open": 1,
        "rate": 1.0,
    }
    assert (rates[("HOTLINE", "COMPLAINT")]["breached"], rates[("HOTLINE", "COMPLAINT")]["warning"]) == (0, 1)
    assert rates[("HOTLINE", "PHONE_BUSINESS")]["breached"] == 0
    breaches = report["data"]["slaBreachReport"]["breaches"]
    assert [n["kind"] for n in breaches["nodes"]] == ["CONSULTATION"]
    refused = await ask(
        store, REPORT, "hotline", **{"from": "2026-12-01T00:00:00+08:00", "to": "2026-12-03T00:00:00+08:00"}
    )
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_recompute_records_what_the_api_answers_for_analysts(
    store: Store, tmp_path: Path, at_now: clock.FixedClock
) -> None:
    """`c360 recompute`'s derived properties, read by the analysts' queries, agree with the API's report and
    with the care schedule run on the same facts; a second run under the same rules says nothing changed."""
    from app.care_schedule import care_compliance
    from app.months import add_months
    from app.rules import get_rules
    from app.services.service_recompute import recompute, record_care, record_case_clocks, rules_digest
    from app.services.service_view import read_service
    from app.store import cypher
    from app.working_calendar import working_calendar

    ids = await loaded(store, tmp_path)
    rules = get_rules()
    done = await recompute(store, rules)
    assert (done.cases, done.breached, done.card_holders) == (3, 1, 2)
    assert not (await recompute(store, rules)).rules_changed
    # One case and one card holder a page: the same counts (pages by id, read once).
    assert await record_case_clocks(store, rules, rules_digest(rules), page=1) == (3, 1)
    assert await record_care(store, rules, page=1) == 2

    window = {"since": "2026-11-30T16:00:00.000Z", "until": "2026-12-02T16:00:00.000Z"}
    rates = await store.read(cypher("analytics/sla_breach_rates"), window)
    report = await ask(
        store, REPORT, "service_manager", **{"from": "2026-12-01T00:00:00+08:00", "to": "2026-12-03T00:00:00+08:00"}
    )
    assert [{**r, "channel": r["channel"].upper(), "kind": r["kind"].upper()} for r in rates] == report["data"][
        "slaBreachReport"
    ]["rates"]
    assert [(r["kind"], r["breached"], r["warning"]) for r in rates] == [
        ("complaint", 0, 1),
        ("phone_business", 0, 0),
        ("consultation", 1, 0),
    ]

    [load] = await store.read(cypher("analytics/customers_per_manager"), {"norm": 400})
    assert (load["manager_id"], load["customers"], load["vip_customers"], load["load"]) == (E1, 2, 2, 0.005)
    stars = await store.read(cypher("analytics/stars_by_network"), {"min_star": 1})
    assert stars == [{"local_network": "0591", "star_level": 1, "customers": 3, "share": 1.0}]

    today = clock.today()
    since = add_months(today, -rules.care.compliance_months)
    facts = await read_service(store, list(ids.values()), rules, contacts_since=since)
    due = met = 0
    for service in facts:
        assert service is not None
        counted = care_compliance(service.facts, rules, working_calendar(rules), since, today)
        due, met = due + counted.due, met + counted.met
    [care] = await store.read(cypher("analytics/care_compliance_by_manager"), {"min_due": 0})
    assert (care["manager_id"], care["card_holders"], care["due"], care["met"]) == (E1, 2, due, met)
    assert due > 0


async def test_the_birth_date_is_read_and_audited_only_when_a_birthday_item_shows_it(
    store: Store, tmp_path: Path, at_now: clock.FixedClock
) -> None:
    """v1 holds a card, so care owes it birthday items; v5 holds none: a service read tells v1's birth date
    and is audited as a full read of it, and tells nothing of v5's, so no birth-date line names v5."""
    ids = await loaded(store, tmp_path)
    audit = Path("var/audit.log")
    before = audit.read_text(encoding="utf-8").count("\n") if audit.exists() else 0
    v1 = (await ask(store, SERVICE, id=ids["v1"]))["data"]["customer"]["service"]
    v5 = (await ask(store, SERVICE, id=ids["v5"]))["data"]["customer"]["service"]
    assert "BIRTHDAY_REMINDER" in {c["kind"] for c in v1["care"]}
    assert v5["care"] == []
    lines = audit.read_text(encoding="utf-8").splitlines()[before:]
    birth_date_reads = [line for line in lines if "birth_date" in line]
    assert any(f"customer={ids['v1']} " in line for line in birth_date_reads), lines
    assert not any(f"customer={ids['v5']} " in line for line in birth_date_reads), lines


async def test_a_case_no_clock_can_read_fails_that_customers_service_alone(
    store: Store, tmp_path: Path, at_now: clock.FixedClock
) -> None:
    """The service standing is worked out with the view's read. A fact the rules cannot read makes that
    customer's `service` an error, never the other customers read in the same request."""
    from tests.conftest import cypher_of_tests

    ids = await loaded(store, tmp_path)
    [spoiled] = await store.write(cypher_of_tests("spoil_case_time"), {"customer": ids["v1"], "value": "not a time"})
    assert spoiled["spoiled"] >= 1
    both = """query($ids: [ID!]!) { nodes(ids: $ids) {
      ... on Customer { id name service { openCases { id kind } lifecycle { stage } } } } }"""
    answer = await ask(store, both, ids=[f"Customer:{ids['v1']}", f"Customer:{ids['v2']}"])
    first, second = answer["data"]["nodes"]
    assert first is None
    assert [e["path"] for e in answer["errors"]] == [["nodes", 0, "service"]]
    assert second["id"] == ids["v2"] and second["service"]["openCases"]
