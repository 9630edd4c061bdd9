"""A demo operator's day (DOMAIN.md §5-6): each account manager's dueWork, served, equals the work an
independent reading of the demo's source files gives: the customers each manager acts for (their
own, and a colleague's on leave), the care each card holder is owed from the contacts in the files
(visits, calls, birthdays, first visits, retries) and the open cases with their breaches from the
case files, through the same rules (app/care_schedule, app/sla), on both stores."""

from __future__ import annotations

import csv
from collections import defaultdict
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from app import clock
from app.care_schedule import Contact, CustomerFacts, care_due
from app.ids import record_id
from app.rules import get_rules
from app.services.service_view import care_horizon, is_open_item
from app.sla import Case, CaseEvent, sla_state
from app.store import Store
from app.working_calendar import working_calendar
from demo.operator import reference_clock
from loaders.manifest import read_manifest
from tests.conftest import api_client, cypher_of_tests, load_demo
from tests.integration.test_steward_api import crosswalk, gql

DUE = """query($employee: ID, $from: Date!, $to: Date!, $after: String) {
  dueWork(employee: $employee, from: $from, to: $to, first: 100, after: $after) {
    pageInfo { hasNextPage endCursor } nodes { kind customerId due late case { id breached } } } }"""
TRUST = ("crm", "am_app", "hall", "agent", "web", "hotline")


def rows(directory: Path, source: str, kind: str) -> Iterator[dict[str, str]]:
    """A demo file's rows, in the encoding its manifest gives (a hall's files are GB18030)."""
    for entry in read_manifest(directory):
        if (entry.source, entry.kind) == (source, kind):
            with entry.path.open(encoding=entry.encoding, newline="") as handle:
                yield from csv.DictReader(handle)


def sources(directory: Path) -> list[str]:
    return [p.name for p in directory.iterdir() if p.is_dir() and not p.name.startswith(".")]


@pytest.fixture(scope="module")
async def demo_day(backend: Store, tmp_path_factory: pytest.TempPathFactory) -> tuple[Store, Path]:
    await backend.clear()
    directory = await load_demo(backend, tmp_path_factory.mktemp("day") / "demo", 1500, seed=360)
    return backend, directory


def expected_work(
    directory: Path, customer_of: dict[str, str], primary: dict[str, str], manager: str, day: date
) -> set[tuple[Any, ...]]:
    """The manager's work on ``day`` read from the files: (kind, customer, due day or case id, late).
    ``primary``: each customer's primary manager (source id) as resolution chose among its records'."""
    rules = get_rules()
    calendar = working_calendar(rules)
    now = clock.now()
    employees = {r["source_id"]: r for r in rows(directory, "am_app", "employees")}
    on_leave = {
        r["employee_id"] for r in rows(directory, "am_app", "leaves") if r["from"] <= day.isoformat() <= r["to"]
    }
    mine = {
        customer
        for customer, a in primary.items()
        if a == manager or (employees[a]["backup_id"] == manager and a in on_leave)
    }
    values: dict[str, dict[str, str]] = defaultdict(dict)
    for name in TRUST:
        for r in rows(directory, name, "customers"):
            customer = customer_of.get(f"{name}:customers:{r['source_id']}")
            for key in ("vip_card", "vip_card_since", "birth_date"):
                if customer in mine and r.get(key) and key not in values[customer]:
                    values[customer][key] = r[key]
    horizon = care_horizon(rules, day)
    contacts: dict[str, list[Contact]] = defaultdict(list)
    for name in sources(directory):
        for r in rows(directory, name, "contacts"):
            customer = customer_of.get(f"{name}:customers:{r['customer_source_id']}")
            at = clock.parse(r["at"])
            if customer in mine and r["direction"] == "outbound" and not r["called_number"]:
                if at.astimezone(clock.operator_zone()).date() >= horizon:
                    contacts[customer].append(Contact(at, r["kind"], r["mode"], "outbound", r["outcome"] or None))
    work: set[tuple[Any, ...]] = set()
    for customer in mine:
        v = values[customer]
        facts = CustomerFacts(
            customer,
            vip_card=v.get("vip_card") or None,
            vip_card_since=date.fromisoformat(v["vip_card_since"]) if v.get("vip_card_since") else None,
            birth_date=date.fromisoformat(v["birth_date"]) if v.get("birth_date") else None,
            contacts=tuple(contacts[customer]),
        )
        for item in care_due(facts, rules, calendar, day):
            if item.due is None or item.due <= day:
                work.add((item.kind.upper(), customer, item.due.isoformat() if item.due else None, item.overdue))
    events: dict[str, list[CaseEvent]] = defaultdict(list)
    for name in sources(directory):
        for r in rows(directory, name, "case_events"):
            case = record_id(name, "cases", r["case_source_id"])
            events[case].append(
                CaseEvent(record_id(name, "case_events", r["source_id"]), r["event"], clock.parse(r["at"]))
            )
    for name in sources(directory):
        for r in rows(directory, name, "cases"):
            customer = customer_of.get(f"{name}:customers:{r['customer_source_id']}")
            owner = record_id(name, "employees", r["employee_id"]) if r["employee_id"] else None
            if customer not in mine and owner != record_id("am_app", "employees", manager):
                continue
            case_id = record_id(name, "cases", r["source_id"])
            case = Case(case_id, r["kind"], clock.parse(r["opened_at"]), owner, r["channel"] or None)
            state = sla_state(case, events[case_id], rules, calendar, now)
            if is_open_item(state):
                work.add(("CASE", customer, case_id, state.breached))
    return work


async def served_work(store: Store, manager: str, day: date) -> set[tuple[Any, ...]]:
    work: set[tuple[Any, ...]] = set()
    after = None
    async with api_client(
        store, "account_manager", f"day-{manager}", record_id("am_app", "employees", manager)
    ) as client:
        while True:
            answer = await gql(client, DUE, **{"from": day.isoformat(), "to": day.isoformat(), "after": after})
            assert "errors" not in answer, answer
            page = answer["data"]["dueWork"]
            for n in page["nodes"]:
                if n["kind"] == "CASE":
                    work.add(("CASE", n["customerId"], n["case"]["id"], n["late"]))
                else:
                    work.add((n["kind"], n["customerId"], n["due"], n["late"]))
            if not page["pageInfo"]["hasNextPage"]:
                return work
            after = page["pageInfo"]["endCursor"]


async def test_every_managers_day_plan_matches_the_files(demo_day: tuple[Store, Path]) -> None:
    store, directory = demo_day
    start = reference_clock(directory)
    assert start is not None
    previous = clock.set_clock(clock.FixedClock(start))
    try:
        day = clock.today()
        customer_of = await crosswalk(store)
        primary = {
            r["customer"]: r["employee"].split(":")[-1] for r in await store.read(cypher_of_tests("primary_managers"))
        }
        managers = sorted(
            {r["account_manager_id"] for r in rows(directory, "am_app", "customers") if r["account_manager_id"]}
        )
        kinds: set[str] = set()
        breached = 0
        for manager in managers:
            expected = expected_work(directory, customer_of, primary, manager, day)
            assert await served_work(store, manager, day) == expected, manager
            kinds |= {w[0] for w in expected}
            breached += sum(1 for w in expected if w[0] == "CASE" and w[3])
        assert breached > 0
        # The demo's day exercises the plan: first visits, regular care, retries, and cases both in time and breached.
        assert {"CASE", "FIRST_VISIT", "VISIT", "CALL"} <= kinds, kinds
    finally:
        clock.set_clock(previous)
