"""The operator's hard merge rules (app/resolution/policy.py, DOMAIN.md §3), called directly.

``apply_policy`` decides over candidate pairs before any score is looked at: a rule forces a merge,
forbids one, or sends the pair to a department's review. These tests build the records with
``match_record`` (the same normalisation production uses) and give the comparison matrix by hand,
so each test names exactly the name and address agreement a rule reads, and nothing else decides.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.resolution.comparisons import ADDRESS, COMPARISONS, MISSING, NAME, compare_all
from app.resolution.merge_rules import HARD_RULES, MergeRules
from app.resolution.policy import APART, MERGE, NO_RULE, REVIEW, RULES, SCORE, PolicyResult, apply_policy
from app.resolution.prepare import match_record
from app.resolution.records import MatchRecord, RecordTable
from app.rules import PolicyRules, get_rules
from tests.identities import credit_code, resident_id


def record(
    id: str,
    *,
    cert: str = "",
    cert_type: str = "resident_id",
    network: str = "0591",
    segment: str = "individual",
    name: str = "甄测试",
) -> MatchRecord:
    return match_record(
        {
            "id": id,
            "source": "crm",
            "name": name,
            "cert_type": cert_type if cert else "blank",
            "cert_no": cert,
            "local_network": network,
            "segment": segment,
        }
    )


def gamma(name: str | None = None, address: str | None = None) -> list[int]:
    """One comparison row: the name and address levels by their names (None: missing), the rest missing."""
    row = [MISSING] * len(COMPARISONS)
    row[COMPARISONS.index(NAME)] = MISSING if name is None else NAME.levels.index(name)
    row[COMPARISONS.index(ADDRESS)] = MISSING if address is None else ADDRESS.levels.index(address)
    return row


def decide(
    records: list[MatchRecord], pairs: list[tuple[int, int, list[int]]], rules: PolicyRules | None = None
) -> PolicyResult:
    table = RecordTable.build(records)
    left = np.array([p[0] for p in pairs], dtype=np.int64)
    right = np.array([p[1] for p in pairs], dtype=np.int64)
    matrix = np.array([p[2] for p in pairs], dtype=np.int8)
    return apply_policy(table, left, right, matrix, rules or get_rules().resolution.policy)


def one(a: MatchRecord, b: MatchRecord, row: list[int], rules: PolicyRules | None = None) -> tuple[int, str]:
    """The outcome and the rule's name for the single pair (a, b)."""
    result = decide([a, b], [(0, 1, row)], rules)
    return int(result.outcome[0]), RULES[int(result.rule[0])]


@pytest.fixture
def policy() -> PolicyRules:
    return get_rules().resolution.policy


def test_the_configured_policy_turns_every_hard_rule_on(policy: PolicyRules) -> None:
    """The other tests read the shipped rules.toml; they mean what they say only if it switches every rule on."""
    assert policy.same_name_same_certificate_merges
    assert policy.different_certificates_never_merge
    assert policy.individuals_across_local_networks_never_merge
    assert policy.cross_group_requires_same_location


def test_same_name_and_same_certificate_merge_directly() -> None:
    """同名同证直接归并: no score needed, and the rule that forced it is named."""
    cert = resident_id(101)
    assert one(record("a", cert=cert), record("b", cert=cert), gamma("exact")) == (MERGE, "same_name_same_certificate")


def test_two_different_valid_certificates_never_merge_even_with_everything_else_equal() -> None:
    """不同证件不同客户: exact name and exact address cannot overturn two verifiable documents."""
    outcome = one(record("a", cert=resident_id(102)), record("b", cert=resident_id(104)), gamma("exact", "exact"))
    assert outcome == (APART, "different_certificates")


def test_a_certificate_that_fails_its_check_is_no_evidence_of_a_different_customer() -> None:
    """A mistyped id (wrong check character) or an unverifiable passport is not a 'different certificate':
    the pair is left to the score instead of being kept apart (the mistyped id once the operator lets
    it join without review; by default it goes to review, tests/unit/test_quarantine.py)."""
    good = resident_id(106)
    mistyped = good[:-1] + ("0" if good[-1] != "0" else "1")
    assert not record("b", cert=mistyped).cert_valid
    scored = get_rules().resolution.policy.model_copy(update={"invalid_certificate_needs_review": False})
    assert one(record("a", cert=good), record("b", cert=mistyped), gamma("exact"), scored) == (SCORE, NO_RULE)
    passports = (
        record("a", cert="E12345678", cert_type="passport"),
        record("b", cert="E87654321", cert_type="passport"),
    )
    assert one(*passports, gamma("exact")) == (SCORE, NO_RULE)


