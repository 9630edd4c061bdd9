"""The demo generator: deterministic per seed, valid against the formats, and as dirty as promised."""

from __future__ import annotations

import csv
import re
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from app.clock import instant
from app.record_kinds import check_row
from app.resolution.normalise import parse_credit_code, parse_resident_id
from app.rules import get_rules
from app.services.resolve import resolve_all
from app.store import Store
from app.working_calendar import working_calendar
from demo import generate, operator
from demo.operator import CLOCK_DAY, CLOCK_START, REFERENCE_DAY, Generator, ServicePlan, reference_clock
from loaders.manifest import ingest_directory, read_manifest
from tests.conftest import cypher_of_tests

POINTS = cypher_of_tests("service_points")
CASES = cypher_of_tests("service_cases")
LEAVES = cypher_of_tests("demo_leaves")
SERVICE_DATA = cypher_of_tests("demo_service_data")
# The columns the service standards' formats added (brand, notable, vip_card_since, a contact's mode,
# direction and called_number): empty in every row the generator wrote before it filled them.
# Columns added since those rows were pinned (the service standards, the channel collaboration): empty on them.
SERVICE_COLUMNS = {
    "brand",
    "notable",
    "vip_card_since",
    "mode",
    "direction",
    "called_number",
    "purpose",
    "satisfaction",
    "key_person_name",
    "enterprise_facts",
    "core",
}
SERVICE_KINDS = {"points", "cases", "case_events", "leaves"}


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("demo")
    generate(directory, 2000, seed=99)
    return directory


def customers(directory: Path) -> list[dict[str, str]]:
    rows = []
    for entry in read_manifest(directory):
        if entry.kind == "customers":
            with entry.path.open(encoding=entry.encoding, newline="") as handle:
                rows += [{**row, "source": entry.source} for row in csv.DictReader(handle)]
    return rows


def test_same_seed_same_files_other_seed_other_files(tmp_path: Path, demo: Path) -> None:
    generate(tmp_path / "again", 2000, seed=99)
    generate(tmp_path / "other", 2000, seed=100)
    for path in demo.rglob("*.csv"):
        relative = path.relative_to(demo)
        assert (tmp_path / "again" / relative).read_bytes() == path.read_bytes(), relative
    assert (tmp_path / "other" / "crm" / "customers.csv").read_bytes() != (demo / "crm" / "customers.csv").read_bytes()


def test_chunks_made_in_parallel_give_the_same_files_as_one_process(tmp_path: Path) -> None:
    generate(tmp_path / "one", 700, seed=99, workers=1, chunk_people=250)
    generate(tmp_path / "two", 700, seed=99, workers=2, chunk_people=250)
    one = sorted(p.relative_to(tmp_path / "one") for p in (tmp_path / "one").rglob("*") if p.is_file())
    assert one == sorted(p.relative_to(tmp_path / "two") for p in (tmp_path / "two").rglob("*") if p.is_file())
    assert not (tmp_path / "two" / ".chunks").exists()
    for relative in one:
        assert (tmp_path / "one" / relative).read_bytes() == (tmp_path / "two" / relative).read_bytes(), relative
    ids = [r["source_id"] for r in csv.DictReader((tmp_path / "two" / "crm" / "customers.csv").open(encoding="utf-8"))]
    assert len(ids) == len(set(ids)) and "source_id" not in ids
    assert any(i.startswith("CC02") for i in ids), "the third chunk numbers its ids from its own base"
    with pytest.raises(ValueError, match="overlap"):
        generate(tmp_path / "too-big", 10, seed=99, chunk_people=20_001)


def test_every_row_passes_its_format(demo: Path) -> None:
    for entry in read_manifest(demo):
        with entry.path.open(encoding=entry.encoding, newline="") as handle:
            for line, row in enumerate(csv.DictReader(handle), start=2):
                assert not check_row(entry.kind, line, row).problems, (entry.path, line, row)


def test_truth_covers_every_customer_record(demo: Path) -> None:
    with (demo / "truth.csv").open(encoding="utf-8") as handle:
        truth = {(r["source"], r["source_id"]): r["person_id"] for r in csv.DictReader(handle)}
    rows = customers(demo)
    assert {(r["source"], r["source_id"]) for r in rows} == set(truth)


