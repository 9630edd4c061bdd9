"""Account-manager scope (DOMAIN.md section 5, issue 18): a key bound to an employee sees in full and
acts only for the customers that employee manages as A, and as B (A's backup) only while A is on
leave; leave periods are a source kind (leaves), read with the injectable clock before, during and
after one. Outside that scope the manager gets the agent's masked view and may not act (FORBIDDEN)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from app.access import mask
from app.clock import FixedClock
from app.ids import record_id
from app.services.resolve import resolve_all
from app.store import Store
from loaders.ingest import ingest_file
from tests.conftest import api_client, record_input
from tests.integration.test_ingest import CUSTOMER_HEADER, resident_id, write_csv
from tests.integration.test_steward_api import crosswalk, gql

PHONE = "13912345678"
CERT = resident_id("11010119900307123")
VIEW = "query($id: ID!) { customer(id: $id) { id phones } }"
CONTACT = "mutation($c: ContactRecordInput!) { recordContact(contact: $c) { customer { id } } }"


async def managed(store: Store, tmp_path: Path) -> str:
    """c1 is managed by E1 (A), whose backup is E2 (B); E1 is on leave 2026-12-10 to 2026-12-20."""
    employees = [
        {"source_id": "E1", "name": "陈经理", "role": "account_manager", "local_network": "0591", "backup_id": "E2"},
        {"source_id": "E2", "name": "林经理", "role": "account_manager", "local_network": "0591", "backup_id": ""},
    ]
    header = ["source_id", "name", "role", "local_network", "backup_id"]
    await ingest_file(store, "crm", "employees", write_csv(tmp_path / "employees.csv", header, employees))
    row = {k: "" for k in CUSTOMER_HEADER} | {
        "source_id": "c1",
        "name": "王小明",
        "phones": PHONE,
        "cert_type": "resident_id",
        "cert_no": CERT,
        "local_network": "0591",
        "segment": "individual",
        "account_manager_id": "E1",
    }
    await ingest_file(store, "crm", "customers", write_csv(tmp_path / "customers.csv", CUSTOMER_HEADER, [row]))
    leaves = [
        {"source_id": "L1", "employee_id": "E1", "from": "2026-12-10", "to": "2026-12-20"},
        {"source_id": "L2", "employee_id": "E9", "from": "2026-12-10", "to": "2026-12-20"},
        {"source_id": "L3", "employee_id": "E2", "from": "2026-12-20", "to": "2026-12-10"},
    ]
    path = write_csv(tmp_path / "leaves.csv", ["source_id", "employee_id", "from", "to"], leaves)
    summary = await ingest_file(store, "crm", "leaves", path)
    assert summary.rejected == 2, "a leave of an unknown employee and one ending before it starts are refused"
    await resolve_all(store)
    return (await crosswalk(store))["crm:customers:c1"]


async def phones_and_contact(store: Store, employee: str, customer: str) -> tuple[list[str], str | None]:
    async with api_client(store, "account_manager", f"am-{employee}", record_id("crm", "employees", employee)) as am:
        phones = (await gql(am, VIEW, id=customer))["data"]["customer"]["phones"]
        answer = await gql(am, CONTACT, c={"customerId": customer, "kind": "CARE_VISIT"})
    errors = answer.get("errors") or []
    return phones, errors[0]["extensions"]["code"] if errors else None


async def test_the_backup_acts_only_during_the_managers_leave(
    store: Store, tmp_path: Path, fixed_clock: FixedClock
) -> None:
    customer = await managed(store, tmp_path)
    masked = mask("phone", PHONE)
    # FIXED_NOW is 2026-11-30: before the leave.
    assert await phones_and_contact(store, "E1", customer) == ([PHONE], None)
    assert await phones_and_contact(store, "E2", customer) == ([masked], "FORBIDDEN")
    fixed_clock.advance(timedelta(days=15))  # 2026-12-15: during it
    assert await phones_and_contact(store, "E2", customer) == ([PHONE], None)
    assert await phones_and_contact(store, "E1", customer) == ([PHONE], None)
    fixed_clock.advance(timedelta(days=6))  # 2026-12-21: after it
    assert await phones_and_contact(store, "E2", customer) == ([masked], "FORBIDDEN")


async def test_a_manager_may_not_submit_a_record_for_someone_elses_customer(
    store: Store, tmp_path: Path, fixed_clock: FixedClock
) -> None:
    customer = await managed(store, tmp_path)
    submit = """mutation($r: CustomerRecordInput!) {
      submitCustomerRecord(record: $r) { decision customer { id phones } } }"""
    record = {"name": "王小明", "cert_type": "resident_id", "cert_no": CERT, "phones": PHONE}
    record = record_input(record | {"local_network": "0591", "segment": "individual"})
    async with api_client(store, "account_manager", "am-E2", record_id("crm", "employees", "E2")) as other:
        refused = await gql(other, submit, r=record)
    assert refused.get("errors"), refused
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert PHONE not in str(refused) and CERT not in str(refused)
    async with api_client(store, "account_manager", "am-E1", record_id("crm", "employees", "E1")) as own:
        accepted = await gql(own, submit, r=record)
    assert "errors" not in accepted, accepted
    assert accepted["data"]["submitCustomerRecord"]["customer"]["id"] == customer
