"""Steward decisions last, and the hard merge rules hold on every path, through the real GraphQL app,
batch resolution and incremental resolution, on both stores.

A small demo gives the linker a model; a handful of crafted records give each scenario its pair:
R1/R2 one resident id under two names (a review candidate), N1/N2 two people without certificates,
S1/S2 one person twice (merged directly), A1/A2 one person with and without a certificate and B1 a
namesake with another certificate, O1/O2 one company registered in two local networks.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.services.incremental import resolve_records
from app.services.invariants import check_invariants
from app.services.resolve import resolve_all
from app.store import Store
from demo import generate
from loaders.ingest import ingest_file
from loaders.manifest import ingest_directory
from tests.conftest import api_client, record_input
from tests.identities import credit_code, resident_id
from tests.integration.test_steward_api import crosswalk

COLUMNS = ["source_id", "name", "cert_type", "cert_no", "phones", "local_network", "segment"]
SHARED = resident_id(771)
COMPANY = credit_code("TE9TQRG07")
ROWS = {
    "R1": ["甄测试", "resident_id", SHARED, "13300007771", "0591", "individual"],
    "R2": ["欧阳某某", "resident_id", SHARED, "13300007772", "0591", "individual"],
    "N1": ["李思源", "blank", "", "13300009991", "0591", "individual"],
    "N2": ["王建国", "blank", "", "13300009992", "0591", "individual"],
    "S1": ["陈分开", "resident_id", resident_id(772), "13300006661", "0591", "individual"],
    "S2": ["陈分开", "resident_id", resident_id(772), "13300006661", "0591", "individual"],
    "A1": ["张三丰", "resident_id", resident_id(773), "13300008881", "0591", "individual"],
    "A2": ["张三丰", "blank", "", "13300008881", "0591", "individual"],
    "B1": ["张三丰", "resident_id", resident_id(774), "13300008882", "0591", "individual"],
    "O1": ["福州测试科技有限公司", "credit_code", COMPANY, "13300005551", "0591", "enterprise"],
    "O2": ["福州测试科技有限公司", "credit_code", COMPANY, "13300005551", "0592", "enterprise"],
}

USER_ERRORS = "userErrors { field message code }"
RESULT = f"result {{ eventId survivorId absorbedId }} {USER_ERRORS}"
APPROVE = f"mutation($id: ID!) {{ approveCandidate(id: $id) {{ {RESULT} }} }}"
REJECT = (
    'mutation($id: ID!) { rejectCandidate(id: $id, reason: "two people") { '
    f"candidate {{ id status }} {USER_ERRORS} }} }}"
)
UNMERGE = f"mutation($id: ID!) {{ unmerge(eventId: $id) {{ {RESULT} }} }}"
MERGE = (
    "mutation($s: ID!, $a: ID!) { mergeCustomers(survivorId: $s, absorbedId: $a, reason: "
    f'"known to the hall") {{ {RESULT} }} }}'
)
SPLIT = f"mutation($c: ID!, $r: [ID!]!) {{ splitCustomer(customerId: $c, recordIds: $r) {{ {RESULT} }} }}"
QUEUE = """query($status: CandidateStatus!) { reviewQueue(status: $status, first: 100) {
  nodes { id status rule department } } }"""


def write_rows(path: Path, rows: dict[str, list[str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(COLUMNS)
        for source_id, values in rows.items():
            writer.writerow([source_id, *values])
    return path


def rid(source_id: str) -> str:
    return f"probe:customers:{source_id}"


@pytest.fixture
async def loaded(graph: Store, tmp_path: Path) -> Store:
    generate(tmp_path / "demo", 120, seed=5)
    await ingest_directory(graph, tmp_path / "demo")
    await ingest_file(graph, "probe", "customers", write_rows(tmp_path / "probe.csv", ROWS))
    await resolve_all(graph)
    return graph


async def gql(client: Any, query: str, **variables: Any) -> dict[str, Any]:
    return (await client.post("/graphql", json={"query": query, "variables": variables})).json()


def payload(answer: dict[str, Any]) -> dict[str, Any]:
    """The one mutation's payload of an answer without top-level errors."""
    assert "errors" not in answer, answer
    (found,) = answer["data"].values()
    return found


