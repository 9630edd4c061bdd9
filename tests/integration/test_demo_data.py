"""The demo generator: deterministic per seed, valid against the formats, and as dirty as promised."""

from __future__ import annotations

import csv
import re
from collections import Counter
from pathlib import Path

import pytest

from app.record_kinds import check_row
from app.resolution.normalise import parse_credit_code, parse_resident_id
from demo import generate
from loaders.manifest import read_manifest


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
