"""Ingest against the real embedded store: validation rules, rejects, idempotency, kill and re-run."""

from __future__ import annotations

import asyncio
import csv
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest

from app.customer import SOURCE_ATTRIBUTES
from app.services.source_records import RecordWriter
from app.store import Store
from app.store.embedded import EmbeddedStore
from loaders.formats import SourceFileError
from loaders.ingest import Ingest, ingest_file, rejects_path
from tests.conftest import cypher_of_tests

COUNT_RECORDS = cypher_of_tests("count_source_records")
RECORD = cypher_of_tests("source_record")
PROPERTIES = cypher_of_tests("source_record_properties")
NODE = cypher_of_tests("node_of_id")

CUSTOMER_HEADER = ["source_id", *(a.key for a in SOURCE_ATTRIBUTES)]


def resident_id(body17: str) -> str:
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    return body17 + "10X98765432"[sum(int(d) * w for d, w in zip(body17, weights)) % 11]


GOOD_ID = resident_id("35010219850302123")
BAD_CHECKSUM_ID = GOOD_ID[:-1] + ("0" if GOOD_ID[-1] != "0" else "1")


def customer(
    source_id: str, name: str = "张三", cert_no: str = "", cert_type: str = "", **extra: str
) -> dict[str, str]:
    row = {k: "" for k in CUSTOMER_HEADER}
    row.update(
        source_id=source_id,
        name=name,
        cert_type=cert_type,
        cert_no=cert_no,
        phones="13812345678",
        local_network="0591",
        segment="individual",
        birth_date="1985-03-02",
    )
    row.update(extra)
    return row


def write_csv(path: Path, header: list[str], rows: list[dict[str, str]], encoding: str = "utf-8") -> Path:
    with path.open("w", encoding=encoding, newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=header)
        writer.writeheader()
        writer.writerows(rows)
    return path


def read_rejects(path: Path) -> list[dict[str, str]]:
    with rejects_path(path).open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


async def count(store: Store, kind: str) -> int:
    return (await store.read(COUNT_RECORDS, {"kind": kind}))[0]["n"]


async def test_valid_rows_land_with_every_original_field(graph: Store, tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "c.csv",
        CUSTOMER_HEADER + ["loyalty_note"],
        [dict(customer("1", cert_type="resident_id", cert_no=GOOD_ID.lower()), loyalty_note="金牌")],
    )
    summary = await ingest_file(graph, "crm", "customers", path)
    assert (summary.read, summary.written, summary.created, summary.rejected) == (1, 1, 1, 0)
    row = (await graph.read(RECORD, {"id": "crm:customers:1"}))[0]
    assert row["cert_no"] == GOOD_ID and row["phones"] == ["13812345678"]
    assert '"loyalty_note":"金牌"' in row["fields"] and row["loaded_at"] == row["changed_at"]
    assert not rejects_path(path).exists()


@pytest.mark.parametrize(
    ("field", "value", "reason"),
    [
        ("cert_no", BAD_CHECKSUM_ID, "not a valid resident id"),
        ("birth_date", "1985-02-30", "is not a date"),
        ("phones", "12345", "is not a phone number"),
        ("segment", "vip", "is not one of"),
        ("email", "not-an-email", "is not an e-mail address"),
        ("name", "", "is required"),
        ("updated_at", "yesterday", "is not an ISO-8601 time"),
        ("org_class", "A", "customers have an org_class"),
        ("address", "厦门\x00路", "NUL character"),
    ],
)
async def test_each_validation_rule_sets_the_field_aside_and_the_row_lands(
    graph: Store, tmp_path: Path, field: str, value: str, reason: str
) -> None:
    """A field that fails its rule costs the field, not the customer: the row lands without it, the
    rejects file lists it as a field issue, and the record keeps what the source gave."""
    bad = customer("bad", cert_type="resident_id", cert_no=GOOD_ID)
    bad[field] = value
    path = write_csv(tmp_path / "c.csv", CUSTOMER_HEADER, [customer("good"), bad])
    summary = await ingest_file(graph, "crm", "customers", path)
    assert (summary.written, summary.rejected, summary.quarantined, summary.quarantined_rows) == (2, 0, 1, 1)
    rejects = read_rejects(path)
    assert [(r["line"], r["source_id"], r["issue"], r["field"]) for r in rejects] == [("3", "bad", "field", field)]
    assert reason in rejects[0]["reason"]
    assert await count(graph, "customers") == 2
    stored = (await graph.read(PROPERTIES, {"id": "crm:customers:bad"}))[0]["props"]
    assert stored.get(field) is None
    assert json.loads(stored["invalid_fields"])[field]["value"] == value
    assert json.loads(stored["fields"])[field] == value