def done(answer: dict[str, Any]) -> dict[str, Any]:
    """The payload of a mutation that did its work: no refusal, its object present."""
    found = payload(answer)
    assert found["userErrors"] == [], answer
    assert all(v is not None for v in found.values()), answer
    return found


def refused(answer: dict[str, Any]) -> dict[str, Any]:
    """The one refusal a mutation answered as data (its object null, nothing done)."""
    found = payload(answer)
    assert len(found["userErrors"]) == 1, answer
    assert all(v is None for k, v in found.items() if k != "userErrors"), answer
    return found["userErrors"][0]


async def customer_of(store: Store) -> dict[str, str]:
    return await crosswalk(store)


async def candidate_between(client: Any, status: str, left: str, right: str) -> str | None:
    from app.ids import candidate_id

    wanted = candidate_id(rid(left), rid(right))
    queue = await gql(client, QUEUE, status=status)
    return next((c["id"] for c in queue["data"]["reviewQueue"]["nodes"] if c["id"] == wanted), None)


async def assert_checks_hold(store: Store) -> None:
    report = await check_invariants(store)
    assert report.ok, report.violations


async def test_an_approval_below_the_threshold_lasts_through_batch_runs(loaded: Store) -> None:
    async with api_client(loaded, "steward") as client:
        candidate = await candidate_between(client, "PENDING", "R1", "R2")
        assert candidate is not None
        done(await gql(client, APPROVE, id=candidate))
        for _ in range(2):
            await resolve_all(loaded)
            owners = await customer_of(loaded)
            assert owners[rid("R1")] == owners[rid("R2")]
            assert await candidate_between(client, "PENDING", "R1", "R2") is None
    await assert_checks_hold(loaded)


async def test_a_manual_merge_lasts_through_batch_and_incremental_runs(loaded: Store) -> None:
    owners = await customer_of(loaded)
    assert owners[rid("N1")] != owners[rid("N2")]
    async with api_client(loaded, "steward") as client:
        done(await gql(client, MERGE, s=owners[rid("N1")], a=owners[rid("N2")]))
    await resolve_all(loaded)
    owners = await customer_of(loaded)
    assert owners[rid("N1")] == owners[rid("N2")]
    placed = await resolve_records(loaded, [rid("N2")])
    assert placed[0].customer_id == owners[rid("N1")]
    await assert_checks_hold(loaded)


async def test_a_rejection_keeps_the_pair_apart_until_a_record_changes_its_identifying_fields(
    loaded: Store, tmp_path: Path
) -> None:
    async with api_client(loaded, "steward") as client:
        candidate = await candidate_between(client, "PENDING", "R1", "R2")
        assert candidate is not None
        assert done(await gql(client, REJECT, id=candidate))["candidate"] == {"id": candidate, "status": "REJECTED"}
        await resolve_all(loaded)
        owners = await customer_of(loaded)
        assert owners[rid("R1")] != owners[rid("R2")]
        assert await candidate_between(client, "PENDING", "R1", "R2") is None
        assert await candidate_between(client, "REJECTED", "R1", "R2") == candidate
        merged = refused(await gql(client, MERGE, s=owners[rid("R1")], a=owners[rid("R2")]))
        assert merged["code"] == "CONTRADICTS_DECISIONS", merged
        assert "R1" in merged["message"] and "R2" in merged["message"]
        changed = {"R2": [*ROWS["R2"][:3], "13300007773", *ROWS["R2"][4:]]}
        await ingest_file(loaded, "probe", "customers", write_rows(tmp_path / "changed.csv", changed))
        await resolve_all(loaded)
        assert await candidate_between(client, "PENDING", "R1", "R2") == candidate
    await assert_checks_hold(loaded)


async def test_an_unmerge_returns_the_candidate_and_keeps_the_pair_apart_until_decided(loaded: Store) -> None:
    async with api_client(loaded, "steward") as client:
        candidate = await candidate_between(client, "PENDING", "R1", "R2")
        assert candidate is not None
        event = done(await gql(client, APPROVE, id=candidate))["result"]["eventId"]
        assert done(await gql(client, UNMERGE, id=event))["result"]["eventId"] == event
        assert await candidate_between(client, "PENDING", "R1", "R2") == candidate
        await resolve_all(loaded)
        owners = await customer_of(loaded)
        assert owners[rid("R1")] != owners[rid("R2")]
        await assert_checks_hold(loaded)
        done(await gql(client, APPROVE, id=candidate))
        await resolve_all(loaded)
        owners = await customer_of(loaded)
        assert owners[rid("R1")] == owners[rid("R2")]
    await assert_checks_hold(loaded)


