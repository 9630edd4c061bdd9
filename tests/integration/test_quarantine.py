"""Nothing is dropped for one bad field (issue 17), on both backends: a file's row whose field fails
its rule lands with the field set aside and listed in the rejects file as a field issue; only rows
that cannot be records are refused whole; the API stays strict; resolution weighs a mistyped id
as weak evidence and sends it to review against a different valid one; `c360 ingest` fails a
delivery that refuses too many rows or lacks a required column."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from app.errors import BadInput
from app.resolution.prepare import match_record
from app.services.channel_writes import submit_customer_record
from app.services.resolve import resolve_all
from app.services.source_records import customer_records
from app.store import Store
from loaders.formats import SourceFileError
from loaders.ingest import ingest_file, rejects_path
from tests.conftest import api_client, c360, cypher_of_tests, load_demo, record_input
from tests.identities import resident_id
from tests.integration.test_ingest import CUSTOMER_HEADER, count, customer, read_rejects, write_csv
from tests.integration.test_steward_api import QUEUE, crosswalk, gql

PROPERTIES = cypher_of_tests("source_record_properties")
ALL_NODES = cypher_of_tests("all_nodes")

GOOD_ID = resident_id(417, born="19850302")
MISTYPED_ID = GOOD_ID[:-1] + ("0" if GOOD_ID[-1] != "0" else "1")
LONG_ADDRESS = "福建省福州市鼓楼区" + "测试路" * 100


async def stored(store: Store, rid: str) -> dict[str, object]:
    rows = await store.read(PROPERTIES, {"id": rid})
    return rows[0]["props"] if rows else {}


def dirty_file(path: Path) -> Path:
    """Ten rows as a hall desk's export has them: five clean, four with one bad field each, one
    that is no record, and a line with a column too many."""
    rows = [customer(str(n), name=f"客户{n}", phones=f"1381234567{n}") for n in range(5)]
    rows += [
        customer("typo", cert_type="resident_id", cert_no=MISTYPED_ID),
        customer("day", birth_date="1985-02-30"),
        customer("anon", name=""),
        customer("long", address=LONG_ADDRESS),
        customer("nobody", name="", phones="", birth_date=""),
    ]
    write_csv(path, CUSTOMER_HEADER, rows)
    with path.open("a", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerow([*customer("wide").values(), "one too many"])
    return path


async def test_a_dirty_file_loads_every_record_and_sets_bad_fields_aside(graph: Store, tmp_path: Path) -> None:
    path = dirty_file(tmp_path / "hall.csv")
    summary = await ingest_file(graph, "hall", "customers", path)
    assert (summary.read, summary.written, summary.rejected) == (11, 9, 2)
    assert (summary.quarantined, summary.quarantined_rows) == (4, 4)
    assert summary.rejects_file == str(rejects_path(path))
    issues = {(r["source_id"], r["issue"], r["field"]) for r in read_rejects(path)}
    assert issues == {
        ("typo", "field", "cert_no"),
        ("day", "field", "birth_date"),
        ("anon", "field", "name"),
        ("long", "field", "address"),
        ("nobody", "row", "name"),
        ("nobody", "row", "(row)"),
        ("", "row", "(row)"),
    }
    assert await count(graph, "customers") == 9

    typo = await stored(graph, "hall:customers:typo")
    assert "cert_no" not in typo and typo["cert_type"] == "resident_id"
    assert json.loads(str(typo["invalid_fields"]))["cert_no"]["value"] == MISTYPED_ID
    long = await stored(graph, "hall:customers:long")
    kept = json.loads(str(long["invalid_fields"]))["address"]
    assert kept["length"] == len(LONG_ADDRESS) and kept["value"] == LONG_ADDRESS[:200]
    assert json.loads(str(long["fields"]))["address"] == LONG_ADDRESS[:200]
    assert "invalid_fields" not in await stored(graph, "hall:customers:0")

    [typo_row] = await customer_records(graph, ["hall:customers:typo"])
    matched = match_record(typo_row)
    assert (matched.cert_no, matched.cert_valid) == (MISTYPED_ID, False)

    again = await ingest_file(graph, "hall", "customers", path)
    assert (again.written, again.unchanged, again.rejected, again.quarantined) == (0, 9, 2, 4)
    fixed = [customer("typo", cert_type="resident_id", cert_no=GOOD_ID)]
    await ingest_file(graph, "hall", "customers", write_csv(tmp_path / "fix.csv", CUSTOMER_HEADER, fixed))
    typo = await stored(graph, "hall:customers:typo")
    assert typo["cert_no"] == GOOD_ID and "invalid_fields" not in typo


async def test_an_unknown_account_manager_is_set_aside_without_inventing_an_employee(
    graph: Store, tmp_path: Path
) -> None:
    path = write_csv(tmp_path / "c.csv", CUSTOMER_HEADER, [customer("m", account_manager_id="E404")])
    summary = await ingest_file(graph, "crm", "customers", path)
    assert (summary.written, summary.rejected, summary.quarantined) == (1, 0, 1)
    [issue] = read_rejects(path)
    assert (issue["issue"], issue["field"]) == ("field", "account_manager_id") and "E404" in issue["reason"]
    record = await stored(graph, "crm:customers:m")
    assert "manager_record" not in record and "account_manager_id" not in record
    assert not [n for n in await graph.read(ALL_NODES) if "Employee" in n["labels"]]


SUBMIT = """mutation($r: CustomerRecordInput!) { submitCustomerRecord(record: $r) {
  recordId decision warnings { field message } userErrors { field message code } } }"""


async def test_the_api_keeps_a_record_without_a_mistyped_field_and_refuses_what_is_no_record(
    graph: Store, tmp_path: Path
) -> None:
    """At a desk a mistyped certificate or an unknown manager is set aside and named, the record kept;
    an over-long value is refused, naming the record, the field and the limit, and nothing is written."""
    await load_demo(graph, tmp_path / "demo", 40, seed=19)
    customers_before = await count(graph, "customers")
    base = {
        "source_id": "w-9",
        "name": "林某",
        "phones": "13812345670",
        "local_network": "0591",
        "segment": "individual",
    }
    with pytest.raises(BadInput) as too_long:
        await submit_customer_record(graph, "web_hall", {**base, "name": "林" * 201})
    message = str(too_long.value)
    assert "api_web_hall:customers:w-9" in message and "name" in message and "more than the 200" in message
    async with api_client(graph, "web_hall") as web:
        answer = await gql(web, SUBMIT, r=record_input({**base, "address": LONG_ADDRESS}))
        refused = answer["data"]["submitCustomerRecord"]
        assert refused["recordId"] is None and refused["warnings"] == []
        [error] = refused["userErrors"]
        assert error["code"] == "BAD_USER_INPUT" and error["field"] == ["record", "address"]
        assert "w-9" in error["message"] and "characters" in error["message"]
        assert await count(graph, "customers") == customers_before
        answer = await gql(
            web,
            SUBMIT,
            r=record_input({**base, "cert_type": "resident_id", "cert_no": MISTYPED_ID, "account_manager_id": "E404"}),
        )
    kept = answer["data"]["submitCustomerRecord"]
    assert kept["userErrors"] == [] and kept["recordId"] == "api_web_hall:customers:w-9"
    warned = {tuple(w["field"]): w["message"] for w in kept["warnings"]}
    assert set(warned) == {("record", "certNo"), ("record", "accountManagerId")}
    assert (
        "not a valid resident id" in warned[("record", "certNo")] and "E404" in warned[("record", "accountManagerId")]
    )
    assert MISTYPED_ID not in str(answer), "the set-aside value is not echoed"
    record = await stored(graph, "api_web_hall:customers:w-9")
    assert "cert_no" not in record and MISTYPED_ID in record["invalid_fields"]


async def test_a_mistyped_id_joins_the_customer_of_the_valid_one_only_through_review(
    graph: Store, tmp_path: Path
) -> None:
    """A hall desk typed one character of a resident id wrong: the record is kept, matched on the
    mistyped number as a near match, and a steward is asked, instead of a second customer appearing
    silently (the record used to be dropped) or a hard rule trusting an id that fails its check."""
    await load_demo(graph, tmp_path / "demo", 80, seed=17)
    person = {
        "name": "欧阳测试",
        "birth_date": "1985-03-02",
        "phones": "13912345678",
        "address": "福州市鼓楼区测试路8号",
    }
    rows = [
        customer("valid", cert_type="resident_id", cert_no=GOOD_ID, **person),
        customer("typo", cert_type="resident_id", cert_no=MISTYPED_ID, **person),
    ]
    summary = await ingest_file(graph, "hall", "customers", write_csv(tmp_path / "two.csv", CUSTOMER_HEADER, rows))
    assert (summary.written, summary.rejected, summary.quarantined) == (2, 0, 1)
    await resolve_all(graph)
    customers = await crosswalk(graph)
    assert customers["hall:customers:valid"] != customers["hall:customers:typo"]
    async with api_client(graph, "steward") as steward:
        queue = (await gql(steward, QUEUE))["data"]["reviewQueue"]["nodes"]
    assert "invalid_certificate_against_valid" in [c["rule"] for c in queue]


async def test_ingest_exits_non_zero_when_too_many_rows_are_refused_whole(graph: Store, tmp_path: Path) -> None:
    path = dirty_file(tmp_path / "hall.csv")
    failed = c360(graph, "ingest", "--source", "hall", "--kind", "customers", str(path))
    assert failed.returncode == 1, failed.stdout + failed.stderr
    assert "2 of 11 rows (18.2%) were rejected whole" in failed.stderr
    assert "4 fields quarantined" in failed.stdout
    assert await count(graph, "customers") == 9
    allowed = c360(graph, "ingest", "--source", "hall", "--kind", "customers", "--max-rejected-share", "0.2", str(path))
    assert allowed.returncode == 0, allowed.stdout + allowed.stderr


async def test_ingest_refuses_a_file_whose_header_lacks_a_required_column(graph: Store, tmp_path: Path) -> None:
    header = [c for c in CUSTOMER_HEADER if c != "segment"]
    rows = [{k: v for k, v in customer("1").items() if k != "segment"}]
    path = write_csv(tmp_path / "c.csv", header, rows)
    with pytest.raises(SourceFileError, match="lacks the required column segment"):
        await ingest_file(graph, "crm", "customers", path)
    done = c360(graph, "ingest", "--source", "crm", "--kind", "customers", str(path))
    assert done.returncode == 1 and "lacks the required column segment" in done.stderr
    assert await count(graph, "customers") == 0
