"""From merge edges to customers: app/resolution/clustering.py and app/resolution/union_find.py.

``cluster`` applies the steward's must-links first, then merge edges strongest first, and refuses a join
the hard rules forbid for the two clusters as a whole (two different valid certificates, individuals of
two local networks, organisations of two networks without their department) or a steward decision keeps
apart, so a chain of weak links cannot join what the policy keeps apart pair by pair. ``UnionFind`` and
``components`` give every caller the same representative for a set: its smallest member, whatever order
the pairs come in.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from app.resolution.clustering import (
    ALREADY_TOGETHER,
    JOIN,
    REFUSED_CERTIFICATES,
    REFUSED_DECIDED,
    REFUSED_DEPARTMENT,
    REFUSED_NETWORKS,
    Link,
    cluster,
)
from app.resolution.merge_rules import DIFFERENT_CERTIFICATES, MergeRules
from app.resolution.prepare import match_record
from app.resolution.records import MatchRecord, RecordTable
from app.resolution.union_find import UnionFind, components
from app.rules import get_rules
from tests.identities import credit_code, resident_id


def record(
    id: str, *, cert: str = "", cert_type: str = "resident_id", network: str = "0591", segment: str = "individual"
) -> MatchRecord:
    return match_record(
        {
            "id": id,
            "source": "crm",
            "name": "甄测试",
            "cert_type": cert_type if cert else "blank",
            "cert_no": cert,
            "local_network": network,
            "segment": segment,
        }
    )


def run(
    records: Sequence[MatchRecord],
    edges: Sequence[tuple[int, int]],
    order: Sequence[int] | None = None,
    *,
    must: Sequence[Link] = (),
    cannot: Sequence[Link] = (),
) -> tuple[list[int], list[int]]:
    """Each record's root and each edge's verdict (indexed like ``edges``), edges applied in ``order``."""
    roots, verdict, _ = run_with_decisions(records, edges, order, must=must, cannot=cannot)
    return roots, verdict


def run_with_decisions(
    records: Sequence[MatchRecord],
    edges: Sequence[tuple[int, int]],
    order: Sequence[int] | None = None,
    *,
    must: Sequence[Link] = (),
    cannot: Sequence[Link] = (),
) -> tuple[list[int], list[int], list]:
    table = RecordTable.build(records)
    left = np.array([a for a, _ in edges], dtype=np.int64)
    right = np.array([b for _, b in edges], dtype=np.int64)
    sequence = np.arange(len(edges)) if order is None else np.array(order, dtype=np.int64)
    policy = get_rules().resolution.policy
    clusters, verdict, refusals = cluster(table, left, right, sequence, policy, must=must, cannot=cannot)
    return clusters.roots().tolist(), verdict.tolist(), refusals


# ---------------------------------------------------------------- cluster


def test_edges_join_records_into_customers_rooted_at_their_smallest_record() -> None:
    roots, verdict = run([record(str(i)) for i in range(5)], [(3, 4), (4, 1), (2, 0)])
    assert roots == [0, 1, 0, 1, 1]
    assert verdict == [JOIN, JOIN, JOIN]


def test_an_edge_inside_one_customer_is_already_together() -> None:
    roots, verdict = run([record(str(i)) for i in range(3)], [(0, 1), (1, 2), (2, 0)])
    assert roots == [0, 0, 0]
    assert verdict == [JOIN, JOIN, ALREADY_TOGETHER]


def test_two_different_valid_certificates_are_refused() -> None:
    roots, verdict = run([record("a", cert=resident_id(1)), record("b", cert=resident_id(2))], [(0, 1)])
    assert roots == [0, 1]
    assert verdict == [REFUSED_CERTIFICATES]


def test_the_same_certificate_joins_and_a_mistyped_one_only_by_review_when_the_operator_says_so() -> None:
    """Two different *valid* certificates never join; a mistyped id is no certificate to that rule, and
    joins a valid one's customer automatically only when invalid_certificate_needs_review is off."""
    good = resident_id(3)
    mistyped = good[:-1] + ("0" if good[-1] != "0" else "1")
    records = [record("a", cert=good), record("b", cert=good), record("c", cert=mistyped)]
    assert run(records, [(0, 1), (1, 2)]) == ([0, 0, 2], [JOIN, REFUSED_CERTIFICATES])
    policy = get_rules().resolution.policy.model_copy(update={"invalid_certificate_needs_review": False})
    table = RecordTable.build(records)
    clusters, verdict, _ = cluster(table, np.array([0, 1]), np.array([1, 2]), np.arange(2), policy)
    assert clusters.roots().tolist() == [0, 0, 0] and verdict.tolist() == [JOIN, JOIN]