async def test_an_id_whose_region_no_table_lists_lands_flagged_and_counts_as_valid(
    graph: Store, tmp_path: Path
) -> None:
    """Region 990102 is in no edition of the division table: the row is kept (checksum and birth date are
    right), listed in FILE.warnings.csv, and its certificate still counts for the hard merge rules."""
    from app.resolution.normalise import parse_resident_id
    from app.resolution.prepare import match_record

    unknown = resident_id("99010219850317123")
    known = resident_id("35010219850317123")
    rows = [
        customer("u", cert_type="resident_id", cert_no=unknown),
        customer("k", cert_type="resident_id", cert_no=known),
    ]
    path = write_csv(tmp_path / "c.csv", CUSTOMER_HEADER, rows)
    summary = await ingest_file(graph, "crm", "customers", path)
    assert (summary.written, summary.rejected, summary.warned) == (2, 0, 1)
    assert summary.warnings_file == str(path) + ".warnings.csv"
    with open(summary.warnings_file, encoding="utf-8", newline="") as handle:
        warned = list(csv.DictReader(handle))
    assert [(w["line"], w["source_id"], w["field"]) for w in warned] == [("2", "u", "cert_no")]
    assert "990102" in warned[0]["reason"]
    stored = (await graph.read(RECORD, {"id": "crm:customers:u"}))[0]
    assert stored["cert_no"] == unknown
    assert parse_resident_id(unknown).valid and not parse_resident_id(unknown).region_known
    assert match_record({"cert_type": "resident_id", "cert_no": unknown}).cert_valid


async def test_a_fixed_line_the_numbering_plan_does_not_list_lands_flagged(graph: Store, tmp_path: Path) -> None:
    """Xiamen's local numbers have 7 digits; an 8-digit one (an old record, a typo) is kept as written,
    matched as it is, and listed for a look in FILE.warnings.csv."""
    rows = [customer("x", phones="0592-22345678;13812345678", local_network="0592"), customer("m")]
    path = write_csv(tmp_path / "c.csv", CUSTOMER_HEADER, rows)
    summary = await ingest_file(graph, "crm", "customers", path)
    assert (summary.written, summary.rejected, summary.warned) == (2, 0, 1)
    with open(str(path) + ".warnings.csv", encoding="utf-8", newline="") as handle:
        warned = list(csv.DictReader(handle))
    assert [(w["source_id"], w["field"]) for w in warned] == [("x", "phones")]
    assert "059222345678" in warned[0]["reason"] and "numbering plan" in warned[0]["reason"]
    assert (await graph.read(RECORD, {"id": "crm:customers:x"}))[0]["phones"] == ["059222345678", "13812345678"]


async def test_unknown_reference_is_rejected_and_the_rest_lands(graph: Store, tmp_path: Path) -> None:
    await ingest_file(graph, "crm", "customers", write_csv(tmp_path / "c.csv", CUSTOMER_HEADER, [customer("1")]))
    header = ["source_id", "customer_source_id", "account_type", "status", "opened_at", "updated_at"]
    rows = [
        {
            "source_id": "A1",
            "customer_source_id": "1",
            "account_type": "postpaid",
            "status": "active",
            "opened_at": "",
            "updated_at": "",
        },
        {
            "source_id": "A2",
            "customer_source_id": "404",
            "account_type": "prepaid",
            "status": "active",
            "opened_at": "",
            "updated_at": "",
        },
    ]
    path = write_csv(tmp_path / "a.csv", header, rows)
    summary = await ingest_file(graph, "crm", "accounts", path)
    assert (summary.written, summary.rejected) == (1, 1)
    reject = read_rejects(path)[0]
    assert reject["field"] == "customer_source_id" and "does not exist" in reject["reason"]


async def test_bad_encoding_row_is_rejected_alone(graph: Store, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "c.csv", CUSTOMER_HEADER, [customer("1"), customer("2", name="李四"), customer("3")])
    lines = path.read_bytes().split(b"\n")
    lines[2] = lines[2].replace("李四".encode(), b"\xff\xfe")
    path.write_bytes(b"\n".join(lines))
    summary = await ingest_file(graph, "crm", "customers", path)
    assert (summary.written, summary.rejected) == (2, 1)
    reject = read_rejects(path)[0]
    assert reject["line"] == "3" and "do not decode as utf-8" in reject["reason"]


async def test_gb18030_file(graph: Store, tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "c.csv",
        CUSTOMER_HEADER,
        [customer("1", name="欧阳娜娜", address="福建省福州市鼓楼区")],
        encoding="gb18030",
    )
    with pytest.raises(SourceFileError, match="try --encoding gb18030"):
        await ingest_file(graph, "crm", "customers", path)
    summary = await ingest_file(graph, "crm", "customers", path, encoding="gb18030")
    assert summary.written == 1
    assert (await graph.read(RECORD, {"id": "crm:customers:1"}))[0]["name"] == "欧阳娜娜"


