"""The operator's hard merge rules (DOMAIN.md §3): may these records form one customer?

Every path that puts records together asks :meth:`MergeRules.conflict`: batch clustering at each
join of two clusters, incremental attachment of a record to a customer, a steward's approval and
manual merge, a confirmation at a contact. The pairwise policy (policy.py) applies the same rules
to single records before scoring, as a fast filter; a test keeps the two in agreement.

The rules, over the union of two sets of records that were each legal on their own:
- never two different valid certificates (a 9-character organisation code and the credit code
  that embeds it are one certificate);
- never public customers (individual, household) of two local networks;
- two customer groups only at the same location;
- organisations spanning local networks only by their department's decision.
"""

from __future__ import annotations

from array import array
from collections.abc import Collection, Sequence
from dataclasses import dataclass

import numpy as np

from app.resolution.comparisons import ADDRESS, compare_all
from app.resolution.policy import group_codes
from app.resolution.records import MatchRecord, RecordTable
from app.rules import PolicyRules

DIFFERENT_CERTIFICATES = "different_certificates"
PUBLIC_ACROSS_NETWORKS = "individuals_across_local_networks"
CROSS_GROUP_ELSEWHERE = "cross_group_different_location"
ORGANISATIONS_ACROSS_NETWORKS = "organisations_across_local_networks"
HARD_RULES = (DIFFERENT_CERTIFICATES, PUBLIC_ACROSS_NETWORKS, CROSS_GROUP_ELSEWHERE, ORGANISATIONS_ACROSS_NETWORKS)
# Not a hard rule but the operator's setting (invalid_certificate_needs_review): a record whose
# certificate failed its check joins a customer holding a valid one only by a steward's review.
INVALID_AGAINST_VALID = "invalid_certificate_against_valid"
VERIFIABLE = ("resident_id", "credit_code", "org_code")

# Address comparison levels that count as "the same location" (exact, close).
SAME_LOCATION_LEVELS = (0, 1)
NONE = -1


@dataclass(frozen=True, slots=True)
class Refusal:
    """Why two sets of records may not form one customer: the rule and the two values that break it.
    With ``department`` set, the join is not forbidden but that department's to decide."""

    rule: str
    values: tuple[str, str]
    department: str | None = None

    def message(self) -> str:
        left, right = self.values
        if self.department:
            return f"{self.rule}: {left} and {right}; only the {self.department} department may decide this merge"
        return f"{self.rule}: {left} and {right} may not form one customer"


@dataclass(frozen=True, slots=True)
class Facts:
    """What the rules need to know of a set of records, in the table's integer codes."""

    certificate: int
    public_networks: frozenset[int]
    networks: frozenset[int]
    organisation: bool
    groups: frozenset[int]
    # A record whose verifiable certificate failed its check, by position (-1: none).
    unverified: int = NONE


