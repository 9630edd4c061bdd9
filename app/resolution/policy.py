"""The operator's merge rules (DOMAIN.md, 客户归并) as hard policy over candidate pairs.

Policy is applied before and above the probabilistic score: a rule here can force a
merge, forbid one, or send a pair to a named department's review, whatever the score.
Vectorised: each rule is a boolean mask over all pairs; the first rule that applies wins.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from app.resolution.comparisons import ADDRESS, BIRTH_DATE, CERTIFICATE, COMPARISONS, EMAIL, NAME, PHONE
from app.resolution.records import RecordTable
from app.rules import PolicyRules

APART, REVIEW, MERGE, SCORE = 0, 1, 2, 3
OUTCOME_NAMES = {APART: "apart", REVIEW: "review", MERGE: "merge"}

NO_RULE = "score"
RULES = (
    NO_RULE,
    "different_certificates",
    "individuals_across_local_networks",
    "cross_group_different_location",
    "organisations_across_local_networks",
    "same_name_same_certificate",
    "same_certificate_different_name",
    "invalid_certificate_against_valid",
)
RULE_INDEX = {name: i for i, name in enumerate(RULES)}
NAME_COLUMN = COMPARISONS.index(NAME)
ADDRESS_COLUMN = COMPARISONS.index(ADDRESS)


@dataclass(slots=True)
class PolicyResult:
    outcome: np.ndarray
    rule: np.ndarray
    department: str


def apply_policy(
    table: RecordTable, left: np.ndarray, right: np.ndarray, gamma: np.ndarray, rules: PolicyRules
) -> PolicyResult:
    n = len(left)
    outcome = np.full(n, SCORE, dtype=np.int8)
    rule = np.zeros(n, dtype=np.int8)
    undecided = np.ones(n, dtype=bool)

    def decide(mask: np.ndarray, result: int, name: str) -> None:
        hit = mask & undecided
        outcome[hit] = result
        rule[hit] = RULE_INDEX[name]
        undecided[hit] = False

    codes = table.codes
    valid = codes["cert_valid"]
    both_valid = valid[left] & valid[right]
    same_cert = codes["cert_key"][left] == codes["cert_key"][right]
    network = codes["local_network"]
    networks_differ = (network[left] != network[right]) & (network[left] >= 0) & (network[right] >= 0)
    organisation = codes["is_organisation"]
    either_organisation = organisation[left] | organisation[right]
    group_code = group_codes(table, rules)
    groups_differ = group_code[left] != group_code[right]
    same_location = (gamma[:, ADDRESS_COLUMN] == 0) | (gamma[:, ADDRESS_COLUMN] == 1)
    name_level = gamma[:, NAME_COLUMN]

    if rules.different_certificates_never_merge:
        decide(both_valid & ~same_cert, APART, "different_certificates")
    if rules.individuals_across_local_networks_never_merge:
        decide(networks_differ & ~either_organisation, APART, "individuals_across_local_networks")
    if rules.cross_group_requires_same_location:
        decide(groups_differ & ~same_location, APART, "cross_group_different_location")
    decide(networks_differ & either_organisation, REVIEW, "organisations_across_local_networks")
    if rules.invalid_certificate_needs_review:
        invalid = _invalid_certificates(table)
        against = ((invalid[left] & valid[right]) | (valid[left] & invalid[right])) & ~same_cert
        decide(against & _alike(gamma), REVIEW, "invalid_certificate_against_valid")
        decide(against, APART, "invalid_certificate_against_valid")
    if rules.same_name_same_certificate_merges:
        decide(both_valid & same_cert & (name_level == 0), MERGE, "same_name_same_certificate")
    decide(both_valid & same_cert & (name_level == len(NAME.levels) - 1), REVIEW, "same_certificate_different_name")
    return PolicyResult(outcome, rule, rules.organisations_across_local_networks_review_department)


def _invalid_certificates(table: RecordTable) -> np.ndarray:
    """Records whose resident id or credit code failed its check (a file's row kept with the number set
    aside, app/resolution/prepare.py); a passport or other number cannot be checked, so is not invalid."""
    out = np.zeros(len(table), dtype=bool)
    kinds = table.columns["cert_kind"]
    for i in np.flatnonzero((table.codes["cert_no"] >= 0) & ~table.codes["cert_valid"]).tolist():
        out[i] = kinds[i] in ("resident_id", "credit_code", "org_code")
    return out


def _alike(gamma: np.ndarray) -> np.ndarray:
    """Two of name, certificate (one or two edits: a likely typo), birth date, phone and e-mail agree:
    worth a steward's look. Pairs that do not look alike stay apart rather than fill the queue."""
    agree = [
        (NAME_COLUMN, NAME.levels.index("one_character")),
        (COMPARISONS.index(CERTIFICATE), CERTIFICATE.levels.index("two_edits")),
        (COMPARISONS.index(BIRTH_DATE), BIRTH_DATE.levels.index("close")),
        (COMPARISONS.index(PHONE), 0),
        (COMPARISONS.index(EMAIL), EMAIL.levels.index("close")),
    ]
    agreeing = np.zeros(len(gamma), dtype=np.int8)
    for k, level in agree:
        agreeing += (gamma[:, k] >= 0) & (gamma[:, k] <= level)
    return agreeing >= 2


def group_codes(table: RecordTable, rules: PolicyRules) -> np.ndarray:
    """Each record's customer group, an index into the groups' names in order (-1: none), looked up once
    per distinct segment through the segments' codes: five million segments as strings were 300 MB."""
    index = {group: i for i, group in enumerate(sorted(set(rules.groups.values())))}
    codes = table.codes["segment"]
    distinct, first = np.unique(codes, return_index=True)
    segments = table.columns["segment"]
    by_code = np.full(int(distinct.max(initial=-1)) + 2, -1, dtype=np.int32)
    for code, at in zip(distinct.tolist(), first.tolist()):
        segment = segments[at]
        by_code[code + 1] = index.get(rules.groups.get(segment, segment), -1)
    return by_code[codes.astype(np.int64) + 1]