def test_duplicates_and_noise_rates(demo: Path) -> None:
    rows = customers(demo)
    with (demo / "truth.csv").open(encoding="utf-8") as handle:
        truth = {(r["source"], r["source_id"]): r["person_id"] for r in csv.DictReader(handle)}
    people = Counter(truth.values())
    assert 1.8 <= len(rows) / len(people) <= 2.8
    within = Counter((r["source"], truth[(r["source"], r["source_id"])]) for r in rows)
    assert sum(1 for n in within.values() if n > 1) >= 5, "no duplicates within a source"
    blank = sum(1 for r in rows if not r["cert_no"]) / len(rows)
    assert 0.05 <= blank <= 0.15, blank
    resident = [r["cert_no"] for r in rows if r["cert_type"] == "resident_id"]
    assert all(parse_resident_id(c).valid for c in resident)
    assert sum(1 for c in resident if len(c) == 15) >= 10, "no old 15-digit ids"
    assert all(parse_credit_code(r["cert_no"]).valid for r in rows if r["cert_type"] == "credit_code")
    assert any(re.search("[０-９]", r["phones"] + r["cert_no"]) for r in rows), "no full-width digits"
    assert any(" " in r["name"] for r in rows), "no spaced names"
    assert any(r["phones"].startswith("+86") for r in rows)
    surnames = Counter(r["name"][0] for r in rows if r["segment"] == "individual")
    assert surnames.most_common(1)[0][0] in "王李张刘陈"
    names = Counter((r["name"], r["local_network"]) for r in rows if r["source"] == "crm")
    namesakes = [key for key, n in names.items() if n > 1]
    distinct_people = [
        key
        for key in namesakes
        if len(
            {
                truth[("crm", r["source_id"])]
                for r in rows
                if r["source"] == "crm" and (r["name"], r["local_network"]) == key
            }
        )
        > 1
    ]
    assert distinct_people, "no two different people with the same name"
    assert {r["segment"] for r in rows} == {"individual", "household", "small_business", "enterprise", "government"}


def test_hall_files_are_gb18030(demo: Path) -> None:
    entry = next(e for e in read_manifest(demo) if e.source == "hall" and e.kind == "customers")
    assert entry.encoding == "gb18030"
    raw = entry.path.read_bytes()
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")


# ------------------------------------------------------------------ the service standards' data (issue 20)


def rows_by_file(directory: Path) -> dict[tuple[str, str], list[dict[str, str]]]:
    found = {}
    for entry in read_manifest(directory):
        with entry.path.open(encoding=entry.encoding, newline="") as handle:
            found[(entry.source, entry.kind)] = list(csv.DictReader(handle))
    return found


