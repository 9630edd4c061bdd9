"""No repeated disturbance (不重复打扰, DOMAIN.md §1, §6, §9) and the unified contact work list through
the served API on both stores, at a fixed moment (Wednesday 2 December 2026, 15:00 Beijing): an
outbound marketing call refused at planning with the rule and the next allowed time, made anyway and
recorded as a violation and counted; a service call on the same customer allowed; a second channel
planning the same customer the same week refused; a merge joining histories and consents; opt-outs;
a contact's purpose and survey answer, and the satisfaction shares by channel."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from app import clock
from app.services.invariants import check_invariants
from app.services.resolve import resolve_all
from app.store import Store, cypher
from loaders.ingest import ingest_file
from tests.conftest import FIXED_NOW, api_client, cypher_of_tests
from tests.integration.test_ingest import CUSTOMER_HEADER, customer, write_csv
from tests.integration.test_service_standards_served import NOW, t
from tests.integration.test_steward_api import crosswalk, gql

PROPERTIES = cypher_of_tests("source_record_properties")


@pytest.fixture
def at_now(fixed_clock: clock.FixedClock) -> clock.FixedClock:
    """The service standards' moment: Wednesday 2 December 2026, 15:00 in Beijing."""
    fixed_clock.advance(NOW - FIXED_NOW)
    return fixed_clock


RECORD = """mutation($c: ContactRecordInput!) { recordContact(contact: $c) {
  customer { contacts(first: 10) { edges { node { id channel purpose satisfaction } } } }
  userErrors { field message } } }"""


async def loaded(store: Store, tmp_path: Path, contacts: list[dict[str, str]] | None = None) -> dict[str, str]:
    """Two customers, p1 and p2, and the contacts given (by customer_source_id)."""
    people = [customer("p1", "陈一", phones="13900000021"), customer("p2", "林二", phones="13900000022")]
    path = write_csv(tmp_path / "customers.csv", CUSTOMER_HEADER, people)
    summary = await ingest_file(store, "crm", "customers", path)
    assert (summary.rejected, summary.quarantined) == (0, 0), summary
    if contacts:
        path = write_csv(tmp_path / "contacts.csv", list(contacts[0]), contacts)
        summary = await ingest_file(store, "crm", "contacts", path)
        assert (summary.rejected, summary.quarantined) == (0, 0), summary
    await resolve_all(store)
    mapping = await crosswalk(store)
    return {n: mapping[f"crm:customers:{n}"] for n in ("p1", "p2")}


def touch(source_id: str, who: str, at: str, **extra: str) -> dict[str, str]:
    row = {
        "source_id": source_id,
        "channel": "agent",
        "kind": "retention",
        "at": t(at),
        "customer_source_id": who,
        "mode": "call",
        "direction": "outbound",
        "purpose": "marketing",
        "satisfaction": "",
    }
    row.update(extra)
    return row


async def test_a_contact_keeps_its_purpose_and_survey_answer_from_a_file_and_from_record_contact(
    store: Store, tmp_path: Path, at_now: clock.FixedClock
) -> None:
    ids = await loaded(store, tmp_path, [touch("K1", "p1", "11-20T10:00", purpose="service", satisfaction="neutral")])
    async with api_client(store, "service_hall", "desk-1") as hall:
        written = await gql(
            hall,
            RECORD,
            c={"customerId": ids["p1"], "kind": "QUERY", "purpose": "SERVICE", "satisfaction": "VERY_SATISFIED"},
        )
        assert "errors" not in written and written["data"]["recordContact"]["userErrors"] == [], written
        refused = await gql(hall, RECORD, c={"customerId": ids["p1"], "kind": "QUERY", "satisfaction": "HAPPY"})
        assert refused.get("errors"), refused
    shown = [e["node"] for e in written["data"]["recordContact"]["customer"]["contacts"]["edges"]]
    assert [(c["channel"], c["purpose"], c["satisfaction"]) for c in shown] == [
        ("SERVICE_HALL", "SERVICE", "VERY_SATISFIED"),
        ("AGENT", "SERVICE", "NEUTRAL"),
    ]
    [record] = await store.read(PROPERTIES, {"id": shown[0]["id"]})
    assert (record["props"]["purpose"], record["props"]["satisfaction"]) == ("service", "very_satisfied")