def test_a_certificate_less_bridge_does_not_chain_two_certificates() -> None:
    """A(X) - B(none) - C(Y): whichever link comes second is refused, so X and Y never meet."""
    records = [record("a", cert=resident_id(4)), record("b"), record("c", cert=resident_id(5))]
    roots, verdict = run(records, [(0, 1), (1, 2)])
    assert roots == [0, 0, 2]
    assert verdict == [JOIN, REFUSED_CERTIFICATES]


def test_order_matters_the_strongest_edge_is_applied_first() -> None:
    """The same two edges in the other order: the bridge goes with C, and the A link is the refused one
    (the weakest link is what goes to a steward)."""
    records = [record("a", cert=resident_id(4)), record("b"), record("c", cert=resident_id(5))]
    roots, verdict = run(records, [(0, 1), (1, 2)], order=[1, 0])
    assert roots == [0, 1, 1]
    assert verdict == [REFUSED_CERTIFICATES, JOIN]


def test_individuals_of_two_local_networks_are_refused() -> None:
    roots, verdict = run([record("a", network="0591"), record("b", network="0592")], [(0, 1)])
    assert roots == [0, 1]
    assert verdict == [REFUSED_NETWORKS]


def test_a_networkless_record_does_not_chain_two_networks() -> None:
    """Individual 0591 - record of no network - individual 0592: the second individual is refused."""
    records = [record("a", network="0591"), record("b", network=""), record("c", network="0592")]
    roots, verdict = run(records, [(0, 1), (1, 2)])
    assert roots == [0, 0, 2]
    assert verdict == [JOIN, REFUSED_NETWORKS]


def test_an_organisation_of_another_network_is_its_departments_decision() -> None:
    """Individual 0591 - organisation 0593: a join spanning networks with an organisation in it goes to
    the organisation customers' department, whichever way the edge comes."""
    records = [record("a", network="0591"), record("b", network="0593", segment="enterprise")]
    roots, verdict = run(records, [(0, 1)])
    assert roots == [0, 1]
    assert verdict == [REFUSED_DEPARTMENT]


def test_organisations_of_two_networks_join_only_by_their_departments_decision() -> None:
    code = credit_code("TE9TQRG01")
    records = [
        record("a", cert=code, cert_type="credit_code", network="0591", segment="enterprise"),
        record("b", cert=code, cert_type="credit_code", network="0592", segment="government"),
    ]
    assert run(records, [(0, 1)]) == ([0, 1], [REFUSED_DEPARTMENT])
    department = get_rules().resolution.policy.organisations_across_local_networks_review_department
    roots, verdict, refusals = run_with_decisions(records, [], must=[Link(0, 1, (department,))])
    assert roots == [0, 0] and refusals == [None]
    roots, _, refusals = run_with_decisions(records, [], must=[Link(0, 1, ("data_stewards",))])
    assert roots == [0, 1] and refusals[0].department == department


def test_small_businesses_are_organisations_across_networks() -> None:
    """DOMAIN.md §3: small businesses are on the 政企 side; two of them across networks are not refused
    as individuals but sent to the department."""
    records = [
        record("a", network="0591", segment="small_business"),
        record("b", network="0592", segment="small_business"),
    ]
    assert run(records, [(0, 1)]) == ([0, 1], [REFUSED_DEPARTMENT])


# ---------------------------------------------------------------- steward decisions


def test_a_must_link_joins_what_no_edge_links() -> None:
    roots, verdict, refusals = run_with_decisions([record(str(i)) for i in range(3)], [], must=[Link(0, 2)])
    assert roots == [0, 1, 0] and refusals == [None]


def test_a_must_link_is_stopped_by_a_hard_rule_and_reported() -> None:
    records = [record("a", cert=resident_id(1)), record("b", cert=resident_id(2))]
    roots, _, refusals = run_with_decisions(records, [], must=[Link(0, 1)])
    assert roots == [0, 1]
    assert refusals[0].rule == DIFFERENT_CERTIFICATES
    assert set(refusals[0].values) == {resident_id(1), resident_id(2)}


def test_a_cannot_link_holds_against_a_chain_of_edges() -> None:
    """0 ≠ 2 decided; edges 0-1 and 1-2: the second join would put them together and is refused."""
    roots, verdict = run([record(str(i)) for i in range(3)], [(0, 1), (1, 2)], cannot=[Link(0, 2)])
    assert roots == [0, 0, 2]
    assert verdict == [JOIN, REFUSED_DECIDED]


def test_a_cannot_link_holds_against_a_must_link_chain() -> None:
    roots, verdict, refusals = run_with_decisions(
        [record(str(i)) for i in range(3)], [(1, 2)], must=[Link(0, 1)], cannot=[Link(0, 2)]
    )
    assert roots == [0, 0, 2]
    assert verdict == [REFUSED_DECIDED] and refusals == [None]