def test_individuals_of_two_local_networks_stay_apart_even_with_the_same_name_and_certificate() -> None:
    """Public customers of different 本地网 are not merged; this rule comes before the direct merge."""
    cert = resident_id(108)
    for segment in ("individual", "household"):
        outcome = one(
            record("a", cert=cert, network="0591", segment=segment),
            record("b", cert=cert, network="0592", segment=segment),
            gamma("exact", "exact"),
        )
        assert outcome == (APART, "individuals_across_local_networks"), segment


def test_a_record_without_a_local_network_is_not_of_another_network() -> None:
    """An empty network is unknown, not different: the same name and certificate still merge."""
    cert = resident_id(110)
    assert one(record("a", cert=cert, network="0591"), record("b", cert=cert, network=""), gamma("exact")) == (
        MERGE,
        "same_name_same_certificate",
    )


def test_organisations_across_local_networks_go_to_the_configured_department(policy: PolicyRules) -> None:
    """政企 customers across networks are for the enterprise-customer department to decide: a review, never
    automatic, even with the same name and credit code; one organisation in the pair is enough."""
    code = credit_code("TE9TQRG01")
    name = "福州测试科技有限公司"
    org_a = record("a", cert=code, cert_type="credit_code", network="0591", segment="enterprise", name=name)
    org_b = record("b", cert=code, cert_type="credit_code", network="0592", segment="government", name=name)
    result = decide([org_a, org_b], [(0, 1, gamma("exact", "exact"))])
    assert (int(result.outcome[0]), RULES[int(result.rule[0])]) == (REVIEW, "organisations_across_local_networks")
    assert result.department == policy.organisations_across_local_networks_review_department
    person = record("c", network="0592", segment="individual", name=name)
    assert one(org_a, person, gamma("exact", "exact")) == (REVIEW, "organisations_across_local_networks")


def test_the_review_department_is_the_one_rules_toml_names(policy: PolicyRules) -> None:
    renamed = policy.model_copy(update={"organisations_across_local_networks_review_department": "zhengqi_bu"})
    organisations = [
        record("a", segment="enterprise", network="0591"),
        record("b", segment="enterprise", network="0592"),
    ]
    result = decide(organisations, [(0, 1, gamma("exact"))], renamed)
    assert result.department == "zhengqi_bu" and int(result.outcome[0]) == REVIEW


def test_small_businesses_across_local_networks_go_to_review_like_other_organisations() -> None:
    code = credit_code("TE9TQRG02")
    a = record("a", cert=code, cert_type="credit_code", network="0591", segment="small_business", name="福州小店")
    b = record("b", cert=code, cert_type="credit_code", network="0592", segment="small_business", name="福州小店")
    assert one(a, b, gamma("exact", "exact")) == (REVIEW, "organisations_across_local_networks")


@pytest.mark.parametrize("address", ["similar", "same_area", "different", None])
def test_different_customer_groups_stay_apart_unless_at_the_same_location(address: str | None) -> None:
    """跨客户群: a public record and an organisation with the same certificate, in one network, at an address
    that is not the same place (only 'exact' or 'close' is), are not merged."""
    cert = resident_id(112)
    outcome = one(
        record("a", cert=cert, segment="individual"),
        record("b", cert=cert, segment="small_business"),
        gamma("exact", address),
    )
    assert outcome == (APART, "cross_group_different_location")


@pytest.mark.parametrize("address", ["exact", "close"])
def test_different_customer_groups_at_the_same_location_fall_through_to_the_direct_merge(address: str) -> None:
    cert = resident_id(114)
    outcome = one(
        record("a", cert=cert, segment="individual"),
        record("b", cert=cert, segment="small_business"),
        gamma("exact", address),
    )
    assert outcome == (MERGE, "same_name_same_certificate")


def test_individual_and_household_are_one_customer_group() -> None:
    """rules.toml maps both to 'public', so a different address does not separate them."""
    cert = resident_id(116)
    assert one(
        record("a", cert=cert, segment="individual"),
        record("b", cert=cert, segment="household"),
        gamma("exact", "different"),
    ) == (MERGE, "same_name_same_certificate")


def test_the_same_certificate_under_a_different_name_is_reviewed_and_a_near_name_is_scored() -> None:
    """Only an entirely different name makes a same-certificate pair suspect; a homophone (or any level
    between exact and different) is left to the probabilistic score."""
    cert = resident_id(118)
    a, b = record("a", cert=cert), record("b", cert=cert, name="欧阳某某")
    assert one(a, b, gamma("different")) == (REVIEW, "same_certificate_different_name")
    assert one(a, b, gamma("homophone")) == (SCORE, NO_RULE)
    assert one(a, b, gamma(None)) == (SCORE, NO_RULE)