async def test_reingest_is_idempotent_and_changes_update(graph: Store, tmp_path: Path) -> None:
    rows = [customer(str(i), name=f"客户{i}") for i in range(30)]
    path = write_csv(tmp_path / "c.csv", CUSTOMER_HEADER, rows)
    first = await ingest_file(graph, "crm", "customers", path, batch_size=7)
    assert first.created == 30
    again = await ingest_file(graph, "crm", "customers", path, batch_size=7)
    assert (again.written, again.unchanged, again.created, again.changed) == (0, 30, 0, 0)
    before = (await graph.read(RECORD, {"id": "crm:customers:5"}))[0]
    rows[5]["email"] = "kehu5@example.cn"
    time.sleep(0.01)
    changed = await ingest_file(graph, "crm", "customers", write_csv(path, CUSTOMER_HEADER, rows), batch_size=7)
    assert (changed.changed, changed.unchanged) == (1, 29)
    after = (await graph.read(RECORD, {"id": "crm:customers:5"}))[0]
    assert after["email"] == "kehu5@example.cn" and after["version"] == 2
    assert after["loaded_at"] == before["loaded_at"] and after["changed_at"] > before["changed_at"]
    assert await count(graph, "customers") == 30


async def test_a_batch_reads_the_store_once_before_it_is_written_and_the_first_batches_grow(
    graph: Store, tmp_path: Path
) -> None:
    """The batch's own records are looked up with its references (one read, not two), and a file's
    first batch is small, so the store starts writing while the next one is prepared."""
    rows = [customer(str(i), name=f"客户{i}") for i in range(1300)]
    path = write_csv(tmp_path / "c.csv", CUSTOMER_HEADER, rows)
    before = dict(graph.stats.by_query)

    def calls(name: str) -> int:
        return graph.stats.by_query.get(name, 0) - before.get(name, 0)

    first = await ingest_file(graph, "crm", "customers", path, batch_size=1000)
    assert first.created == 1300
    assert (calls("ingest/known_records"), calls("ingest/customers_new")) == (2, 2)  # 500 rows, then 800
    again = await ingest_file(graph, "crm", "customers", path, batch_size=1000)
    assert (again.unchanged, again.written) == (1300, 0)
    assert (calls("ingest/known_records"), calls("ingest/customers_new"), calls("ingest/customers")) == (4, 2, 0)


class BlindWriter(RecordWriter):
    """Sees no existing records, as a writer racing another one would a moment before it writes."""

    async def _existing(self, ids: Iterable[str]) -> dict[str, str | None]:
        return {}


class BlindIngest(Ingest):
    def __init__(self, store: Store, source: str, kind: str, **options: Any) -> None:
        super().__init__(store, source, kind, **options)
        self.writer = BlindWriter(store, source, kind)


async def test_new_records_created_by_a_racing_writer_are_upserted_not_doubled(graph: Store, tmp_path: Path) -> None:
    rows = [customer(str(i), name=f"客户{i}") for i in range(12)]
    path = write_csv(tmp_path / "c.csv", CUSTOMER_HEADER, rows)
    await ingest_file(graph, "crm", "customers", path, batch_size=5)
    rows[3]["email"] = "kehu3@example.cn"
    raced = await BlindIngest(graph, "crm", "customers", batch_size=5).run(write_csv(path, CUSTOMER_HEADER, rows))
    assert (raced.read, raced.written, raced.rejected) == (12, 12, 0)
    assert await count(graph, "customers") == 12
    record = (await graph.read(RECORD, {"id": "crm:customers:3"}))[0]
    assert record["email"] == "kehu3@example.cn" and record["version"] == 2