def test_a_certificate_is_kept_whichever_end_of_the_edge_has_the_larger_root() -> None:
    """0(none) - 2(none) join; then 1(X) joins them through record 2, whose root (0) is smaller than 1;
    then 3(Y) must be refused. Every edge has left < right, as blocking gives them."""
    records = [record("0"), record("1", cert=resident_id(6)), record("2"), record("3", cert=resident_id(7))]
    roots, verdict = run(records, [(0, 2), (1, 2), (2, 3)])
    assert verdict == [JOIN, JOIN, REFUSED_CERTIFICATES]
    assert roots == [0, 0, 0, 3]


def test_a_network_is_kept_whichever_end_of_the_edge_has_the_larger_root() -> None:
    records = [
        record("0", network=""),
        record("1", network="0591"),
        record("2", network=""),
        record("3", network="0592"),
    ]
    roots, verdict = run(records, [(0, 2), (1, 2), (2, 3)])
    assert verdict == [JOIN, JOIN, REFUSED_NETWORKS]
    assert roots == [0, 0, 0, 3]


def test_records_of_one_network_share_one_set_of_it_in_their_facts() -> None:
    """A million records' facts each with sets of their own were 140 MB at the linker's peak."""
    records = [record("0"), record("1"), record("2", network="0592"), record("3", network="")]
    rules = MergeRules(RecordTable.build(records), get_rules().resolution.policy)
    first, second, other, none = (rules.facts(i) for i in range(4))
    assert first.networks is second.networks and first.public_networks is second.networks
    assert first.groups is second.groups is other.groups
    assert other.networks != first.networks
    assert none.networks == frozenset() and none.public_networks == frozenset()


_records = st.lists(
    st.tuples(st.sampled_from([None, 1, 2, 3]), st.sampled_from(["", "0591", "0592"]), st.booleans()),
    min_size=2,
    max_size=7,
)


@settings(max_examples=300, derandomize=True, deadline=None)
@given(data=st.data(), shapes=_records)
def test_no_customer_ever_holds_two_certificates_or_individuals_of_two_networks(
    data: st.DataObject, shapes: list
) -> None:
    """Whatever the edges and their order, the two refusals hold for every cluster as a whole."""
    records = [
        record(str(i), cert=resident_id(c) if c else "", network=net, segment="enterprise" if org else "individual")
        for i, (c, net, org) in enumerate(shapes)
    ]
    n = len(records)
    edges = data.draw(
        st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)).filter(lambda e: e[0] != e[1]), max_size=12)
    )
    order = data.draw(st.permutations(range(len(edges))))
    pairs = st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)).filter(lambda e: e[0] != e[1])
    must = [Link(a, b) for a, b in data.draw(st.lists(pairs, max_size=3))]
    cannot = [Link(a, b) for a, b in data.draw(st.lists(pairs, max_size=3))]
    roots, _ = run(records, edges, order, must=must, cannot=cannot)
    for root in set(roots):
        members = [records[i] for i in range(n) if roots[i] == root]
        assert len({r.cert_no for r in members if r.cert_valid}) <= 1
        assert len({r.local_network for r in members if not r.is_organisation and r.local_network}) <= 1
        if any(r.is_organisation for r in members):
            assert len({r.local_network for r in members if r.local_network}) <= 1
    for link in cannot:
        assert roots[link.left] != roots[link.right]


@settings(max_examples=200, derandomize=True, deadline=None)
@given(data=st.data(), n=st.integers(1, 8))
def test_without_certificates_or_networks_clustering_is_plain_connectivity(data: st.DataObject, n: int) -> None:
    """With nothing to refuse, every edge joins (or is already together) and the customers are the
    connected components, whatever the edge order."""
    edges = data.draw(
        st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)).filter(lambda e: e[0] != e[1]), max_size=12)
    )
    order = data.draw(st.permutations(range(len(edges))))
    roots, verdict = run([record(str(i), network="") for i in range(n)], edges, order)
    assert roots == [components(range(n), edges)[i] for i in range(n)]
    assert set(verdict) <= {JOIN, ALREADY_TOGETHER}
    assert verdict.count(JOIN) == n - len(set(roots))


# ---------------------------------------------------------------- union-find


def test_union_find_roots_at_the_smallest_member_and_returns_it() -> None:
    sets = UnionFind(6)
    assert [sets.find(i) for i in range(6)] == [0, 1, 2, 3, 4, 5]
    assert sets.union(5, 3) == 3
    assert sets.union(4, 5) == 3
    assert sets.union(1, 4) == 1
    assert [sets.find(i) for i in range(6)] == [0, 1, 2, 1, 1, 1]
    assert sets.union(3, 5) == 1  # already one set: the union changes nothing
    assert [sets.find(i) for i in range(6)] == [0, 1, 2, 1, 1, 1]