PERMISSION = """query($c: ID!, $p: ContactPurpose!, $m: ContactMode, $at: DateTime) {
  contactPermission(customerId: $c, purpose: $p, mode: $m, at: $at) {
    customerId allowed reasons { rule message } nextAllowedAt } }"""

PLAN = """mutation($plan: ContactPlanInput!) { planContact(plan: $plan) {
  plan { id customerId channel purpose mode at status employeeId }
  permission { allowed reasons { rule message } nextAllowedAt }
  userErrors { field message code } } }"""

TOUCH = """mutation($c: ContactRecordInput!) { recordContact(contact: $c) {
  contactId violations customer { id contacts(first: 1) { nodes { id violations } } }
  userErrors { field message code } } }"""

CONSENT = """mutation($c: ConsentInput!) { recordConsent(consent: $c) {
  consent { id customerId granted mode channel at evidence evidenceReference evidenceChannel employeeId keptUntil }
  userErrors { field message code } } }"""

WORK_LIST = """query($from: Date!, $to: Date!, $channel: Channel, $employee: ID) {
  contactWorkList(from: $from, to: $to, channel: $channel, employee: $employee, first: 10) {
    totalCount nodes { id customerId channel purpose at status contactId } } }"""

CANCEL = """mutation($id: ID!) { cancelContactPlan(id: $id, reason: "customer moved") {
  plan { id status } userErrors { field message code } } }"""

CONSENTS = """query($c: ID!) { marketingConsents(customerId: $c, first: 10) {
  totalCount nodes { id customerId granted mode at evidence evidenceReference keptUntil } } }"""

VIOLATIONS = cypher("analytics/contact_violations_by_channel")
SATISFACTION = cypher("analytics/satisfaction_by_channel")


async def consent(store: Store, customer_id: str, granted: bool = True, **extra: Any) -> dict[str, Any]:
    given = {
        "customerId": customer_id,
        "granted": granted,
        "evidence": "RECORDED_CALL",
        "evidenceReference": "REC-0001",
        "at": t("11-01T10:00"),
        "employeeId": "crm:employees:E9",
        **extra,
    }
    async with api_client(store, "service_hall", "desk-consent") as hall:
        answer = await gql(hall, CONSENT, c=given)
    assert "errors" not in answer and answer["data"]["recordConsent"]["userErrors"] == [], answer
    return answer["data"]["recordConsent"]["consent"]