async def test_a_split_lasts_against_the_direct_merge_rule(loaded: Store) -> None:
    owners = await customer_of(loaded)
    assert owners[rid("S1")] == owners[rid("S2")]
    async with api_client(loaded, "steward") as client:
        split = done(await gql(client, SPLIT, c=owners[rid("S1")], r=[rid("S2")]))["result"]
        assert split["survivorId"] == owners[rid("S1")] != split["absorbedId"], split
    for _ in range(2):
        await resolve_all(loaded)
        owners = await customer_of(loaded)
        assert owners[rid("S1")] != owners[rid("S2")]
    await assert_checks_hold(loaded)


async def test_a_withdrawn_split_no_longer_holds(loaded: Store) -> None:
    owners = await customer_of(loaded)
    listing = """query($r: ID) { stewardDecisions(recordId: $r, first: 50) {
      nodes { id kind left right status } pageInfo { hasNextPage } } }"""
    async with api_client(loaded, "steward") as client:
        done(await gql(client, SPLIT, c=owners[rid("S1")], r=[rid("S2")]))
        found = (await gql(client, listing, r=rid("S2")))["data"]["stewardDecisions"]["nodes"]
        apart = [d for d in found if d["kind"] == "CANNOT"]
        assert len(apart) == 1 and {apart[0]["left"], apart[0]["right"]} == {rid("S1"), rid("S2")}
        withdrawn = await gql(
            client,
            'mutation($id: ID!) { withdrawDecision(id: $id, reason: "split in error") { decision { id status } '
            f"{USER_ERRORS} }} }}",
            id=apart[0]["id"],
        )
        assert done(withdrawn)["decision"] == {"id": apart[0]["id"], "status": "UNDONE"}, withdrawn
        assert (await gql(client, listing, r=rid("S2")))["data"]["stewardDecisions"]["nodes"] == []
    await resolve_all(loaded)
    owners = await customer_of(loaded)
    assert owners[rid("S1")] == owners[rid("S2")]
    await assert_checks_hold(loaded)


async def test_a_manual_merge_of_two_certificates_is_refused_naming_the_rule_and_both(loaded: Store) -> None:
    owners = await customer_of(loaded)
    async with api_client(loaded, "steward") as client:
        error = refused(await gql(client, MERGE, s=owners[rid("A1")], a=owners[rid("B1")]))
    assert error["code"] == "MERGE_RULE"
    assert "different_certificates" in error["message"]
    assert resident_id(773) in error["message"] and resident_id(774) in error["message"]
    assert await customer_of(loaded) == owners
    await assert_checks_hold(loaded)


async def test_organisations_across_networks_are_their_departments_to_approve(loaded: Store) -> None:
    async with api_client(loaded, "steward") as steward, api_client(loaded, "organisation_steward") as department:
        candidate = await candidate_between(steward, "PENDING", "O1", "O2")
        assert candidate is not None
        error = refused(await gql(steward, APPROVE, id=candidate))
        assert error["code"] == "MERGE_RULE"
        assert "organisation_customers" in error["message"]
        done(await gql(department, APPROVE, id=candidate))
    await resolve_all(loaded)
    owners = await customer_of(loaded)
    assert owners[rid("O1")] == owners[rid("O2")]
    await assert_checks_hold(loaded)


async def test_an_approval_a_later_change_makes_illegal_is_suspended_and_returned(
    loaded: Store, tmp_path: Path
) -> None:
    async with api_client(loaded, "steward") as client:
        candidate = await candidate_between(client, "PENDING", "R1", "R2")
        assert candidate is not None
        done(await gql(client, APPROVE, id=candidate))
        other = resident_id(775)
        changed = {"R2": [ROWS["R2"][0], "resident_id", other, *ROWS["R2"][3:]]}
        await ingest_file(loaded, "probe", "customers", write_rows(tmp_path / "changed.csv", changed))
        report = await resolve_all(loaded)
        assert report.summary["steward_decisions"]["suspended"] == 1
        owners = await customer_of(loaded)
        assert owners[rid("R1")] != owners[rid("R2")]
        assert await candidate_between(client, "PENDING", "R1", "R2") == candidate
        again = refused(await gql(client, APPROVE, id=candidate))
        assert again["code"] == "MERGE_RULE"
        assert other in again["message"]
    await assert_checks_hold(loaded)