def test_components_name_each_key_by_the_smallest_key_of_its_component() -> None:
    joined = components(["d", "b", "a", "c", "e", "b"], [("d", "b"), ("c", "e"), ("x", "a"), ("e", "zz")])
    assert joined == {"a": "a", "b": "b", "c": "c", "d": "b", "e": "c"}


def test_components_of_no_pairs_are_the_keys_themselves() -> None:
    assert components([3, 1, 2], []) == {1: 1, 2: 2, 3: 3}
    assert components([], [(1, 2)]) == {}


def _connected(keys: set[int], pairs: list[tuple[int, int]]) -> dict[int, int]:
    """A naive oracle: grow each component by repeated passes over the pairs."""
    out: dict[int, int] = {}
    for key in sorted(keys):
        if key in out:
            continue
        component, grew = {key}, True
        while grew:
            grew = False
            for a, b in pairs:
                if a in keys and b in keys and (a in component) != (b in component):
                    component |= {a, b}
                    grew = True
        for member in component:
            out[member] = min(component)
    return out


@settings(max_examples=200, derandomize=True)
@given(
    keys=st.sets(st.integers(0, 30), max_size=15),
    pairs=st.lists(st.tuples(st.integers(0, 35), st.integers(0, 35)), max_size=25),
    data=st.data(),
)
def test_components_are_the_same_for_any_order_and_direction_of_the_pairs(
    keys: set[int], pairs: list[tuple[int, int]], data: st.DataObject
) -> None:
    shuffled = data.draw(st.permutations(pairs))
    flips = data.draw(st.lists(st.booleans(), min_size=len(pairs), max_size=len(pairs)))
    reordered = [(b, a) if flip else (a, b) for (a, b), flip in zip(shuffled, flips)]
    expected = _connected(keys, pairs)
    assert components(keys, pairs) == expected
    assert components(sorted(keys, reverse=True), reordered) == expected


def test_an_organisation_the_department_let_span_networks_takes_more_records_of_them() -> None:
    """x1, x2 in 0591 and y1 in 0592 share a credit code; the department approved x1 = y1. The edge x1-x2
    stays inside the networks the customer already spans: it joins, it is not sent back."""
    code = credit_code("TE9TQRG03")
    records = [
        record("x1", cert=code, cert_type="credit_code", network="0591", segment="enterprise"),
        record("x2", cert=code, cert_type="credit_code", network="0591", segment="enterprise"),
        record("y1", cert=code, cert_type="credit_code", network="0592", segment="enterprise"),
    ]
    department = get_rules().resolution.policy.organisations_across_local_networks_review_department
    roots, verdict, refusals = run_with_decisions(records, [(0, 1)], must=[Link(0, 2, (department,))])
    assert roots == [0, 0, 0] and verdict == [JOIN] and refusals == [None]
    y2 = record("y2", cert=code, cert_type="credit_code", network="0593", segment="enterprise")
    roots, verdict, _ = run_with_decisions([*records, y2], [(0, 3)], must=[Link(0, 2, (department,))])
    assert verdict == [REFUSED_DEPARTMENT], "a third network is the department's to decide again"


def test_a_mistyped_certificate_joins_a_valid_ones_customer_only_by_review() -> None:
    """a (valid X) - b (no certificate) - c (X mistyped): the chain does not bring c into a's customer
    (rules.toml invalid_certificate_needs_review); a steward's decision does."""
    good = resident_id(9)
    mistyped = good[:-1] + ("0" if good[-1] != "0" else "1")
    records = [record("a", cert=good), record("b"), record("c", cert=mistyped)]
    roots, verdict = run(records, [(0, 1), (1, 2)])
    assert roots == [0, 0, 2] and verdict == [JOIN, REFUSED_CERTIFICATES]
    roots, _, refusals = run_with_decisions(records, [(0, 1)], must=[Link(0, 2)])
    assert roots == [0, 0, 0] and refusals == [None]


@settings(max_examples=200, deadline=None)
@given(size=st.integers(1, 60), pairs=st.lists(st.tuples(st.integers(0, 59), st.integers(0, 59)), max_size=80))
def test_every_root_at_once_is_each_member_s_root_found_one_by_one(size: int, pairs: list[tuple[int, int]]) -> None:
    from app.resolution.union_find import UnionFind

    sets = UnionFind(size)
    for a, b in pairs:
        if a < size and b < size:
            sets.union(a, b)
    roots = sets.roots()
    assert roots.tolist() == [sets.find(i) for i in range(size)]
    assert all(roots[i] <= i for i in range(size))