async def test_a_marketing_call_is_refused_at_planning_made_anyway_flagged_and_counted_and_service_is_allowed(
    store: Store, tmp_path: Path, at_now: clock.FixedClock
) -> None:
    # This morning the agent already made a marketing call to p1 (the day's one).
    ids = await loaded(store, tmp_path, [touch("K1", "p1", "12-02T10:00")])
    p1 = ids["p1"]
    kept = await consent(store, p1)
    assert (kept["granted"], kept["evidence"], kept["evidenceChannel"]) == (True, "RECORDED_CALL", "SERVICE_HALL")
    assert kept["at"] == "2026-11-01T10:00:00.000+08:00" and kept["keptUntil"] == "2027-04-01T10:00:00.000+08:00"
    async with api_client(store, "agent", "agent-1") as agent, api_client(store, "service_hall", "desk-1") as hall:
        asked = await gql(agent, PERMISSION, c=p1, p="MARKETING", m="CALL")
        assert "errors" not in asked, asked
        answer = asked["data"]["contactPermission"]
        assert (answer["allowed"], [r["rule"] for r in answer["reasons"]]) == (False, ["DAILY_CAP"])
        assert answer["nextAllowedAt"] == "2026-12-03T08:00:00.000+08:00"

        planned = await gql(
            agent, PLAN, plan={"customerId": p1, "purpose": "MARKETING", "mode": "CALL", "at": t("12-02T16:00")}
        )
        assert "errors" not in planned, planned
        refused = planned["data"]["planContact"]
        assert refused["plan"] is None and refused["permission"]["nextAllowedAt"] == "2026-12-03T08:00:00.000+08:00"
        [error] = refused["userErrors"]
        assert error["code"] == "CONTACT_RULE" and error["field"] == ["plan", "at"]
        assert "daily_cap" in error["message"] and "next allowed at 2026-12-03T08:00:00.000+08:00" in error["message"]

        # A service call on the same customer now, and one planned in the quiet hours: allowed.
        service = await gql(hall, PERMISSION, c=p1, p="SERVICE")
        assert service["data"]["contactPermission"]["allowed"] is True, service
        late = await gql(hall, PLAN, plan={"customerId": p1, "purpose": "SERVICE", "at": t("12-02T23:00")})
        assert late["data"]["planContact"]["userErrors"] == [], late
        assert late["data"]["planContact"]["plan"]["status"] == "PLANNED"

        # The agent calls anyway: recorded, flagged; a service call is never flagged.
        made = {"customerId": p1, "kind": "RETENTION", "purpose": "MARKETING", "direction": "OUTBOUND", "mode": "CALL"}
        anyway = await gql(agent, TOUCH, c=made)
        assert "errors" not in anyway and anyway["data"]["recordContact"]["userErrors"] == [], anyway
        assert anyway["data"]["recordContact"]["violations"] == ["DAILY_CAP"]
        [shown] = anyway["data"]["recordContact"]["customer"]["contacts"]["nodes"]
        assert shown == {"id": anyway["data"]["recordContact"]["contactId"], "violations": ["DAILY_CAP"]}
        at_now.advance(timedelta(minutes=1))
        reply = await gql(hall, TOUCH, c={**made, "purpose": "SERVICE", "kind": "QUERY"})
        assert reply["data"]["recordContact"]["violations"] == [], reply
    stored = await store.read(PROPERTIES, {"id": anyway["data"]["recordContact"]["contactId"]})
    assert stored[0]["props"]["violations"] == ["daily_cap"]
    window = {"since": "2026-11-30T16:00:00.000Z", "until": "2026-12-02T16:00:00.000Z"}
    rows = {r["channel"]: r for r in await store.read(VIOLATIONS, window)}
    assert set(rows) == {"agent"}, rows
    assert (rows["agent"]["marketing"], rows["agent"]["violating"], rows["agent"]["daily_cap"]) == (2, 1, 1)
    assert rows["agent"]["rate"] == 0.5 and rows["agent"]["no_consent"] == 0


