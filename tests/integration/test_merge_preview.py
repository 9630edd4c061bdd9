"""What a steward sees before deciding a suspected duplicate, through the real GraphQL app on both
stores: each record's name, local network, segment and dates (in the queue's rows too), and the golden
record approving it would produce, which is the one the merge then writes, masked as the role sees it,
with the refusal the caller's approval would meet."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import pytest

import app.api_keys
from app.access import AccessPolicy, access_policy, mask
from app.services.resolve import resolve_all
from app.store import Store
from loaders.ingest import ingest_file
from tests.conftest import api_client
from tests.identities import credit_code
from tests.integration.test_steward_api import crafted_pair

RECORD = "id source sourceId customerId name localNetwork segment loadedAt changedAt"
QUEUE = f"""{{ reviewQueue(first: 50) {{ nodes {{ id rule department
  left {{ {RECORD} }} right {{ {RECORD} }} }} }} }}"""
PREVIEW_FIELDS = """survivorId absorbedId recordCount name certificateType certificateNumber phones localNetwork
  segment customerGroup sources refusal { message code } survivor { id }"""
DETAIL = f"""query($id: ID!) {{ matchCandidate(id: $id) {{
  candidate {{ id status left {{ id name }} right {{ id name }} }}
  left {{ {RECORD} fields }} right {{ {RECORD} fields }}
  mergePreview {{ {PREVIEW_FIELDS} }} }} }}"""
APPROVE = """mutation($id: ID!) { approveCandidate(id: $id) {
  result { survivorId absorbedId } userErrors { message code } } }"""
CUSTOMER = """query($id: ID!) { customer(id: $id) { id name certificateType certificateNumber phones localNetwork
  segment customerGroup sources sourceRecords { totalCount } } }"""
MASKED_STEWARD = "masked_steward"


async def gql(client: Any, query: str, **variables: Any) -> dict[str, Any]:
    answer = (await client.post("/graphql", json={"query": query, "variables": variables})).json()
    assert "errors" not in answer, answer
    return answer["data"]


@pytest.fixture
async def pair(graph: Store, tmp_path: Path) -> Store:
    """The crafted pair of 0591 (same resident id, different names), one of them with a second phone."""
    await ingest_file(graph, "probe", "customers", crafted_pair(tmp_path))
    await resolve_all(graph)
    return graph


def organisations(directory: Path) -> Path:
    """One enterprise in two local networks: the rules leave the merge to the organisation department."""
    path = directory / "org_customers.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["source_id", "name", "cert_type", "cert_no", "phones", "local_network", "segment"])
        code = credit_code("MA2Y4X7K1")
        writer.writerow(["E1", "福州测试科技有限公司", "credit_code", code, "059187650001", "0591", "enterprise"])
        writer.writerow(["E2", "福州测试科技有限公司", "credit_code", code, "059187650001", "0592", "enterprise"])
    return path


async def only_candidate(client: Any, rule: str) -> dict[str, Any]:
    nodes = [c for c in (await gql(client, QUEUE))["reviewQueue"]["nodes"] if c["rule"] == rule]
    assert len(nodes) == 1, nodes
    return nodes[0]


async def test_rows_and_records_show_name_network_segment_and_dates(pair: Store) -> None:
    async with api_client(pair, "steward") as client:
        row = await only_candidate(client, "same_certificate_different_name")
        assert {row["left"]["name"], row["right"]["name"]} == {"甄测试", "欧阳某某"}
        for side in (row["left"], row["right"]):
            assert (side["source"], side["localNetwork"], side["segment"]) == ("probe", "0591", "INDIVIDUAL")
            assert side["loadedAt"] and side["changedAt"] and side["customerId"]
            assert side["loadedAt"].endswith("+08:00")
        detail = (await gql(client, DETAIL, id=row["id"]))["matchCandidate"]
        # The detail's records are the row's, and the candidate's own records the same again.
        assert {k: v for k, v in detail["left"].items() if k != "fields"} == row["left"]
        assert {k: v for k, v in detail["right"].items() if k != "fields"} == row["right"]
        assert detail["candidate"]["left"] == {"id": row["left"]["id"], "name": row["left"]["name"]}
        assert detail["left"]["fields"]["name"] == detail["left"]["name"]


async def test_the_preview_is_the_golden_record_the_merge_writes(pair: Store) -> None:
    async with api_client(pair, "steward") as client:
        row = await only_candidate(client, "same_certificate_different_name")
        preview = (await gql(client, DETAIL, id=row["id"]))["matchCandidate"]["mergePreview"]
        assert preview["refusal"] is None
        assert preview["recordCount"] == 2 and preview["sources"] == ["probe"]
        assert {preview["survivorId"], preview["absorbedId"]} == {row["left"]["customerId"], row["right"]["customerId"]}
        assert preview["survivor"] == {"id": preview["survivorId"]}
        assert preview["name"] in ("甄测试", "欧阳某某")
        assert sorted(preview["phones"]) == ["13300007771", "13300007772"]
        before = (await gql(client, CUSTOMER, id=preview["survivorId"]))["customer"]
        assert before["phones"] != preview["phones"]  # the union is not yet the survivor's
        merged = (await gql(client, APPROVE, id=row["id"]))["approveCandidate"]
        assert merged["userErrors"] == [] and merged["result"] == {
            "survivorId": preview["survivorId"],
            "absorbedId": preview["absorbedId"],
        }
        after = (await gql(client, CUSTOMER, id=preview["survivorId"]))["customer"]
        assert after["sourceRecords"]["totalCount"] == preview["recordCount"]
        for key in ("name", "certificateType", "certificateNumber", "localNetwork", "segment", "customerGroup"):
            assert after[key] == preview[key], key
        assert sorted(after["phones"]) == sorted(preview["phones"]) and after["sources"] == preview["sources"]
        # Decided: there is nothing left to preview.
        assert (await gql(client, DETAIL, id=row["id"]))["matchCandidate"]["mergePreview"] is None


def with_masked_steward() -> AccessPolicy:
    """access.toml's policy and a steward role that sees every personal field masked: none in the
    shipped table does (every review role sees in full), but an operator's may."""
    policy = access_policy()
    steward = policy.roles["steward"]
    role = steward.model_copy(update={"personal": dict.fromkeys(steward.personal, "masked")})
    return policy.model_copy(
        update={
            "roles": {**policy.roles, MASKED_STEWARD: role},
            "rate_limits": {**policy.rate_limits, MASKED_STEWARD: policy.rate_limits["steward"]},
        }
    )