async def test_incremental_resolution_does_not_bridge_two_certificates(loaded: Store, tmp_path: Path) -> None:
    """A1 (certificate) and A2 (none, same phone) are one customer; a new record with A2's name and phone
    and another valid certificate matches A2 best, but may not join a customer holding A1's."""
    owners = await customer_of(loaded)
    assert owners[rid("A1")] == owners[rid("A2")]
    newcomer = {"A3": ["张三丰", "resident_id", resident_id(776), "13300008881", "0591", "individual"]}
    await ingest_file(loaded, "probe", "customers", write_rows(tmp_path / "new.csv", newcomer))
    placed = (await resolve_records(loaded, [rid("A3")]))[0]
    assert placed.customer_id != owners[rid("A1")]
    await assert_checks_hold(loaded)


async def test_a_rejection_and_a_merge_at_once_cannot_both_land(loaded: Store) -> None:
    """Two stewards on the same pair at the same moment: one rejects R1/R2's candidate while the other merges
    their customers by hand. Whichever writes second sees the first (a customer version changed) and is
    refused, so no merge joins a pair a standing decision keeps apart."""
    from app.errors import ConflictError
    from app.services.merge_review import MergeReview
    from app.services.merges import Merges

    owners = await customer_of(loaded)
    left, right = owners[rid("R1")], owners[rid("R2")]
    async with api_client(loaded, "steward") as client:
        candidate = await candidate_between(client, "PENDING", "R1", "R2")
    assert candidate is not None

    class Racing(Merges):
        async def _golden(self, record_ids: Any) -> Any:
            """Between reading the standing decisions and writing, the other steward rejects the pair."""
            await MergeReview(loaded, Merges(loaded)).reject(candidate, decided_by="steward-a", note="two people")
            return await super()._golden(record_ids)

    with pytest.raises(ConflictError):
        await Racing(loaded).merge(left, right, decided_by="steward-b")
    owners = await customer_of(loaded)
    assert owners[rid("R1")] != owners[rid("R2")]
    await assert_checks_hold(loaded)


async def test_a_rejection_read_before_a_merge_is_refused_when_it_lands_after(loaded: Store) -> None:
    from app.errors import ConflictError
    from app.services.merge_review import MergeReview
    from app.services.merges import Merges

    owners = await customer_of(loaded)
    async with api_client(loaded, "steward") as client:
        candidate = await candidate_between(client, "PENDING", "R1", "R2")
    assert candidate is not None

    class Racing(MergeReview):
        async def detail(self, candidate_id: str) -> Any:
            read = await super().detail(candidate_id)
            await Merges(loaded).merge(owners[rid("R1")], owners[rid("R2")], decided_by="steward-b")
            return read

    with pytest.raises(ConflictError):
        await Racing(loaded, Merges(loaded)).reject(candidate, decided_by="steward-a", note="two people")
    owners = await customer_of(loaded)
    assert owners[rid("R1")] == owners[rid("R2")]
    await assert_checks_hold(loaded)


MATCH = """query($r: CustomerRecordInput!) { match(record: $r) {
  decision probability explanation customer { id } } }"""


async def test_match_does_not_answer_merge_for_a_customer_the_record_may_not_join(loaded: Store) -> None:
    """match() asks the hard rules about the whole customer, as incremental resolution does: A3 scores as a
    merge with A2 alone, but its customer holds A1's other certificate, so the answer is review."""
    owners = await customer_of(loaded)
    probe = record_input(
        {
            "name": "张三丰",
            "cert_type": "resident_id",
            "cert_no": resident_id(776),
            "phones": ["13300008881"],
            "local_network": "0591",
        }
    )
    async with api_client(loaded, "admin") as client:
        answer = await gql(client, MATCH, r=probe)
    assert "errors" not in answer, answer
    found = {m["customer"]["id"]: m for m in answer["data"]["match"]}
    assert owners[rid("A1")] in found, answer
    mine = found[owners[rid("A1")]]
    assert mine["decision"] == "REVIEW", mine
    assert mine["explanation"]["policy_rule"] == "different_certificates", mine
    assert all(m["decision"] != "MERGE" for m in found.values()), found