async def test_a_touch_asked_about_or_planned_outside_the_plausible_days_is_bad_input(
    store: Store, tmp_path: Path, at_now: clock.FixedClock
) -> None:
    """Year 1 and year 9999 once took the API down with an overflow (the caps' windows fell off the
    calendar; found by tests/integration/test_fuzz_api.py); before 1900 or past the rules' horizon is
    the caller's mistake, said so, and the horizon's last day still answers."""
    p1 = (await loaded(store, tmp_path))["p1"]
    async with api_client(store, "agent", "agent-1") as agent:
        # Year 1 in Beijing is no instant at all (UTC's year 0): the DateTime scalar refuses it.
        scalar = await gql(agent, PERMISSION, c=p1, p="MARKETING", m="CALL", at="0001-01-01T00:00:00+08:00")
        assert scalar["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT", scalar
        for at in ("0001-01-01T00:00:00+00:00", "1899-12-31T23:59:59+00:00", "9999-12-31T23:59:59+00:00"):
            asked = await gql(agent, PERMISSION, c=p1, p="MARKETING", m="CALL", at=at)
            [error] = asked["errors"]
            assert error["extensions"]["code"] == "BAD_USER_INPUT", asked
            assert "not a plausible time of a touch" in error["message"] and at in error["message"], asked
        planned = await gql(
            agent, PLAN, plan={"customerId": p1, "purpose": "SERVICE", "at": "2028-01-01T10:00:00+08:00"}
        )
        [error] = planned["data"]["planContact"]["userErrors"]
        assert (error["field"], error["code"]) == (["plan", "at"], "BAD_USER_INPUT"), planned
        assert "2028-01-01T10:00:00+08:00 is not a plausible time of a touch" in error["message"], planned
        assert "366 days from now" in error["message"] and planned["data"]["planContact"]["plan"] is None, planned
        last_day = await gql(agent, PERMISSION, c=p1, p="SERVICE", at="2027-12-02T15:00:00+08:00")
        assert last_day["data"]["contactPermission"]["allowed"] is True, last_day


async def test_two_channels_planning_the_same_customer_the_same_week_the_second_is_refused(
    store: Store, tmp_path: Path, at_now: clock.FixedClock
) -> None:
    ids = await loaded(store, tmp_path)
    p2 = ids["p2"]
    await consent(store, p2)
    async with api_client(store, "agent", "agent-1") as agent, api_client(store, "hotline", "line-1") as hotline:
        friday = {"customerId": p2, "purpose": "MARKETING", "mode": "CALL", "at": t("12-04T10:00")}
        first = await gql(agent, PLAN, plan={**friday, "employeeId": "crm:employees:E1"})
        assert first["data"]["planContact"]["userErrors"] == [], first
        plan = first["data"]["planContact"]["plan"]
        assert (plan["channel"], plan["status"], plan["at"]) == ("AGENT", "PLANNED", "2026-12-04T10:00:00.000+08:00")

        second = await gql(hotline, PLAN, plan={**friday, "at": t("12-03T10:00")})
        refused = second["data"]["planContact"]
        assert refused["plan"] is None
        assert [r["rule"] for r in refused["permission"]["reasons"]] == ["PLANNED_BY_OTHER_CHANNEL"]
        assert "agent already planned a marketing touch for 2026-12-04 10:00" in refused["userErrors"][0]["message"]
        assert refused["permission"]["nextAllowedAt"] == "2026-12-07T08:00:00.000+08:00"
        # The plan counts against the caps: a second agent plan the same day is over the day's one.
        again = await gql(agent, PLAN, plan={**friday, "at": t("12-04T15:00")})
        assert [r["rule"] for r in again["data"]["planContact"]["permission"]["reasons"]] == ["DAILY_CAP"]

        listed = await gql(agent, WORK_LIST, **{"from": "2026-11-30", "to": "2026-12-06"})
        assert [n["id"] for n in listed["data"]["contactWorkList"]["nodes"]] == [plan["id"]], listed
        theirs = await gql(hotline, WORK_LIST, **{"from": "2026-11-30", "to": "2026-12-06", "channel": "AGENT"})
        assert theirs["errors"][0]["extensions"]["code"] == "FORBIDDEN", theirs
    async with api_client(store, "account_manager", "am-7", "crm:employees:E7") as manager:
        week = {"from": "2026-11-30", "to": "2026-12-06"}
        others = await gql(manager, WORK_LIST, **week, employee="crm:employees:E1")
        assert others["errors"][0]["extensions"]["code"] == "FORBIDDEN", others
        mine = await gql(manager, WORK_LIST, **week)
        assert mine["data"]["contactWorkList"]["nodes"] == [], mine
    async with api_client(store, "agent", "agent-1") as agent, api_client(store, "hotline", "line-1") as hotline:
        # Done when its contact is recorded with the plan's id: linked, and no longer counted twice.
        at_now.advance(timedelta(days=2, hours=-4))  # Friday 4 December 11:00
        made = {
            "customerId": p2,
            "kind": "RETENTION",
            "purpose": "MARKETING",
            "direction": "OUTBOUND",
            "mode": "CALL",
            "planId": plan["id"],
        }
        done = await gql(agent, TOUCH, c=made)
        assert done["data"]["recordContact"]["userErrors"] == [], done
        assert done["data"]["recordContact"]["violations"] == []
        by_employee = await gql(
            agent, WORK_LIST, **{"from": "2026-12-04", "to": "2026-12-04", "employee": "crm:employees:E1"}
        )
        [node] = by_employee["data"]["contactWorkList"]["nodes"]
        assert (node["status"], node["contactId"]) == ("DONE", done["data"]["recordContact"]["contactId"])
        not_twice = await gql(agent, TOUCH, c=made)
        assert not_twice["data"]["recordContact"]["userErrors"][0]["field"] == ["contact", "planId"], not_twice

        cancelled = await gql(agent, CANCEL, id=plan["id"])
        assert cancelled["data"]["cancelContactPlan"]["userErrors"][0]["code"] == "CONFLICT", cancelled
        later = await gql(agent, PLAN, plan={**friday, "at": t("12-14T10:00")})
        later_id = later["data"]["planContact"]["plan"]["id"]
        refused_cancel = await gql(hotline, CANCEL, id=later_id)
        assert refused_cancel["data"]["cancelContactPlan"]["userErrors"][0]["code"] == "NOT_FOUND", refused_cancel
        gone = await gql(agent, CANCEL, id=later_id)
        assert gone["data"]["cancelContactPlan"]["plan"]["status"] == "CANCELLED", gone


async def test_a_merge_joins_the_histories_consents_and_plans(
    store: Store, tmp_path: Path, at_now: clock.FixedClock
) -> None:
    # One marketing touch each, on Monday and Tuesday: each alone has room for one more in 7 days.
    ids = await loaded(
        store, tmp_path, [touch("K1", "p1", "11-30T10:00"), touch("K2", "p2", "12-01T10:00", channel="hotline")]
    )
    await consent(store, ids["p2"])
    async with api_client(store, "agent", "agent-1") as agent, api_client(store, "hotline", "line-1") as hotline:
        before = await gql(agent, PERMISSION, c=ids["p1"], p="MARKETING", m="CALL")
        assert [r["rule"] for r in before["data"]["contactPermission"]["reasons"]] == ["NO_CONSENT"], before
        alone = await gql(agent, PERMISSION, c=ids["p2"], p="MARKETING", m="CALL")
        assert alone["data"]["contactPermission"]["allowed"], alone
        # The hotline plans p2 for Thursday.
        plan = {"customerId": ids["p2"], "purpose": "MARKETING", "mode": "CALL", "at": t("12-03T10:00")}
        planned = await gql(hotline, PLAN, plan=plan)
        assert planned["data"]["planContact"]["userErrors"] == [], planned
    async with api_client(store, "steward", "steward-1") as steward:
        merged = await gql(
            steward,
            'mutation($s: ID!, $a: ID!) { mergeCustomers(survivorId: $s, absorbedId: $a, reason: "same person") '
            "{ result { eventId } userErrors { message } } }",
            s=ids["p1"],
            a=ids["p2"],
        )
        assert merged["data"]["mergeCustomers"]["userErrors"] == [], merged
    assert (await check_invariants(store)).ok
    async with api_client(store, "agent", "agent-1") as agent, api_client(store, "hotline", "line-1") as hotline:
        # p2's consent now holds for p1; both touches and the hotline's plan count; the hotline has the week.
        for asked in (ids["p1"], ids["p2"]):
            after = (await gql(agent, PERMISSION, c=asked, p="MARKETING", m="CALL"))["data"]["contactPermission"]
            assert after["customerId"] == ids["p1"]
            assert [r["rule"] for r in after["reasons"]] == ["SEVEN_DAY_CAP", "PLANNED_BY_OTHER_CHANNEL"], after
            # Tuesday 8 December: the 7 days holding it hold only Thursday's plan.
            assert after["nextAllowedAt"] == "2026-12-08T08:00:00.000+08:00"
        listed = await gql(hotline, WORK_LIST, **{"from": "2026-12-03", "to": "2026-12-03"})
        assert [n["customerId"] for n in listed["data"]["contactWorkList"]["nodes"]] == [ids["p1"]], listed
    # Undone, each customer has its own again: p1 its touch and no consent, p2 its touch, consent and plan.
    async with api_client(store, "steward", "steward-1") as steward:
        event = merged["data"]["mergeCustomers"]["result"]["eventId"]
        undone = await gql(steward, "mutation($id: ID!) { unmerge(eventId: $id) { userErrors { message } } }", id=event)
        assert undone["data"]["unmerge"]["userErrors"] == [], undone
    assert (await check_invariants(store)).ok
    async with api_client(store, "agent", "agent-1") as agent:
        p1_again = (await gql(agent, PERMISSION, c=ids["p1"], p="MARKETING", m="CALL"))["data"]["contactPermission"]
        assert [r["rule"] for r in p1_again["reasons"]] == ["NO_CONSENT"], p1_again
        p2_again = (await gql(agent, PERMISSION, c=ids["p2"], p="MARKETING", m="CALL"))["data"]["contactPermission"]
        assert [r["rule"] for r in p2_again["reasons"]] == ["SEVEN_DAY_CAP", "PLANNED_BY_OTHER_CHANNEL"], p2_again


async def test_an_opt_out_stops_marketing_until_a_new_consent(
    store: Store, tmp_path: Path, at_now: clock.FixedClock
) -> None:
    ids = await loaded(store, tmp_path)
    p1 = ids["p1"]
    await consent(store, p1)
    out = await consent(store, p1, granted=False, evidence="SMS_REPLY", evidenceReference="TD", at=t("11-20T09:00"))
    assert out["granted"] is False
    sms_out = await consent(
        store, ids["p2"], granted=False, evidence="SMS_REPLY", evidenceReference="TD", mode="SMS", at=t("11-20T09:00")
    )
    assert sms_out["mode"] == "SMS"
    await consent(store, ids["p2"], at=t("11-01T09:00"))
    async with api_client(store, "agent", "agent-1") as agent:
        answer = (await gql(agent, PERMISSION, c=p1, p="MARKETING"))["data"]["contactPermission"]
        assert [r["rule"] for r in answer["reasons"]] == ["OPTED_OUT"] and answer["nextAllowedAt"] is None
        sms = (await gql(agent, PERMISSION, c=ids["p2"], p="MARKETING", m="SMS"))["data"]["contactPermission"]
        call = (await gql(agent, PERMISSION, c=ids["p2"], p="MARKETING", m="CALL"))["data"]["contactPermission"]
        assert (sms["allowed"], call["allowed"]) == (False, True)
        # A caller in UTC: 14:30Z is 22:30 in Beijing, quiet until 08:00 Beijing; 13:59Z is 21:59.
        late = await gql(agent, PERMISSION, c=ids["p2"], p="MARKETING", m="CALL", at="2026-12-02T14:30:00Z")
        late_answer = late["data"]["contactPermission"]
        assert [r["rule"] for r in late_answer["reasons"]] == ["QUIET_HOURS"], late
        assert late_answer["nextAllowedAt"] == "2026-12-03T08:00:00.000+08:00"
        early = await gql(agent, PERMISSION, c=ids["p2"], p="MARKETING", m="CALL", at="2026-12-02T13:59:00Z")
        assert early["data"]["contactPermission"]["allowed"], early
        made = {"customerId": p1, "kind": "RETENTION", "purpose": "MARKETING", "direction": "OUTBOUND"}
        anyway = await gql(agent, TOUCH, c=made)
        assert anyway["data"]["recordContact"]["violations"] == ["OPTED_OUT"], anyway
    again = await consent(store, p1, at=t("12-01T09:00"), evidence="SIGNED_FORM", evidenceReference="F-17")
    assert again["evidence"] == "SIGNED_FORM"
    async with api_client(store, "agent", "agent-1") as agent:
        # The day's marketing call was made (flagged): the day is full, tomorrow is free.
        answer = (await gql(agent, PERMISSION, c=p1, p="MARKETING"))["data"]["contactPermission"]
        assert [r["rule"] for r in answer["reasons"]] == ["DAILY_CAP"], answer
        kept = await gql(agent, CONSENTS, c=p1)
        shown = [(n["granted"], n["evidence"], n["at"]) for n in kept["data"]["marketingConsents"]["nodes"]]
        assert shown == [
            (True, "SIGNED_FORM", "2026-12-01T09:00:00.000+08:00"),
            (False, "SMS_REPLY", "2026-11-20T09:00:00.000+08:00"),
            (True, "RECORDED_CALL", "2026-11-01T10:00:00.000+08:00"),
        ], kept
        assert kept["data"]["marketingConsents"]["nodes"][1]["keptUntil"] == "2027-04-20T09:00:00.000+08:00"


async def test_satisfaction_by_channel(store: Store, tmp_path: Path, at_now: clock.FixedClock) -> None:
    answers = ["very_satisfied", "satisfied", "satisfied", "dissatisfied"]
    contacts = [
        touch(f"K{i}", "p1", f"11-{10 + i}T10:00", purpose="service", satisfaction=a, channel="hotline")
        for i, a in enumerate(answers)
    ]
    contacts.append(touch("K9", "p2", "11-20T10:00", purpose="service", satisfaction="neutral", channel="web_hall"))
    contacts.append(touch("K8", "p2", "11-21T10:00", purpose="service"))
    await loaded(store, tmp_path, contacts)
    rows = await store.read(SATISFACTION, {"since": "2026-10-31T16:00:00.000Z", "until": "2026-11-30T16:00:00.000Z"})
    shown = [(r["channel"], r["result"], r["contacts"], r["surveyed"], r["share"], r["satisfied_share"]) for r in rows]
    assert shown == [
        ("hotline", "dissatisfied", 1, 4, 0.25, 0.75),
        ("hotline", "satisfied", 2, 4, 0.5, 0.75),
        ("hotline", "very_satisfied", 1, 4, 0.25, 0.75),
        ("web_hall", "neutral", 1, 1, 1.0, 0.0),
    ]


async def test_a_split_takes_the_plans_and_consents_of_the_records_split_out(
    store: Store, tmp_path: Path, at_now: clock.FixedClock
) -> None:
    """A plan or consent belongs with the record it was made through (its owner record, the customer's
    first), as a contact does: split out with that record, it goes to the new customer."""
    cert = "350102198001010011"
    people = [customer("s1", "陈三", cert, "resident_id"), customer("s2", "陈三", cert, "resident_id")]
    summary = await ingest_file(store, "crm", "customers", write_csv(tmp_path / "c.csv", CUSTOMER_HEADER, people))
    assert (summary.rejected, summary.quarantined) == (0, 0), summary
    await resolve_all(store)
    mapping = await crosswalk(store)
    whole = mapping["crm:customers:s1"]
    assert mapping["crm:customers:s2"] == whole
    await consent(store, whole)
    async with api_client(store, "hotline", "line-1") as hotline:
        plan = {"customerId": whole, "purpose": "MARKETING", "mode": "CALL", "at": t("12-03T10:00")}
        planned = await gql(hotline, PLAN, plan=plan)
        assert planned["data"]["planContact"]["userErrors"] == [], planned
    async with api_client(store, "steward", "steward-1") as steward:
        split = await gql(
            steward,
            "mutation($c: ID!, $r: [ID!]!) { splitCustomer(customerId: $c, recordIds: $r) "
            "{ result { absorbedId } userErrors { message } } }",
            c=whole,
            r=["crm:customers:s1"],
        )
        assert split["data"]["splitCustomer"]["userErrors"] == [], split
    assert (await check_invariants(store)).ok
    apart = split["data"]["splitCustomer"]["result"]["absorbedId"]
    async with api_client(store, "agent", "agent-1") as agent:
        moved = (await gql(agent, PERMISSION, c=apart, p="MARKETING", m="CALL"))["data"]["contactPermission"]
        assert [r["rule"] for r in moved["reasons"]] == ["PLANNED_BY_OTHER_CHANNEL"], moved
        left = (await gql(agent, PERMISSION, c=whole, p="MARKETING", m="CALL"))["data"]["contactPermission"]
        assert [r["rule"] for r in left["reasons"]] == ["NO_CONSENT"], left


async def test_two_desks_planning_at_the_same_moment_one_plan_is_kept(
    store: Store, tmp_path: Path, at_now: clock.FixedClock
) -> None:
    """Both read the customer before either writes: the plans' version, checked in the write, makes the
    second judge again and find the first (without it, both plans were kept for the same week)."""
    ids = await loaded(store, tmp_path)
    await consent(store, ids["p1"])
    async with api_client(store, "agent", "agent-1") as agent, api_client(store, "hotline", "line-1") as hotline:
        friday = {"customerId": ids["p1"], "purpose": "MARKETING", "mode": "CALL", "at": t("12-04T10:00")}
        answers = await asyncio.gather(*(gql(client, PLAN, plan=friday) for client in (agent, hotline, agent, hotline)))
    kept = [a["data"]["planContact"]["plan"] for a in answers if a["data"]["planContact"]["plan"]]
    assert len(kept) == 1, answers
    refused = [a["data"]["planContact"] for a in answers if not a["data"]["planContact"]["plan"]]
    assert all(r["permission"]["reasons"] for r in refused), refused


async def test_a_batch_run_joining_two_customers_keeps_their_plans_and_consents(
    store: Store, tmp_path: Path, at_now: clock.FixedClock
) -> None:
    """Two records apart, each its customer with a consent (and one a plan); delivered again with the same
    certificate, the next batch run makes one customer of them, leaving the other to be retired. What was
    given through each record follows it (its owner record), as a contact does: none of it is lost."""
    people = [
        customer("j1", "王五", phones="13900000031", birth_date="1980-01-01", address="福州市鼓楼区东街1号"),
        customer("j2", "王五", phones="13900000032", birth_date="1980-01-01", address="福州市台江区南路9号"),
    ]
    path = write_csv(tmp_path / "c1.csv", CUSTOMER_HEADER, people)
    assert (await ingest_file(store, "crm", "customers", path)).rejected == 0
    await resolve_all(store)
    first = await crosswalk(store)
    j1, j2 = first["crm:customers:j1"], first["crm:customers:j2"]
    if j1 == j2:
        pytest.skip("the two records were one customer at once: nothing to join")
    await consent(store, j1)
    await consent(store, j2)
    async with api_client(store, "hotline", "line-1") as hotline:
        plan = {"customerId": j2, "purpose": "MARKETING", "mode": "CALL", "at": t("12-03T10:00")}
        planned = await gql(hotline, PLAN, plan=plan)
        assert planned["data"]["planContact"]["userErrors"] == [], planned
    # The hall read the certificate: both records come again with it (same name, same certificate).
    cert = {"cert_type": "resident_id", "cert_no": "350102198001010011"}
    again = [{**row, **cert} for row in people]
    path = write_csv(tmp_path / "c2.csv", CUSTOMER_HEADER, again)
    assert (await ingest_file(store, "crm", "customers", path)).rejected == 0
    at_now.advance(timedelta(minutes=5))  # a batch run is named by its moment
    await resolve_all(store)
    joined = await crosswalk(store)
    assert joined["crm:customers:j1"] == joined["crm:customers:j2"], joined
    one = joined["crm:customers:j1"]
    assert (await check_invariants(store)).ok
    async with api_client(store, "agent", "agent-1") as agent:
        # Both consents and the hotline's plan for j2 now belong to the one customer.
        after = (await gql(agent, PERMISSION, c=one, p="MARKETING", m="CALL"))["data"]["contactPermission"]
        assert [r["rule"] for r in after["reasons"]] == ["PLANNED_BY_OTHER_CHANNEL"], after
        consents = await gql(agent, "query($c: ID!) { marketingConsents(customerId: $c) { totalCount } }", c=one)
        assert consents["data"]["marketingConsents"]["totalCount"] == 2, consents