async def test_the_preview_and_records_are_masked_as_the_role_sees_them(
    pair: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with api_client(pair, "steward") as client:
        row = await only_candidate(client, "same_certificate_different_name")
        full = (await gql(client, DETAIL, id=row["id"]))["matchCandidate"]
    monkeypatch.setattr(app.api_keys, "access_policy", with_masked_steward)
    async with api_client(pair, MASKED_STEWARD) as client:
        shown = (await gql(client, DETAIL, id=row["id"]))["matchCandidate"]
    cert = full["mergePreview"]["certificateNumber"]
    assert cert and len(cert) == 18
    preview = shown["mergePreview"]
    assert preview["certificateNumber"] == mask("certificate", cert, "resident_id") != cert
    assert sorted(preview["phones"]) == sorted(mask("phone", p) for p in full["mergePreview"]["phones"])
    assert not set(preview["phones"]) & set(full["mergePreview"]["phones"])
    # Plain attributes are shown as they are.
    for key in ("name", "localNetwork", "segment", "survivorId", "recordCount"):
        assert preview[key] == full["mergePreview"][key], key
    for side in ("left", "right"):
        assert shown[side]["fields"]["cert_no"] == mask("certificate", cert, "resident_id")
        assert shown[side]["name"] == full[side]["name"]


async def test_an_analyst_reads_no_preview(pair: Store) -> None:
    async with api_client(pair, "steward") as client:
        row = await only_candidate(client, "same_certificate_different_name")
    async with api_client(pair, "analyst") as client:
        answer = (await client.post("/graphql", json={"query": DETAIL, "variables": {"id": row["id"]}})).json()
    assert answer["errors"][0]["extensions"]["code"] == "FORBIDDEN" and answer["data"] is None


async def test_the_preview_says_whose_decision_an_organisation_across_networks_is(graph: Store, tmp_path: Path) -> None:
    await ingest_file(graph, "probe", "customers", organisations(tmp_path))
    await resolve_all(graph)
    async with api_client(graph, "steward") as client:
        row = await only_candidate(client, "organisations_across_local_networks")
        assert row["department"] == "organisation_customers"
        assert {row["left"]["localNetwork"], row["right"]["localNetwork"]} == {"0591", "0592"}
        assert row["left"]["segment"] == row["right"]["segment"] == "ENTERPRISE"
        refused = (await gql(client, DETAIL, id=row["id"]))["matchCandidate"]["mergePreview"]
        # The steward's approval would be refused as approveCandidate refuses it.
        said = (await gql(client, APPROVE, id=row["id"]))["approveCandidate"]
    assert refused["refusal"] is not None and refused["refusal"]["code"] == "MERGE_RULE"
    assert said["userErrors"] == [refused["refusal"]]
    assert "organisation_customers" in refused["refusal"]["message"]
    async with api_client(graph, "organisation_steward", "li") as client:
        allowed = (await gql(client, DETAIL, id=row["id"]))["matchCandidate"]["mergePreview"]
        assert allowed["refusal"] is None
        assert allowed["customerGroup"] == "ORGANISATION" and allowed["recordCount"] == 2
        assert allowed["localNetwork"] in ("0591", "0592")
        merged = (await gql(client, APPROVE, id=row["id"]))["approveCandidate"]
        assert merged["userErrors"] == [] and merged["result"]["survivorId"] == allowed["survivorId"]