# ---------------------------------------------------------------- property: decisions are never lost

Step = tuple[str, int]
steps = st.lists(
    st.tuples(
        st.sampled_from(["approve", "reject", "merge", "split", "unmerge", "batch", "incremental"]), st.integers(0, 99)
    ),
    min_size=1,
    max_size=6,
)
STATE: dict[str, Any] = {}


async def decided_records(store: Store) -> set[str]:
    from app.services.steward_decisions import standing

    return {r for d in await standing(store) for r in (d.left, d.right)}


async def act(store: Store, client: Any, step: Step, tmp_path: Path) -> None:
    """One steward action through the API, or one run; a refusal by the rules or the decisions is an
    answer, not a failure, and must leave the crosswalk as it was."""
    kind, k = step
    owners = await customer_of(store)
    if kind in ("approve", "reject"):
        queue = (await gql(client, QUEUE, status="PENDING"))["data"]["reviewQueue"]["nodes"]
        if queue:
            await gql(client, APPROVE if kind == "approve" else REJECT, id=queue[k % len(queue)]["id"])
    elif kind == "merge":
        pair = sorted({owners[rid(s)] for s in ("N1", "N2", "R1", "R2", "A2")})
        if len(pair) >= 2:
            answer = payload(await gql(client, MERGE, s=pair[k % len(pair)], a=pair[(k + 1) % len(pair)]))
            if answer["userErrors"]:
                assert answer["result"] is None, answer
                assert [e["code"] for e in answer["userErrors"]] in (["MERGE_RULE"], ["CONTRADICTS_DECISIONS"]), answer
                assert await customer_of(store) == owners
            else:
                assert answer["result"]["survivorId"] == pair[k % len(pair)], answer
    elif kind == "split":
        together = [r for r in owners if r.startswith("probe:") and owners[r] == owners[rid("S1")]]
        if len(together) >= 2:
            await gql(client, SPLIT, c=owners[rid("S1")], r=[together[-1]])
    elif kind == "unmerge":
        events = STATE.setdefault("events", [])
        history = await gql(
            client,
            "query($id: ID!) { mergeHistory(customerId: $id, first: 100) { nodes { id kind undoneAt } "
            "pageInfo { hasNextPage } } }",
            id=owners[rid(["R1", "N1", "O1"][k % 3])],
        )
        events_page = history["data"]["mergeHistory"]
        assert not events_page["pageInfo"]["hasNextPage"], history
        open_merges = [e["id"] for e in events_page["nodes"] if e["kind"] == "MERGE" and not e["undoneAt"]]
        events.extend(open_merges)
        if open_merges:
            await gql(client, UNMERGE, id=open_merges[0])
    elif kind == "incremental":
        source_id = ["N2", "A2", "R2"][k % 3]
        values = list(ROWS[source_id])
        values[3] = f"133000{k:05d}"
        await ingest_file(store, "probe", "customers", write_rows(tmp_path / f"inc{k}.csv", {source_id: values}))
        STATE.setdefault("changed", set()).add(rid(source_id))
        await resolve_records(store, [rid(source_id)])
    else:
        decided = await decided_records(store)
        changed = STATE.pop("changed", set())
        touched = {c for r, c in owners.items() if r in decided or r in changed}
        await resolve_all(store)
        after = await customer_of(store)
        moved = [r for r, c in owners.items() if c not in touched and after.get(r) != c]
        assert not moved, moved[:5]
    await assert_checks_hold(store)


@settings(max_examples=8, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(plan=steps)
async def test_steward_actions_interleaved_with_runs_never_lose_a_decision(
    graph: Store, tmp_path_factory: pytest.TempPathFactory, plan: list[Step]
) -> None:
    if STATE.get("store") is not graph:
        STATE.clear()
        tmp = tmp_path_factory.mktemp("decisions")
        generate(tmp / "demo", 120, seed=5)
        await ingest_directory(graph, tmp / "demo")
        await ingest_file(graph, "probe", "customers", write_rows(tmp / "probe.csv", ROWS))
        await resolve_all(graph)
        STATE.update(store=graph, tmp=tmp)
    async with api_client(graph, "admin") as client:
        for step in plan:
            await act(graph, client, step, STATE["tmp"])
