"""Why a record stands alone (app/resolution/linker.py, ``_singleton_reasons``): nothing to match on, no
candidate, or its best candidate by probability and what kept them apart, whichever end of the pair the
record is at. The reason is found from the pairs with a record alone at one end, by position."""

from __future__ import annotations

import numpy as np

from app.resolution.linker import _singleton_reasons
from app.resolution.policy import APART, MERGE, REVIEW, RULE_INDEX
from app.resolution.prepare import match_record
from app.resolution.records import RecordTable


def _table() -> RecordTable:
    named = [{"id": f"r{k}", "source": "crm", "name": f"甄测试{k}", "local_network": "0591"} for k in range(5)]
    bare = {"id": "r5", "source": "crm", "local_network": "0591"}
    return RecordTable.build([match_record(values) for values in [*named, bare]])


def test_each_record_alone_gets_its_best_candidate_or_why_it_has_none() -> None:
    table = _table()
    # r0 and r1 are one customer; r2 alone with four candidates, the best (0.8) where it is the right end;
    # r3 alone with one candidate; r4 alone with none; r5 has nothing to match on.
    roots = np.asarray([0, 0, 2, 3, 4, 5])
    left = np.asarray([0, 0, 2, 1, 2])
    right = np.asarray([1, 2, 3, 2, 5])
    outcome = np.asarray([MERGE, APART, APART, REVIEW, APART], dtype=np.int8)
    probability = np.asarray([0.99, 0.3, 0.2, 0.8, 0.5])
    rule = np.asarray([0, 0, 0, RULE_INDEX["individuals_across_local_networks"], 0], dtype=np.int8)

    reasons = _singleton_reasons(table, roots, left, right, outcome, probability, rule)

    assert sorted(reasons) == [2, 3, 4, 5]
    assert reasons[2] == (
        "4 candidates; the best kept apart (review, rule individuals_across_local_networks, probability 0.8000)"
    )
    assert reasons[3] == "1 candidates; the best kept apart (apart, rule score, probability 0.2000)"
    assert reasons[4] == "no candidate found by any blocking rule"
    assert reasons[5] == "nothing to match on: no certificate, phone, e-mail or name"


def test_a_record_alone_among_pairs_of_joined_records_names_only_its_own_pairs() -> None:
    table = _table()
    roots = np.asarray([0, 0, 0, 3, 4, 5])
    left = np.asarray([0, 1, 0, 3])
    right = np.asarray([1, 2, 3, 4])
    outcome = np.asarray([MERGE, MERGE, APART, APART], dtype=np.int8)
    probability = np.asarray([0.99, 0.97, 0.6, 0.4])
    rule = np.zeros(4, dtype=np.int8)

    reasons = _singleton_reasons(table, roots, left, right, outcome, probability, rule)

    assert reasons[3] == "2 candidates; the best kept apart (apart, rule score, probability 0.6000)"
    assert reasons[4] == "1 candidates; the best kept apart (apart, rule score, probability 0.4000)"
