"""Identity confirmed at the contact (接触归并) through the served API on both stores: a hall desk sees
the pending duplicate on the customer, submits the certificate it read, and confirms (merged under the
merge rules, kept merged by the next batch resolution) or denies (a rejection the next batch run
keeps); too little evidence, a certificate that differs and a merge the rules leave to a department
are refused and kept as checks for stewards; the number read is never stored nor answered."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from app.services.resolve import resolve_all
from app.store import Store
from loaders.ingest import ingest_file
from tests.conftest import api_client, cypher_of_tests
from tests.identities import credit_code, resident_id
from tests.integration.test_ingest import CUSTOMER_HEADER, customer, write_csv
from tests.integration.test_steward_api import crosswalk, gql

ALL_NODES = cypher_of_tests("all_nodes")
X = resident_id(777)
# X with a wrong check character: the ingest sets it aside, and resolution asks a steward about it.
X_MISTYPED = X[:-1] + ("0" if X[-1] != "0" else "1")
Y = resident_id(888, born="19850302")
Z = resident_id(999, born="19900101")
ORG = credit_code("MA2Y4X7K1")
HALL_EMPLOYEE = "E123"

VIEW = """query($id: ID!) { customer(id: $id) { id pendingDuplicates {
  candidateId probability check servicePasswordRequired reasons department presentRecordId
  other { id source name customerId } } } }"""
CONFIRM = """mutation($input: ConfirmIdentityInput!) { confirmIdentityAtContact(input: $input) {
  check { id candidateId channel employeeId at check probability certificateResult servicePassword samePerson
    outcome reason note }
  customerId mergeEventId userErrors { field message code } } }"""
CHECKS = """query($id: ID!) { contactChecks(candidateId: $id) {
  candidateId channel employeeId check certificateResult servicePassword samePerson outcome reason } }"""
CANDIDATE = "query($id: ID!) { matchCandidate(id: $id) { candidate { id status decidedBy } } }"
DECISIONS = """query($record: ID!) { stewardDecisions(recordId: $record) {
  nodes { kind why decidedBy candidate status } } }"""


def people(directory: Path) -> Path:
    rows = [
        # Same resident id, different names: a steward's review (same_certificate_different_name).
        customer("A1", "甄测试", X, "resident_id", phones="13300007771"),
        customer("A2", "欧阳某某", X, "resident_id", phones="13300007772"),
        # A1 again with a mistyped check character: review (invalid_certificate_against_valid).
        customer("A3", "甄测试", X_MISTYPED, "resident_id", phones="13300007771"),
        # The same again for another person, to deny.
        customer("V1", "林某", Y, "resident_id", phones="13300008881"),
        customer("V2", "林某", Y[:-1] + ("0" if Y[-1] != "0" else "1"), "resident_id", phones="13300008881"),
        # One enterprise in two local networks: the organisation department's to decide.
        customer("E1", "福州测试科技有限公司", ORG, "credit_code", phones="059187650001", segment="enterprise"),
        customer(
            "E2",
            "福州测试科技有限公司",
            ORG,
            "credit_code",
            phones="059187650001",
            segment="enterprise",
            local_network="0592",
        ),
    ]
    return write_csv(directory / "hall_customers.csv", CUSTOMER_HEADER, rows)


@pytest.fixture
async def desk(store: Store, tmp_path: Path) -> Store:
    await ingest_file(store, "hall", "customers", people(tmp_path))
    await resolve_all(store)
    return store


def record(source_id: str) -> str:
    return f"hall:customers:{source_id}"


async def customer_of(store: Store, source_id: str) -> str:
    return (await crosswalk(store))[record(source_id)]


async def pending(client: Any, customer_id: str) -> list[dict[str, Any]]:
    answer = await gql(client, VIEW, id=customer_id)
    assert "errors" not in answer, answer
    return answer["data"]["customer"]["pendingDuplicates"]


def the_one(found: list[dict[str, Any]], other: str, present: str | None = None) -> dict[str, Any]:
    matching = [
        p
        for p in found
        if p["other"]["id"] == record(other) and (present is None or p["presentRecordId"] == record(present))
    ]
    assert len(matching) == 1, found
    return matching[0]


async def confirm(
    client: Any, customer_id: str, candidate: str, number: str, password: str = "NOT_CHECKED", same: bool = True
) -> dict[str, Any]:
    answer = await gql(
        client,
        CONFIRM,
        input={
            "customerId": customer_id,
            "candidateId": candidate,
            "certificateType": "RESIDENT_ID",
            "certificateNumber": number,
            "servicePasswordChecked": password,
            "samePerson": same,
            "employeeId": HALL_EMPLOYEE,
            "note": "customer at the desk",
        },
    )
    assert "errors" not in answer, answer
    return answer["data"]["confirmIdentityAtContact"]


async def checks(store: Store, candidate: str) -> list[dict[str, Any]]:
    async with api_client(store, "steward") as steward:
        answer = await gql(steward, CHECKS, id=candidate)
    assert "errors" not in answer, answer
    return answer["data"]["contactChecks"]


async def status(store: Store, candidate: str) -> dict[str, Any]:
    async with api_client(store, "steward") as steward:
        return (await gql(steward, CANDIDATE, id=candidate))["data"]["matchCandidate"]["candidate"]


async def test_a_hall_desk_confirms_a_pending_duplicate_and_a_batch_run_keeps_it_merged(desk: Store) -> None:
    a1 = await customer_of(desk, "A1")
    assert a1 != await customer_of(desk, "A2")
    async with api_client(desk, "service_hall") as hall:
        found = await pending(hall, a1)
        shown = the_one(found, "A2")
        # A low score: the certificate must match both records; nothing of the other's certificate is shown.
        assert shown["check"] == "CERTIFICATE_BOTH" and not shown["servicePasswordRequired"]
        assert shown["probability"] < 0.85 and shown["presentRecordId"] == record("A1")
        assert shown["other"]["source"] == "hall" and shown["other"]["customerId"] == await customer_of(desk, "A2")
        assert X not in str(found) and X[-4:] not in str(found)
        done = await confirm(hall, a1, shown["candidateId"], f" {X.lower()} ")
        assert done["userErrors"] == [], done
        check = done["check"]
        assert (check["outcome"], check["certificateResult"], check["channel"]) == (
            "APPROVED",
            "MATCHES_BOTH",
            "SERVICE_HALL",
        )
        assert check["employeeId"] == HALL_EMPLOYEE and check["samePerson"] and done["mergeEventId"]
    merged = await crosswalk(desk)
    assert merged[record("A1")] == merged[record("A2")] == done["customerId"]
    assert (await status(desk, shown["candidateId"])) == {
        "id": shown["candidateId"],
        "status": "APPROVED",
        "decidedBy": f"service_hall:{HALL_EMPLOYEE}",
    }
    # The steward sees the evidence: the check kept beside the candidate, and the decision's why.
    kept = await checks(desk, shown["candidateId"])
    assert [(c["outcome"], c["certificateResult"], c["employeeId"]) for c in kept] == [
        ("APPROVED", "MATCHES_BOTH", HALL_EMPLOYEE)
    ]
    async with api_client(desk, "steward") as steward:
        decisions = (await gql(steward, DECISIONS, record=record("A1")))["data"]["stewardDecisions"]["nodes"]
    must = [d for d in decisions if d["kind"] == "MUST" and d["candidate"] == shown["candidateId"]]
    assert len(must) == 1 and must[0]["decidedBy"] == f"service_hall:{HALL_EMPLOYEE}", decisions
    assert "at the contact" in must[0]["why"] and "matches_both" in must[0]["why"]
    await resolve_all(desk)
    again = await crosswalk(desk)
    assert again[record("A1")] == again[record("A2")]


async def test_a_recent_merge_asks_the_service_password_and_too_little_evidence_is_refused(desk: Store) -> None:
    a1 = await customer_of(desk, "A1")
    async with api_client(desk, "service_hall") as hall:
        first = the_one(await pending(hall, a1), "A2")
        assert (await confirm(hall, a1, first["candidateId"], X))["userErrors"] == []
        survivor = await customer_of(desk, "A1")
        # A3 is a suspected duplicate of A1 and of A2, both of the merged customer now.
        found = await pending(hall, survivor)
        assert {p["presentRecordId"] for p in found} == {record("A1"), record("A2")}
        shown = the_one(found, "A3", "A1")
        # Merged a moment ago: the service password as well; A3's number was set aside (no certificate).
        assert shown["check"] == "CERTIFICATE_BOTH_AND_PASSWORD" and shown["servicePasswordRequired"]
        assert any("merged or split" in reason for reason in shown["reasons"])
        refused = await confirm(hall, survivor, shown["candidateId"], X)
        assert refused["check"] is None and refused["customerId"] is None
        assert [(e["field"], e["code"]) for e in refused["userErrors"]] == [
            (["input", "servicePasswordChecked"], "BAD_USER_INPUT")
        ], refused
        assert "service password" in refused["userErrors"][0]["message"]
        assert (await status(desk, shown["candidateId"]))["status"] == "PENDING"
        assert await customer_of(desk, "A3") != survivor
        done = await confirm(hall, survivor, shown["candidateId"], X, password="PASSED")
        assert done["userErrors"] == [] and done["check"]["certificateResult"] == "SIDE_HAS_NO_CERTIFICATE"
        # The other candidate on A3 is moot now: its records are one customer.
        assert await pending(hall, survivor) == []
    assert await customer_of(desk, "A3") == await customer_of(desk, "A1")
    kept = await checks(desk, shown["candidateId"])
    assert [(c["outcome"], c["servicePassword"], c["check"]) for c in kept] == [
        ("REFUSED", "NOT_CHECKED", "CERTIFICATE_BOTH_AND_PASSWORD"),
        ("APPROVED", "PASSED", "CERTIFICATE_BOTH_AND_PASSWORD"),
    ]


async def test_a_certificate_that_differs_is_refused_kept_and_the_number_never_stored(desk: Store) -> None:
    a1 = await customer_of(desk, "A1")
    async with api_client(desk, "service_hall") as hall:
        shown = the_one(await pending(hall, a1), "A2")
        refused = await confirm(hall, a1, shown["candidateId"], Z)
        assert [e["field"] for e in refused["userErrors"]] == [["input", "certificateNumber"]], refused
        assert "differs" in refused["userErrors"][0]["message"] and Z not in str(refused)
        # A denial of a pair holding one certificate is refused too: one certificate, one customer.
        denied = await confirm(hall, a1, shown["candidateId"], X, same=False)
        assert [e["field"] for e in denied["userErrors"]] == [["input", "samePerson"]], denied
    assert (await status(desk, shown["candidateId"]))["status"] == "PENDING"
    assert await customer_of(desk, "A1") != await customer_of(desk, "A2")
    kept = await checks(desk, shown["candidateId"])
    assert [(c["outcome"], c["certificateResult"], c["samePerson"]) for c in kept] == [
        ("REFUSED", "MATCHES_NEITHER", True),
        ("REFUSED", "MATCHES_BOTH", False),
    ]
    nodes = await desk.read(ALL_NODES)
    assert not [n for n in nodes if Z in str(n["properties"])]
    checked = [n["properties"] for n in nodes if "ContactCheck" in n["labels"]]
    assert len(checked) == 2 and not [p for p in checked if X in str(p)]


async def test_a_denial_rejects_the_candidate_and_survives_a_batch_run(desk: Store) -> None:
    v1 = await customer_of(desk, "V1")
    async with api_client(desk, "agent") as agent:
        shown = the_one(await pending(agent, v1), "V2")
        done = await confirm(agent, v1, shown["candidateId"], Y, same=False)
        assert done["userErrors"] == [] and done["check"]["outcome"] == "REJECTED", done
        assert done["customerId"] == v1 and done["mergeEventId"] is None
        assert await pending(agent, v1) == []
    assert (await status(desk, shown["candidateId"]))["decidedBy"] == f"agent:{HALL_EMPLOYEE}"
    await resolve_all(desk)
    assert await customer_of(desk, "V1") != await customer_of(desk, "V2")
    assert (await status(desk, shown["candidateId"]))["status"] == "REJECTED"
    async with api_client(desk, "steward") as steward:
        decisions = (await gql(steward, DECISIONS, record=record("V1")))["data"]["stewardDecisions"]["nodes"]
    assert [(d["kind"], d["status"]) for d in decisions] == [("CANNOT", "STANDING")], decisions
    assert "not the same person" in decisions[0]["why"]


async def test_a_merge_the_rules_leave_to_a_department_is_refused_at_the_desk(desk: Store) -> None:
    e1 = await customer_of(desk, "E1")
    async with api_client(desk, "service_hall") as hall:
        shown = the_one(await pending(hall, e1), "E2")
        assert shown["department"] == "organisation_customers"
        answer = await gql(
            hall,
            CONFIRM,
            input={
                "customerId": e1,
                "candidateId": shown["candidateId"],
                "certificateType": "CREDIT_CODE",
                "certificateNumber": ORG,
                "servicePasswordChecked": "PASSED",
                "samePerson": True,
                "employeeId": HALL_EMPLOYEE,
            },
        )
        refused = answer["data"]["confirmIdentityAtContact"]
        assert [e["code"] for e in refused["userErrors"]] == ["MERGE_RULE"], answer
        assert "organisation_customers" in refused["userErrors"][0]["message"]
    assert await customer_of(desk, "E1") != await customer_of(desk, "E2")
    kept = await checks(desk, shown["candidateId"])
    assert [(c["outcome"], c["reason"]) for c in kept] == [
        ("REFUSED", "merge rule organisations_across_local_networks")
    ]


async def test_who_may_confirm(desk: Store) -> None:
    a1 = await customer_of(desk, "A1")
    async with api_client(desk, "hotline") as hotline:
        shown = the_one(await pending(hotline, a1), "A2")
        hotline_input = {
            "customerId": a1,
            "candidateId": shown["candidateId"],
            "certificateType": "RESIDENT_ID",
            "certificateNumber": X,
            "servicePasswordChecked": "PASSED",
            "samePerson": True,
            "employeeId": "H1",
        }
        answer = await gql(hotline, CONFIRM, input=hotline_input)
        assert answer["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    async with api_client(desk, "service_hall") as hall:
        answer = await gql(hall, CHECKS, id=shown["candidateId"])
        assert answer["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    # An account manager acts for their own customers only (DOMAIN.md §5).
    async with api_client(desk, "account_manager", "am", "am_app:employees:E9") as manager:
        answer = await gql(manager, CONFIRM, input={**hotline_input, "employeeId": None})
        assert answer["errors"][0]["extensions"]["code"] == "FORBIDDEN", answer
    assert (await status(desk, shown["candidateId"]))["status"] == "PENDING"
    # The web hall's check is the customer's own online real-name check.
    async with api_client(desk, "web_hall") as web:
        done = await confirm(web, a1, shown["candidateId"], X)
    assert done["userErrors"] == [] and done["check"]["channel"] == "WEB_HALL", done
    assert (await status(desk, shown["candidateId"]))["decidedBy"] == f"web_hall:{HALL_EMPLOYEE}"


async def test_public_customers_across_local_networks_are_refused_at_the_desk(desk: Store, tmp_path: Path) -> None:
    """A2 moved to another local network after resolution proposed the pair: the merge rules refuse what
    the steward's approval would be refused, and the candidate stays pending for the next run."""
    moved = customer("A2", "欧阳某某", X, "resident_id", phones="13300007772", local_network="0592")
    await ingest_file(desk, "hall", "customers", write_csv(tmp_path / "moved.csv", CUSTOMER_HEADER, [moved]))
    a1 = await customer_of(desk, "A1")
    async with api_client(desk, "service_hall") as hall:
        shown = the_one(await pending(hall, a1), "A2")
        refused = await confirm(hall, a1, shown["candidateId"], X)
    assert [e["code"] for e in refused["userErrors"]] == ["MERGE_RULE"], refused
    assert "individuals_across_local_networks" in refused["userErrors"][0]["message"]
    assert await customer_of(desk, "A1") != await customer_of(desk, "A2")
    kept = await checks(desk, shown["candidateId"])
    assert [(c["outcome"], c["reason"]) for c in kept] == [("REFUSED", "merge rule individuals_across_local_networks")]