class MergeRules:
    """The rules bound to one table of records: facts per record by position, and the conflict
    between two sets of records (each already one legal customer)."""

    def __init__(self, table: RecordTable, policy: PolicyRules) -> None:
        self.table = table
        self.policy = policy
        valid = table.codes["cert_valid"]
        # The certificate keys' own codes, renumbered in order of first use over valid ones only.
        keys = np.where(valid, table.codes["cert_key"], NONE)
        used = np.flatnonzero(keys >= 0)
        distinct, first, inverse = np.unique(keys[used], return_index=True, return_inverse=True)
        rank = np.empty(len(distinct), dtype=np.int64)
        rank[np.argsort(first, kind="stable")] = np.arange(len(distinct))
        certificate = np.full(len(table), NONE, dtype=np.int64)
        certificate[used] = rank[inverse]
        self._certificates = table.columns["cert_no"]
        # Each certificate code's first record, whose number a refusal names.
        self._first_of_code = np.empty(len(distinct), dtype=np.int64)
        self._first_of_code[rank] = used[first]
        # Per record, read one at a time while clustering: arrays, whose items come back as Python
        # values (numpy's per-item access is several times slower); lists of five million were 500 MB.
        self.certificate = array("q", certificate.tobytes())
        kinds = table.columns["cert_kind"]
        unverified = np.zeros(len(table), dtype=np.bool_)
        for i in np.flatnonzero((table.codes["cert_no"] >= 0) & ~valid).tolist():
            unverified[i] = kinds[i] in VERIFIABLE
        self.unverified = array("b", unverified.tobytes())
        self.network = array("q", table.codes["local_network"].astype(np.int64).tobytes())
        self.organisation = array("b", table.codes["is_organisation"].astype(np.bool_).tobytes())
        self.group_names = sorted(set(policy.groups.values()))
        self.group = array("q", group_codes(table, policy).astype(np.int64).tobytes())
        self._network_names = table.columns["local_network"]
        self._network_of_code: dict[int, str] = {}
        # One set per code, shared by every record's facts: a million records' own sets were 140 MB.
        self._sets: dict[int, frozenset[int]] = {NONE: frozenset()}

    def _set_of(self, code: int) -> frozenset[int]:
        found = self._sets.get(code)
        if found is None:
            found = self._sets[code] = frozenset((code,)) if code >= 0 else frozenset()
        return found

    def facts(self, i: int) -> Facts:
        networks = self._set_of(self.network[i])
        organisation = bool(self.organisation[i])
        return Facts(
            self.certificate[i],
            self._sets[NONE] if organisation else networks,
            networks,
            organisation,
            self._set_of(self.group[i]),
            i if self.unverified[i] else NONE,
        )

    def facts_of(self, indices: Sequence[int]) -> Facts:
        """The facts of a set of records taken as one customer, conflicts or not (a stored customer
        made by an earlier release may break a rule; the caller checks the join, not the past)."""
        facts = self.facts(indices[0])
        for i in indices[1:]:
            facts = join(facts, self.facts(i))
        return facts

    def conflict(
        self,
        a: Facts,
        b: Facts,
        *,
        same_location: bool,
        departments: Collection[str] = (),
        reviewed: bool = False,
    ) -> Refusal | None:
        """Whether the union of two legal sets may be one customer: None, or the first rule it breaks
        with the two values. ``same_location`` says whether the two sets meet at one address;
        ``departments`` are those whose decision this join carries; ``reviewed``, whether a steward's."""
        policy = self.policy
        if policy.different_certificates_never_merge and a.certificate != b.certificate:
            if a.certificate >= 0 and b.certificate >= 0:
                return Refusal(
                    DIFFERENT_CERTIFICATES,
                    (self._certificate_text(a.certificate), self._certificate_text(b.certificate)),
                )
        if policy.invalid_certificate_needs_review and not reviewed:
            for unverified, valid in ((a, b), (b, a)):
                if unverified.unverified >= 0 and unverified.certificate < 0 and valid.certificate >= 0:
                    return Refusal(
                        INVALID_AGAINST_VALID,
                        (self._certificates[unverified.unverified], self._certificate_text(valid.certificate)),
                    )
        if policy.individuals_across_local_networks_never_merge and a.public_networks != b.public_networks:
            if a.public_networks and b.public_networks:
                return Refusal(
                    PUBLIC_ACROSS_NETWORKS, (self._network(a.public_networks), self._network(b.public_networks))
                )
        if policy.cross_group_requires_same_location and a.groups and b.groups and not (a.groups & b.groups):
            if not same_location:
                return Refusal(CROSS_GROUP_ELSEWHERE, (self._group(a.groups), self._group(b.groups)))
        # A customer the department already let span networks takes more records of those networks.
        spans = a.networks | b.networks
        if (a.organisation or b.organisation) and a.networks and b.networks and spans not in (a.networks, b.networks):
            department = policy.organisations_across_local_networks_review_department
            if department not in departments:
                return Refusal(
                    ORGANISATIONS_ACROSS_NETWORKS,
                    (self._network(a.networks), self._network(b.networks)),
                    department,
                )
        return None

    def same_location(self, left: Sequence[int], right: Sequence[int], limit: int = 50) -> bool:
        """Whether any record of one set is at the address of one of the other (exact or close)."""
        pairs = [(i, j) for i in left[:limit] for j in right[:limit]]
        if not pairs:
            return False
        gamma = compare_all(
            self.table, np.asarray([p[0] for p in pairs]), np.asarray([p[1] for p in pairs]), (ADDRESS,)
        )
        return bool(np.isin(gamma[:, 0], SAME_LOCATION_LEVELS).any())

    def _certificate_text(self, code: int) -> str:
        return self._certificates[int(self._first_of_code[code])]

    def _network(self, codes: frozenset[int]) -> str:
        if not self._network_of_code:
            for name, code in zip(self._network_names, self.network):
                self._network_of_code.setdefault(code, name)
        return "/".join(sorted(self._network_of_code[c] for c in codes))

    def _group(self, codes: frozenset[int]) -> str:
        return "/".join(sorted(self.group_names[c] for c in codes))


def join(a: Facts, b: Facts) -> Facts:
    return Facts(
        a.certificate if a.certificate >= 0 else b.certificate,
        a.public_networks if a.public_networks >= b.public_networks else a.public_networks | b.public_networks,
        a.networks if a.networks >= b.networks else a.networks | b.networks,
        a.organisation or b.organisation,
        a.groups if a.groups >= b.groups else a.groups | b.groups,
        a.unverified if a.unverified >= 0 else b.unverified,
    )


def check_sides(
    left: Sequence[MatchRecord],
    right: Sequence[MatchRecord],
    policy: PolicyRules,
    departments: Collection[str] = (),
    *,
    reviewed: bool = False,
) -> Refusal | None:
    """May the records of two customers (or a customer and a record) become one? For the paths that
    join whole customers: steward approval, manual merge, incremental attachment, contact confirmation."""
    if not left or not right:
        return None
    table = RecordTable.build([*left, *right])
    rules = MergeRules(table, policy)
    a = list(range(len(left)))
    b = list(range(len(left), len(left) + len(right)))
    return rules.conflict(
        rules.facts_of(a),
        rules.facts_of(b),
        same_location=rules.same_location(a, b),
        departments=departments,
        reviewed=reviewed,
    )