def test_the_service_rows_leave_every_older_row_as_it_was(
    tmp_path: Path, demo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The generator with its service-standards part switched off writes the rows it wrote before that
    part existed; with it on, those rows are all still there, in the same order, with the same values
    (the service columns aside, which were empty), and every added row has an id of its own."""
    monkeypatch.setattr(operator, "_service_plan", lambda rng, people: ServicePlan())
    monkeypatch.setattr(operator, "_manner", lambda *args: {})
    monkeypatch.setattr(Generator, "service_rows", lambda self, *args: None)
    monkeypatch.setattr(Generator, "setup_leaves", lambda self, write=True: None)
    monkeypatch.setattr(operator, "CORE_AGENTS", 0)
    monkeypatch.setattr(operator, "CHANNEL_STAFF", ())
    generate(tmp_path / "old", 2000, seed=99, workers=1)
    old, new = rows_by_file(tmp_path / "old"), rows_by_file(demo)
    assert not {kind for _, kind in old} & SERVICE_KINDS and ("crm", "contacts") not in old
    assert {kind for _, kind in new} >= SERVICE_KINDS
    for key, before in old.items():
        ids = {row["source_id"] for row in before}
        after = [row for row in new[key] if row["source_id"] in ids]
        assert len(after) == len(before), key
        for was, now in zip(before, after):
            assert all(was[f] == "" for f in SERVICE_COLUMNS & set(was)), (key, was["source_id"])
            assert {f: v for f, v in now.items() if f not in SERVICE_COLUMNS} == {
                f: v for f, v in was.items() if f not in SERVICE_COLUMNS
            }, (key, was["source_id"])
        assert len({row["source_id"] for row in new[key]}) == len(new[key]), key
    assert (tmp_path / "old" / "truth.csv").read_bytes() == (demo / "truth.csv").read_bytes()


# Rows of this demo (2,000 people, seed 99) as the generator wrote them before the service standards,
# their columns but the service columns, in the file's order: they must not move.
PINNED = [
    tuple(line.split(" ", 1))
    for line in """
crm/customers CC00000001,李景萍,resident_id,430104800129982,19870918308,,福建省福州市仓山区五四路245号东方公寓24栋5单元3204室,1980-01-29,F,0591,individual,,,,2024-04-25T14:57:00+08:00,
am_app/customers AC00000049,李涵鑫,resident_id,350206194007142958,13300359659,,福建省厦门市湖里区金尚路314号华林花园16栋2单元2101室,1940-07-14,,0592,individual,,,,2024-07-17T01:28:00+08:00,
hall/customers HC00000300,张坤,resident_id,350206199505211402,19918785803,,福建省厦门市湖里区湖滨南路86号阳光苑28栋5单元1101室,1995-05-21,F,0592,individual,,,,2024-02-17T15:40:00+08:00,
crm/accounts CA00000019,CC00000019,postpaid,active,2024-09-20,
crm/subscriptions CS00000001,CC00000001,CA00000001,19870918308,mobile,M98,畅享98元套餐,active,2025-04-22,,,
crm/bills CB00000499,CA00000120,2026-05,23.56
crm/bills CB00009372,CA00002403,2026-10,41.59
am_app/contacts AC00000299,account_manager,consultation,2026-09-29T13:19:00+08:00,AC00000156,,AE00000022,consultation via account_manager,pending
hotline/contacts TC00000100,hotline,change,2026-05-06T11:43:00+08:00,TC00000046,,TE00000003,change via hotline,resolved
web/opportunities WO00000100,WC00000362,lead,consultation,won,web_hall,2026-10-31T12:44:00+08:00,千兆宽带,,,,
""".strip().splitlines()  # noqa: E501
]


@pytest.mark.parametrize(("file", "pinned"), PINNED, ids=[f"{f}/{p[:10]}" for f, p in PINNED])
def test_rows_written_before_the_service_standards_keep_their_values(demo: Path, file: str, pinned: str) -> None:
    source, kind = file.split("/")
    rows = rows_by_file(demo)[(source, kind)]
    row = next(r for r in rows if r["source_id"] == pinned.split(",")[0])
    assert ",".join(v for f, v in row.items() if f not in SERVICE_COLUMNS) == pinned


def test_the_clock_starts_on_a_working_morning_after_the_reference_day(demo: Path) -> None:
    assert reference_clock(demo) == CLOCK_START
    assert CLOCK_START.date() == CLOCK_DAY == REFERENCE_DAY + timedelta(days=1)
    assert working_calendar(get_rules()).is_working_day(CLOCK_DAY)


def test_the_service_standards_data_in_the_files(demo: Path) -> None:
    rows = rows_by_file(demo)
    points = rows[("crm", "points")]
    last_year = Counter()
    for row in points:
        if int(row["year"]) == REFERENCE_DAY.year - 1:
            last_year[row["account_source_id"]] += int(row["points"])
    postpaid = {r["source_id"] for r in rows[("crm", "accounts")] if r["account_type"] == "postpaid"}
    assert set(last_year) == postpaid, "every postpaid account has last year's points"
    assert {int(r["year"]) for r in points} == {REFERENCE_DAY.year - 1, REFERENCE_DAY.year}
    assert 0 < sum(1 for n in last_year.values() if n >= 50_000) < len(last_year) / 10
    brands = Counter((r["product_type"], r["brand"]) for r in rows[("crm", "subscriptions")])
    assert brands[("mobile", "全球通")] and brands[("mobile", "动感地带")] and brands[("mobile", "神州行")]
    assert not any(brand for (product, brand) in brands if product != "mobile")
    for source in ("crm", "am_app"):
        cards = [r for r in rows[(source, "customers")] if r["vip_card"]]
        assert cards and all(r["vip_card_since"] for r in cards)
        assert not any(r["vip_card_since"] for r in rows[(source, "customers")] if not r["vip_card"])
    since = [REFERENCE_DAY - datetime.fromisoformat(r["vip_card_since"]).date() for r in cards]
    assert min(since) > timedelta(0) and max(since) <= timedelta(days=548)
    assert any(d < timedelta(days=30) for d in since) and any(d.days in (30, 31) for d in since)
    assert any(r["notable"] == "true" for r in rows[("crm", "customers")])
    manner = Counter(
        (r["channel"], r["mode"], r["direction"])
        for (_, kind), found in rows.items()
        if kind == "contacts"
        for r in found
    )
    assert manner[("service_hall", "in_person", "inbound")] and manner[("hotline", "call", "inbound")]
    assert manner[("account_manager", "visit", "outbound")] and manner[("account_manager", "call", "outbound")]
    assert manner[("web_hall", "email", "inbound")] and manner[("web_hall", "", "inbound")]
    unanswered = [r for r in rows[("am_app", "contacts")] if r["outcome"] == "no_answer"]
    assert {r["at"][:10] for r in unanswered} == {REFERENCE_DAY.isoformat(), CLOCK_DAY.isoformat()}
    cases = [dict(r, source=s) for (s, kind), found in rows.items() if kind == "cases" for r in found]
    assert {r["source"] for r in cases} == {"hotline", "hall", "am_app"}
    assert {r["kind"] for r in cases} == {"consultation", "complaint", "phone_business", "emergency", "churn_warning"}
    staff = {(s, r["source_id"]) for (s, kind), found in rows.items() if kind == "employees" for r in found}
    assert all((r["source"], r["employee_id"]) in staff for r in cases), "the first person asked is an employee"
    events = Counter(r["event"] for (_, kind), found in rows.items() if kind == "case_events" for r in found)
    assert set(events) == {
        "answered", "promised", "solved", "final_answer", "customer_told", "paused", "resumed",
        "contacted", "retained", "lost", "closed",
    }  # fmt: skip
    opened = Counter(r["opened_at"][:10] for r in cases)
    spread = {(REFERENCE_DAY - datetime.fromisoformat(r["opened_at"]).date()).days for r in cases}
    assert max(spread) <= 60 and len(spread) > 30
    assert opened[REFERENCE_DAY.isoformat()] + opened[(REFERENCE_DAY - timedelta(days=1)).isoformat()] > 2 * (
        len(cases) / 60
    ), "a cluster on the reference day and the day before"
    leaves = rows[("am_app", "leaves")]
    assert any(r["from"] <= REFERENCE_DAY.isoformat() and CLOCK_DAY.isoformat() <= r["to"] for r in leaves)


async def test_a_loaded_demo_holds_the_service_standards_data(store: Store, tmp_path: Path) -> None:
    """A small demo, loaded and resolved: every file loads without a row refused, and the graph holds
    its points, brands, cards with their days, cases with events, leaves over the reference day,
    competitors' hotline calls, runs of broadband fault reports and contracts about to end."""
    directory = tmp_path / "demo"
    generate(directory, 600, seed=5)
    summaries = await ingest_directory(store, directory)
    assert {(s.source, s.kind) for s in summaries} >= {
        ("crm", "points"), ("crm", "contacts"), ("hotline", "cases"), ("hall", "case_events"), ("am_app", "leaves"),
    }  # fmt: skip
    assert [(s.path, s.rejected) for s in summaries if s.rejected] == []
    assert [(s.path, s.quarantined) for s in summaries if s.kind in SERVICE_KINDS and s.quarantined] == []
    await resolve_all(store)

    points = await store.read(POINTS)
    last_year = [r["node"]["points"] for r in points if r["node"]["year"] == REFERENCE_DAY.year - 1]
    assert points and all(r["accounts"] for r in points)
    assert any(p >= 50_000 for p in last_year) and sum(p < 50_000 for p in last_year) > 0.9 * len(last_year)

    cases = await store.read(CASES)
    assert cases and all(r["holders"] for r in cases), "every case hangs on its customer"
    assert sum(1 for r in cases if r["events"]) > len(cases) / 2
    assert {r["node"]["kind"] for r in cases} >= {"consultation", "complaint", "churn_warning"}
    assert all(r["node"]["employee_record"].startswith(f"{r['node']['source']}:employees:") for r in cases)

    leaves = await store.read(LEAVES)
    day, clock_day = REFERENCE_DAY.isoformat(), CLOCK_DAY.isoformat()
    covering = [r for r in leaves if r["first_day"] <= day and clock_day <= r["last_day"]]
    assert covering and all(r["backup"] for r in covering), "a backup acts while the manager is away"

    found = (
        await store.read(
            SERVICE_DATA,
            {
                "brand": "全球通",
                "competitors": ["10010", "10000"],
                "since": instant(datetime.combine(CLOCK_DAY - timedelta(days=29), datetime.min.time())),
                "until": instant(CLOCK_START),
                "today": clock_day,
                "soon": (CLOCK_DAY + timedelta(days=30)).isoformat(),
            },
        )
    )[0]
    assert all(found[name] > 0 for name in ("branded", "carded", "competitor_calls", "expiring", "fault_runs")), found