def test_the_first_rule_that_applies_wins() -> None:
    """Different certificates and different networks: the certificate rule is named, it comes first."""
    outcome = one(
        record("a", cert=resident_id(120), network="0591"),
        record("b", cert=resident_id(122), network="0592"),
        gamma("exact"),
    )
    assert outcome == (APART, "different_certificates")


def test_switching_a_rule_off_in_the_configuration_lets_the_pair_through(policy: PolicyRules) -> None:
    cert = resident_id(124)
    same = (record("a", cert=cert), record("b", cert=cert))
    off = policy.model_copy(update={"same_name_same_certificate_merges": False})
    assert one(*same, gamma("exact"), off) == (SCORE, NO_RULE)
    different = (record("a", cert=resident_id(126)), record("b", cert=resident_id(128)))
    off = policy.model_copy(update={"different_certificates_never_merge": False})
    assert one(*different, gamma("exact"), off) == (SCORE, NO_RULE)
    across = (record("a", cert=cert, network="0591"), record("b", cert=cert, network="0592"))
    off = policy.model_copy(update={"individuals_across_local_networks_never_merge": False})
    assert one(*across, gamma("exact"), off) == (MERGE, "same_name_same_certificate")
    groups = (record("a", cert=cert, segment="individual"), record("b", cert=cert, segment="enterprise"))
    off = policy.model_copy(update={"cross_group_requires_same_location": False})
    assert one(*groups, gamma("exact", "different"), off) == (MERGE, "same_name_same_certificate")


def test_many_pairs_in_one_call_are_decided_as_each_alone() -> None:
    """The rules are vectorised masks: a pair's outcome must not depend on the other pairs of the batch."""
    cert = resident_id(130)
    records = [
        record("a", cert=cert),
        record("b", cert=cert),
        record("c", cert=resident_id(132)),
        record("d", cert=cert, network="0592"),
        record("e", cert=cert, name="欧阳某某"),
        record("f"),
    ]
    pairs = [
        (0, 1, gamma("exact")),
        (0, 2, gamma("exact")),
        (0, 3, gamma("exact")),
        (0, 4, gamma("different")),
        (0, 5, gamma("close")),
        (1, 5, gamma(None)),
    ]
    together = decide(records, pairs)
    alone = [decide(records, [pair]) for pair in pairs]
    assert together.outcome.tolist() == [int(r.outcome[0]) for r in alone]
    assert together.rule.tolist() == [int(r.rule[0]) for r in alone]
    assert [RULES[k] for k in together.rule.tolist()] == [
        "same_name_same_certificate",
        "different_certificates",
        "individuals_across_local_networks",
        "same_certificate_different_name",
        NO_RULE,
        NO_RULE,
    ]


def test_the_real_comparisons_feed_the_rules_the_columns_they_read() -> None:
    """With the comparison matrix computed by compare_all (not given by hand), the name and address
    columns the policy reads are the right ones: same name and certificate merge, a new name is reviewed."""
    cert = resident_id(134)
    table = RecordTable.build([record("a", cert=cert), record("b", cert=cert), record("c", cert=cert, name="欧阳某某")])
    left, right = np.array([0, 0]), np.array([1, 2])
    result = apply_policy(table, left, right, compare_all(table, left, right), get_rules().resolution.policy)
    assert result.outcome.tolist() == [MERGE, REVIEW]
    assert [RULES[k] for k in result.rule.tolist()] == ["same_name_same_certificate", "same_certificate_different_name"]


# ---------------------------------------------------------------- one set of rules


_shapes = st.tuples(
    st.sampled_from([None, 1, 2]),
    st.sampled_from(["", "0591", "0592"]),
    st.sampled_from(["individual", "household", "small_business", "enterprise"]),
)


@settings(max_examples=300, derandomize=True, deadline=None)
@given(first=_shapes, second=_shapes, address=st.sampled_from([*ADDRESS.levels, None]))
def test_the_pairwise_policy_and_the_merge_rules_agree_on_two_records(
    first: tuple, second: tuple, address: str | None
) -> None:
    """policy.py applies the hard rules pair by pair before scoring; merge_rules.py applies them to
    whole customers on every path. On two single records they name the same rule, or neither does."""
    records = [
        record(str(i), cert=resident_id(c) if c else "", network=net, segment=segment)
        for i, (c, net, segment) in enumerate((first, second))
    ]
    policy = get_rules().resolution.policy
    result = decide(records, [(0, 1, gamma("different", address))], policy)
    pairwise = RULES[int(result.rule[0])]
    table = RecordTable.build(records)
    rules = MergeRules(table, policy)
    refusal = rules.conflict(
        rules.facts(0), rules.facts(1), same_location=address in ("exact", "close"), departments=()
    )
    assert (refusal.rule if refusal else None) == (pairwise if pairwise in HARD_RULES else None)