async def test_killed_ingest_rerun_ends_like_one_clean_run(embedded_store: Store, tmp_path: Path) -> None:
    """Kill the CLI mid-file (SIGKILL) once its first batches have landed, run it again: exactly
    the records of one clean run."""
    data_dir = embedded_store.server.data_dir  # type: ignore[attr-defined]
    watcher = EmbeddedStore(data_dir, graph_name="c360_kill", pool_size=2)
    rows = [customer(str(i), name=f"客户{i}", phones=f"138{i:08d}") for i in range(60_000)]
    path = write_csv(tmp_path / "big.csv", CUSTOMER_HEADER, rows)
    env = {**os.environ, "C360_DATA_DIR": str(data_dir), "C360_GRAPH_NAME": "c360_kill"}
    env.pop("NEO4J_URI", None)
    command = [
        sys.executable,
        "-m",
        "app.cli",
        "ingest",
        "--source",
        "crm",
        "--kind",
        "customers",
        "--batch-size",
        "2000",
        str(path),
    ]
    subprocess.run(
        [sys.executable, "-m", "app.cli", "store", "reset", "--yes"], env=env, check=True, capture_output=True
    )
    proc = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    await watcher.start()
    try:
        deadline = time.monotonic() + 60
        while await count(watcher, "customers") < 4000 and proc.poll() is None and time.monotonic() < deadline:
            await asyncio.sleep(0.02)
    finally:
        await watcher.close()
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    partial = subprocess.run(
        [sys.executable, "-m", "app.cli", "store", "stats"], env=env, capture_output=True, text=True
    ).stdout
    rerun = subprocess.run(command, env=env, capture_output=True, text=True)
    assert rerun.returncode == 0, rerun.stderr
    stats = subprocess.run(
        [sys.executable, "-m", "app.cli", "store", "stats"], env=env, capture_output=True, text=True
    ).stdout
    assert "SourceRecord" in stats and " 60000" in stats, (partial, stats)
    assert "60000" not in partial, "the kill came too late to test anything"


async def test_a_file_ingest_gives_back_the_thread_switch_interval(graph: Store, tmp_path: Path) -> None:
    """The ingest shortens the interpreter's switch interval while a file runs; nothing else in the
    process (an API server) should keep it."""
    before = sys.getswitchinterval()
    path = write_csv(tmp_path / "c.csv", CUSTOMER_HEADER, [customer(str(i)) for i in range(3)])
    summary = await ingest_file(graph, "crm", "customers", path)
    assert summary.written == 3 and sys.getswitchinterval() == before


async def test_opportunities_land_and_a_bad_stage_is_rejected(graph: Store, tmp_path: Path) -> None:
    await ingest_file(graph, "hall", "customers", write_csv(tmp_path / "c.csv", CUSTOMER_HEADER, [customer("1")]))
    header = [
        "source_id",
        "customer_source_id",
        "kind",
        "need",
        "stage",
        "channel",
        "captured_at",
        "product",
        "contact_person",
        "key_person",
        "employee_id",
        "claimed_at",
    ]
    good = {
        "source_id": "O1",
        "customer_source_id": "1",
        "kind": "opportunity",
        "need": "purchase",
        "stage": "captured",
        "channel": "service_hall",
        "captured_at": "2026-10-01T10:00:00+08:00",
        "product": "千兆宽带",
        "contact_person": "",
        "key_person": "",
        "employee_id": "",
        "claimed_at": "",
    }
    path = write_csv(tmp_path / "o.csv", header, [good, {**good, "source_id": "O2", "stage": "promised"}])
    summary = await ingest_file(graph, "hall", "opportunities", path)
    assert (summary.written, summary.rejected) == (1, 1)
    reject = read_rejects(path)[0]
    assert (reject["source_id"], reject["field"]) == ("O2", "stage") and "is not one of" in reject["reason"]
    assert await count(graph, "opportunities") == 1


async def test_an_offering_named_twice_in_one_batch_keeps_the_later_name(graph: Store, tmp_path: Path) -> None:
    """Row by row, as the file gives them, new or changed: FalkorDB's FOREACH had kept the first."""
    await ingest_file(graph, "crm", "customers", write_csv(tmp_path / "c.csv", CUSTOMER_HEADER, [customer("1")]))
    header = [
        "source_id",
        "customer_source_id",
        "service_no",
        "product_type",
        "offering_code",
        "offering_name",
        "status",
    ]

    def line(source_id: str, number: str, name: str) -> dict[str, str]:
        return {
            "source_id": source_id,
            "customer_source_id": "1",
            "service_no": number,
            "product_type": "mobile",
            "offering_code": "M58",
            "offering_name": name,
            "status": "active",
        }

    names = ["", "first", "", "later", ""]
    rows = [line(f"S{n}", f"1380000000{n}", name) for n, name in enumerate(names)]
    path = write_csv(tmp_path / "s.csv", header, rows)
    assert (await ingest_file(graph, "crm", "subscriptions", path)).created == 5
    assert (await graph.read(NODE, {"id": "M58"}))[0]["node"]["name"] == "later"
    names = ["again", "", "last", "", ""]
    rows = [line(f"S{n}", f"1380000000{n}", name) for n, name in enumerate(names)]
    assert (await ingest_file(graph, "crm", "subscriptions", write_csv(path, header, rows))).changed == 4
    assert (await graph.read(NODE, {"id": "M58"}))[0]["node"]["name"] == "last"
