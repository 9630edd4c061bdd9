"""The opportunity hand-off (商机转移, DOMAIN.md §8) through the served API on both stores, from real
files, at a fixed moment: captured at the hall, routed to the account manager, claimed, returned with a
reason, re-dispatched by the operations centre, claimed and won, its whole history visible to the hall;
two claims at once (one wins), a step on a closed one refused, the routing rules (backup on leave, core
agent with the phone account manager covering, the operations centre), escalation with the clock, the
call-back with its survey answer, roles without the capability refused, and a merge keeping it all."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from app import clock
from app.services.resolve import resolve_all
from app.store import Store
from loaders.ingest import ingest_file
from tests.conftest import api_client, cypher_of_tests
from tests.integration.test_ingest import CUSTOMER_HEADER, GOOD_ID, customer, write_csv
from tests.integration.test_service_standards_served import ask
from tests.integration.test_steward_api import crosswalk, gql

BEIJING = timezone(timedelta(hours=8))
# Wednesday 2 December 2026, 10:00 in Beijing.
NOW = datetime(2026, 12, 2, 10, 0, tzinfo=BEIJING)
AM1, AM2 = "crm:employees:AM1", "crm:employees:AM2"
AG1, PAM1, OPS = "crm:employees:AG1", "crm:employees:PAM1", "crm:employees:OPS1"

HAND_OFF = """handOff { customerId receivingChannel routedToId coveredById ownerId escalated escalation nextDueAt
  steps { kind channel employeeId bySystem reason toChannel toEmployeeId }
  callBack { id employeeId dueAt doneAt overdue } }"""
FIELDS = f"id kind need stage channel product contactPerson keyPersonName enterpriseFacts claimedBy {HAND_OFF}"
CAPTURE = f"""mutation($o: CaptureOpportunityInput!) {{ captureOpportunity(opportunity: $o) {{
  opportunity {{ {FIELDS} }} userErrors {{ field message code }} }} }}"""
CLAIM = f"""mutation($id: ID!) {{ claimOpportunity(id: $id) {{
  opportunity {{ {FIELDS} }} userErrors {{ message code }} }} }}"""
RETURN = f"""mutation($id: ID!, $reason: String!) {{ returnOpportunity(id: $id, reason: $reason) {{
  opportunity {{ {FIELDS} }} userErrors {{ message code }} }} }}"""
DISPATCH = f"""mutation($id: ID!, $employee: ID!, $reason: String) {{
  dispatchOpportunity(id: $id, employee: $employee, reason: $reason) {{
  opportunity {{ {FIELDS} }} userErrors {{ message code }} }} }}"""
CLOSE = f"""mutation($id: ID!, $won: Boolean!) {{ closeOpportunity(id: $id, won: $won) {{
  opportunity {{ {FIELDS} }} userErrors {{ message code }} }} }}"""
INBOX = "{ opportunityInbox(first: 20) { totalCount nodes { id stage handOff { routedToId coveredById } } } }"
BOARD = """query($escalated: Boolean!) { opportunityBoard(escalatedOnly: $escalated, first: 50) {
  totalCount nodes { id stage handOff { receivingChannel escalated escalation } } } }"""
CAPTURED = f"{{ capturedOpportunities(first: 20) {{ totalCount nodes {{ {FIELDS} }} }} }}"
ONE = f"query($id: ID!) {{ opportunity(id: $id) {{ {FIELDS} }} }}"
CALL_BACKS = "{ callBacks(first: 10) { totalCount nodes { id opportunityId customerId employeeId dueAt overdue } } }"
COMPLETE = """mutation($id: ID!) { completeCallBack(id: $id, satisfaction: SATISFIED, outcome: RESOLVED) {
  customer { id contacts(first: 5) { nodes { channel kind purpose satisfaction direction } } }
  userErrors { message code } } }"""
OF_CUSTOMER = f"query($id: ID!) {{ customer(id: $id) {{ id opportunities(first: 10) {{ nodes {{ {FIELDS} }} }} }} }}"


@pytest.fixture
def at_now(fixed_clock: clock.FixedClock) -> clock.FixedClock:
    fixed_clock.advance(NOW - fixed_clock.now())
    return fixed_clock


def files(tmp_path: Path) -> list[tuple[str, str, Path]]:
    employees = [
        {"source_id": "AM1", "name": "王经理", "role": "account_manager", "local_network": "0591", "backup_id": "AM2"},
        {"source_id": "AM2", "name": "李经理", "role": "account_manager", "local_network": "0591", "backup_id": ""},
        {"source_id": "AG1", "name": "鼓楼代理", "role": "agent", "local_network": "0591", "core": "true"},
        {"source_id": "AG2", "name": "小代理", "role": "agent", "local_network": "0591", "core": "false"},
        {"source_id": "PAM1", "name": "陈电话", "role": "phone_account_manager", "local_network": "0591"},
        {"source_id": "OPS1", "name": "运营", "role": "operations", "local_network": "0591"},
    ]
    header = ["source_id", "name", "role", "local_network", "backup_id", "core"]
    # AM1 is on leave on Thursday 3 December: AM2 acts for AM1's customers that day only.
    leaves = [{"source_id": "L1", "employee_id": "AM1", "from": "2026-12-03", "to": "2026-12-03"}]
    people = [
        customer("c1", "林商机", GOOD_ID, "resident_id", phones="13900000021", account_manager_id="AM1"),
        customer("c2", "赵无经理", phones="13900000022", birth_date="1979-01-02"),
    ]
    return [
        ("crm", "employees", write_csv(tmp_path / "employees.csv", header, employees)),
        ("crm", "leaves", write_csv(tmp_path / "leaves.csv", list(leaves[0]), leaves)),
        ("crm", "customers", write_csv(tmp_path / "customers.csv", CUSTOMER_HEADER, people)),
    ]


async def loaded(store: Store, tmp_path: Path) -> dict[str, str]:
    for source, kind, path in files(tmp_path):
        summary = await ingest_file(store, source, kind, path)
        assert (summary.rejected, summary.quarantined) == (0, 0), (kind, summary)
    await resolve_all(store)
    mapping = await crosswalk(store)
    return {n: mapping[f"crm:customers:{n}"] for n in ("c1", "c2")}


def done(answer: dict[str, Any], field: str) -> dict[str, Any]:
    assert "errors" not in answer, answer
    payload = answer["data"][field]
    assert payload["userErrors"] == [], payload
    return payload["opportunity"]


def refused(answer: dict[str, Any], field: str) -> str:
    assert "errors" not in answer, answer
    payload = answer["data"][field]
    assert payload["opportunity"] is None and payload["userErrors"], payload
    return str(payload["userErrors"][0]["message"])


def kinds(found: dict[str, Any]) -> list[str]:
    return [s["kind"] for s in found["handOff"]["steps"]]


async def test_captured_at_the_hall_routed_claimed_returned_redispatched_won_and_seen_by_the_hall(
    store: Store, tmp_path: Path, at_now: clock.FixedClock
) -> None:
    ids = await loaded(store, tmp_path)
    wanted = {
        "kind": "OPPORTUNITY",
        "need": "PURCHASE",
        "customerId": ids["c1"],
        "product": "千兆宽带",
        "contactPerson": "林先生",
        "keyPersonName": "林总",
        "enterpriseFacts": "门店三家, 二十名员工",
        "note": "asked about broadband at the desk",
    }
    captured = done(await ask(store, CAPTURE, "service_hall", o=wanted), "captureOpportunity")
    oid = captured["id"]
    assert (captured["stage"], captured["channel"]) == ("HANDED_OVER", "SERVICE_HALL")
    assert captured["keyPersonName"] == "林总"
    hand = captured["handOff"]
    assert (hand["customerId"], hand["receivingChannel"], hand["routedToId"]) == (ids["c1"], "ACCOUNT_MANAGER", AM1)
    assert kinds(captured) == ["CAPTURED", "ROUTED"]
    routed = captured["handOff"]["steps"][1]
    assert routed["bySystem"] and routed["toEmployeeId"] == AM1 and "account manager" in routed["reason"]
    assert hand["nextDueAt"] == "2026-12-04T00:00:00.000+08:00" and not hand["escalated"]

    inbox = (await ask(store, INBOX, "account_manager", AM1))["data"]["opportunityInbox"]
    assert [n["id"] for n in inbox["nodes"]] == [oid]

    # Two claims at once: one wins, the other is told why.
    async with api_client(store, "account_manager", name="twice", employee=AM1) as client:
        both = await asyncio.gather(gql(client, CLAIM, id=oid), gql(client, CLAIM, id=oid))
    payloads = [b["data"]["claimOpportunity"] for b in both]
    assert sorted(bool(p["userErrors"]) for p in payloads) == [False, True], payloads
    loser = next(p for p in payloads if p["userErrors"])
    assert loser["userErrors"][0]["code"] == "CONFLICT" and "claimed" in loser["userErrors"][0]["message"]
    winner = next(p for p in payloads if not p["userErrors"])["opportunity"]
    assert (winner["stage"], winner["claimedBy"], winner["handOff"]["ownerId"]) == ("CLAIMED", AM1, AM1)

    # Another employee may not claim or return it.
    assert "claimed" in refused(await ask(store, CLAIM, "agent", AG1, id=oid), "claimOpportunity")

    back = done(
        await ask(store, RETURN, "account_manager", AM1, id=oid, reason="a shop chain: the agents' product"),
        "returnOpportunity",
    )
    assert (back["stage"], back["handOff"]["receivingChannel"], back["handOff"]["ownerId"]) == (
        "RETURNED",
        "OPERATIONS_CENTRE",
        None,
    )
    board = (await ask(store, BOARD, "operations_centre", OPS, escalated=False))["data"]["opportunityBoard"]
    assert oid in [n["id"] for n in board["nodes"]]

    sent = done(
        await ask(store, DISPATCH, "operations_centre", OPS, id=oid, employee=AG1, reason="shops are AG1's"),
        "dispatchOpportunity",
    )
    assert (sent["stage"], sent["handOff"]["receivingChannel"], sent["handOff"]["routedToId"]) == (
        "HANDED_OVER",
        "AGENT",
        AG1,
    )
    done(await ask(store, CLAIM, "agent", AG1, id=oid), "claimOpportunity")
    won = done(await ask(store, CLOSE, "agent", AG1, id=oid, won=True), "closeOpportunity")
    assert won["stage"] == "WON"
    call_back = won["handOff"]["callBack"]
    # Won on Wednesday: the call-back is due by the end of the second working day after (Friday).
    assert (call_back["employeeId"], call_back["dueAt"], call_back["doneAt"]) == (
        AG1,
        "2026-12-05T00:00:00.000+08:00",
        None,
    )

    # A closed opportunity takes no more steps.
    message = refused(await ask(store, RETURN, "agent", AG1, id=oid, reason="changed my mind"), "returnOpportunity")
    assert "closed" in message
    assert "closed" in refused(
        await ask(store, DISPATCH, "operations_centre", OPS, id=oid, employee=AM2), "dispatchOpportunity"
    )

    # The hall sees its whole history, with who, when, why and to whom.
    hall = (await ask(store, CAPTURED, "service_hall"))["data"]["capturedOpportunities"]
    [seen] = hall["nodes"]
    assert kinds(seen) == ["CAPTURED", "ROUTED", "CLAIMED", "RETURNED", "DISPATCHED", "CLAIMED", "WON"]
    steps = seen["handOff"]["steps"]
    assert steps[0]["channel"] == "SERVICE_HALL" and steps[0]["reason"] == "asked about broadband at the desk"
    assert (steps[3]["employeeId"], steps[3]["reason"], steps[3]["toChannel"]) == (
        AM1,
        "a shop chain: the agents' product",
        "OPERATIONS_CENTRE",
    )
    assert (steps[4]["channel"], steps[4]["toEmployeeId"], steps[4]["bySystem"]) == ("OPERATIONS_CENTRE", AG1, False)
    one = (await ask(store, ONE, "service_hall", id=oid))["data"]["opportunity"]
    assert kinds(one) == kinds(seen)
    # Each step counted and numbered in turn; no step's lock or a returned owner left on it.
    [state] = await store.read(cypher_of_tests("opportunity_state"), {"id": oid})
    assert sorted(state["seqs"]) == list(range(1, 8)) and state["props"]["steps"] == 7
    assert not {"lock", "covered_by"} & set(state["props"])
    assert (state["props"]["owner"], state["props"]["routed_to"], state["props"]["stage"]) == (AG1, AG1, "won")
    # The customer's opportunities show the same history on every channel.
    [mine] = (await ask(store, OF_CUSTOMER, "hotline", id=ids["c1"]))["data"]["customer"]["opportunities"]["nodes"]
    assert kinds(mine) == kinds(seen)
    # The hotline did not capture it and it was never with it: the one opportunity is not its to read.
    assert (await ask(store, ONE, "hotline", id=oid))["errors"][0]["extensions"]["code"] == "FORBIDDEN"

    # The call-back: in AG1's list, completed once as a service call with the survey's answer.
    backs = (await ask(store, CALL_BACKS, "agent", AG1))["data"]["callBacks"]["nodes"]
    assert [(b["opportunityId"], b["customerId"]) for b in backs] == [(oid, ids["c1"])]
    answer = await ask(store, COMPLETE, "agent", AG1, id=backs[0]["id"])
    assert "errors" not in answer, answer
    payload = answer["data"]["completeCallBack"]
    assert payload["userErrors"] == [], answer
    contact = payload["customer"]["contacts"]["nodes"][0]
    assert contact == {
        "channel": "AGENT",
        "kind": "PURCHASE",
        "purpose": "SERVICE",
        "satisfaction": "SATISFIED",
        "direction": "OUTBOUND",
    }
    again = (await ask(store, COMPLETE, "agent", AG1, id=backs[0]["id"]))["data"]["completeCallBack"]
    assert again["customer"] is None and again["userErrors"][0]["code"] == "CONFLICT"
    assert (await ask(store, CALL_BACKS, "agent", AG1))["data"]["callBacks"]["totalCount"] == 0


async def test_routing_rule_by_rule(store: Store, tmp_path: Path, at_now: clock.FixedClock) -> None:
    ids = await loaded(store, tmp_path)
    # No account manager: the core agent of the customer's network, its phone account manager covering.
    lead = {"kind": "LEAD", "need": "CONSULTATION", "customerId": ids["c2"]}
    to_agent = done(await ask(store, CAPTURE, "hotline", o=lead), "captureOpportunity")["handOff"]
    assert (to_agent["receivingChannel"], to_agent["routedToId"], to_agent["coveredById"]) == ("AGENT", AG1, PAM1)
    covered = (await ask(store, INBOX, "phone_account_manager", PAM1))["data"]["opportunityInbox"]["nodes"]
    assert [n["handOff"]["coveredById"] for n in covered] == [PAM1]
    # The covering phone account manager sees it but only the agent it was handed to claims it.
    assert refused(await ask(store, CLAIM, "phone_account_manager", PAM1, id=covered[0]["id"]), "claimOpportunity")

    # No customer named: the operations centre's queue, waiting for its dispatch.
    unknown = done(await ask(store, CAPTURE, "web_hall", o={"kind": "LEAD", "need": "PURCHASE"}), "captureOpportunity")
    assert (unknown["stage"], unknown["handOff"]["receivingChannel"], unknown["handOff"]["routedToId"]) == (
        "CAPTURED",
        "OPERATIONS_CENTRE",
        None,
    )
    assert "no customer" in unknown["handOff"]["steps"][-1]["reason"]

    # Thursday: AM1 is on leave, so AM2 (the backup) takes the account manager's customer.
    at_now.advance(timedelta(days=1))
    on_leave = {"kind": "OPPORTUNITY", "need": "RENEWAL", "customerId": ids["c1"]}
    backup = done(await ask(store, CAPTURE, "service_hall", o=on_leave), "captureOpportunity")["handOff"]
    assert backup["routedToId"] == AM2 and "leave" in backup["steps"][-1]["reason"]

    # A sale the hall completed itself is won at once, and still routed to an agent for the follow-up.
    sale = {"kind": "OPPORTUNITY", "need": "PURCHASE", "customerId": ids["c2"], "completedByChannel": True}
    sold = done(await ask(store, CAPTURE, "service_hall", o=sale), "captureOpportunity")
    assert sold["stage"] == "WON" and kinds(sold) == ["CAPTURED", "WON", "ROUTED"]
    assert (sold["handOff"]["routedToId"], sold["handOff"]["callBack"]["employeeId"]) == (AG1, AG1)

    # A customer id that is no customer: nothing captured, the channel told.
    missing = {"kind": "LEAD", "need": "PURCHASE", "customerId": "C-NOT-THERE"}
    assert refused(await ask(store, CAPTURE, "service_hall", o=missing), "captureOpportunity")


async def test_unclaimed_opportunities_are_escalated_on_the_board(
    store: Store, tmp_path: Path, at_now: clock.FixedClock
) -> None:
    ids = await loaded(store, tmp_path)
    lead = {"kind": "LEAD", "need": "CONSULTATION", "customerId": ids["c2"]}
    oid = done(await ask(store, CAPTURE, "hotline", o=lead), "captureOpportunity")["id"]
    escalated = (await ask(store, BOARD, "operations_centre", OPS, escalated=True))["data"]["opportunityBoard"]
    assert escalated["totalCount"] == 0
    # Captured Wednesday: the claim is due by the end of Thursday; on Friday morning it is late.
    at_now.advance(timedelta(days=1, hours=14, minutes=1))
    late = (await ask(store, BOARD, "operations_centre", OPS, escalated=True))["data"]["opportunityBoard"]["nodes"]
    assert [(n["id"], n["handOff"]["escalation"]) for n in late] == [(oid, "UNCLAIMED")]
    # Claimed, it is on time again until it stalls.
    done(await ask(store, CLAIM, "agent", AG1, id=oid), "claimOpportunity")
    board = await ask(store, BOARD, "operations_centre", OPS, escalated=False)
    assert board["data"]["opportunityBoard"]["totalCount"] == 0
    # Claimed on Friday 00:01: five working days (7 to 11 December) with no step, then stalled.
    at_now.advance(timedelta(days=7, hours=23))
    assert (await ask(store, BOARD, "operations_centre", OPS, escalated=True))["data"]["opportunityBoard"][
        "totalCount"
    ] == 0
    at_now.advance(timedelta(hours=1))
    stalled = (await ask(store, BOARD, "operations_centre", OPS, escalated=True))["data"]["opportunityBoard"]["nodes"]
    assert [(n["id"], n["stage"], n["handOff"]["escalation"]) for n in stalled] == [(oid, "CLAIMED", "STALLED")]


async def test_roles_without_the_capability_are_refused(store: Store, tmp_path: Path, at_now: clock.FixedClock) -> None:
    ids = await loaded(store, tmp_path)
    lead = {"kind": "LEAD", "need": "PURCHASE", "customerId": ids["c1"]}
    oid = done(await ask(store, CAPTURE, "service_hall", o=lead), "captureOpportunity")["id"]
    for role, query, variables in [
        ("analyst", CAPTURE, {"o": lead}),
        ("service_hall", CLAIM, {"id": oid}),
        ("account_manager", DISPATCH, {"id": oid, "employee": AG1}),
        ("hotline", BOARD, {"escalated": False}),
        ("service_hall", CALL_BACKS, {}),
    ]:
        answer = await ask(store, query, role, AM1 if role == "account_manager" else None, **variables)
        assert answer["errors"][0]["extensions"]["code"] == "FORBIDDEN", (role, answer)


async def test_a_merge_keeps_the_customers_opportunities(
    store: Store, tmp_path: Path, at_now: clock.FixedClock
) -> None:
    ids = await loaded(store, tmp_path)
    lead = {"kind": "OPPORTUNITY", "need": "PURCHASE", "customerId": ids["c1"], "product": "专线"}
    oid = done(await ask(store, CAPTURE, "service_hall", o=lead), "captureOpportunity")["id"]
    done(await ask(store, CLAIM, "account_manager", AM1, id=oid), "claimOpportunity")
    # The same person arrives from another system; a batch resolution merges the two.
    twin = [customer("t1", "林商机", GOOD_ID, "resident_id", phones="13900000021")]
    summary = await ingest_file(store, "hall", "customers", write_csv(tmp_path / "twin.csv", CUSTOMER_HEADER, twin))
    assert summary.rejected == 0
    at_now.advance(timedelta(minutes=5))  # a run is named by its moment
    await resolve_all(store)
    mapping = await crosswalk(store)
    assert mapping["hall:customers:t1"] == mapping["crm:customers:c1"]
    survivor = mapping["crm:customers:c1"]
    found = (await ask(store, OF_CUSTOMER, "service_hall", id=ids["c1"]))["data"]["customer"]
    assert found["id"] == survivor
    [kept] = found["opportunities"]["nodes"]
    assert (kept["id"], kept["stage"], kinds(kept)) == (oid, "CLAIMED", ["CAPTURED", "ROUTED", "CLAIMED"])
    assert kept["handOff"]["customerId"] == survivor
    # Steps go on after the merge, and the old id captures on the survivor.
    done(await ask(store, CLOSE, "account_manager", AM1, id=oid, won=False), "closeOpportunity")
    again = done(await ask(store, CAPTURE, "service_hall", o=lead), "captureOpportunity")
    assert again["handOff"]["customerId"] == survivor


async def test_analysts_conversion_and_time_to_claim_by_channel(
    store: Store, tmp_path: Path, at_now: clock.FixedClock
) -> None:
    from app.store import cypher

    ids = await loaded(store, tmp_path)
    hall = done(
        await ask(
            store, CAPTURE, "service_hall", o={"kind": "OPPORTUNITY", "need": "PURCHASE", "customerId": ids["c1"]}
        ),
        "captureOpportunity",
    )["id"]
    hotline = done(
        await ask(store, CAPTURE, "hotline", o={"kind": "LEAD", "need": "CONSULTATION", "customerId": ids["c2"]}),
        "captureOpportunity",
    )["id"]
    done(await ask(store, CAPTURE, "web_hall", o={"kind": "LEAD", "need": "PURCHASE"}), "captureOpportunity")
    at_now.advance(timedelta(hours=1))
    done(await ask(store, CLAIM, "agent", AG1, id=hotline), "claimOpportunity")
    done(await ask(store, CLOSE, "agent", AG1, id=hotline, won=False), "closeOpportunity")
    at_now.advance(timedelta(hours=1, minutes=30))
    done(await ask(store, CLAIM, "account_manager", AM1, id=hall), "claimOpportunity")
    done(await ask(store, CLOSE, "account_manager", AM1, id=hall, won=True), "closeOpportunity")

    period = {"since": "2026-12-01T16:00:00.000Z", "until": "2026-12-02T16:00:00.000Z"}
    conversion = {
        r["channel"]: r for r in await store.read(cypher("analytics/opportunity_conversion_by_channel"), period)
    }
    assert {c: (r["captured"], r["closed"], r["won"], r["open"], r["conversion"]) for c, r in conversion.items()} == {
        "hotline": (1, 1, 0, 0, 0.0),
        "service_hall": (1, 1, 1, 0, 1.0),
        "web_hall": (1, 0, 0, 1, None),
    }
    claims = {r["channel"]: r for r in await store.read(cypher("analytics/time_to_claim_by_channel"), period)}
    assert {c: (r["claimed"], r["average_hours"], r["longest_hours"]) for c, r in claims.items()} == {
        "hotline": (1, 1.0, 1.0),
        "service_hall": (1, 2.5, 2.5),
    }
    # The same claims as the steps the API shows the capturing channel.
    seen = (await ask(store, ONE, "service_hall", id=hall))["data"]["opportunity"]["handOff"]["steps"]
    assert [s["kind"] for s in seen] == ["CAPTURED", "ROUTED", "CLAIMED", "WON"]
