"""The checked files' ids kept as sorted bytes answer a batch's references as the sets they replace did."""

from __future__ import annotations

import pickle

from hypothesis import given
from hypothesis import strategies as st

from loaders.accepted_ids import AcceptedIds, FileIds, KnownBefore

# Ids of varying lengths, with characters of several UTF-8 widths: a shorter id is a prefix of a
# longer one, and some are longer than any held (cut to the held width they would match a held one).
ID = st.text(alphabet=st.sampled_from("aAb1:-_张三é\u3000"), min_size=0, max_size=12)
# What a row may name: also with NULs (refused on reading, so never held), at the end or inside.
WANTED = st.text(alphabet=st.sampled_from("aAb1:-_张三é\u3000\x00"), min_size=0, max_size=12)


@given(st.lists(st.sets(ID, max_size=30), max_size=4), st.sets(ID, max_size=10), st.sets(WANTED, max_size=40))
def test_a_set_difference_and_membership_are_the_sets(files: list[set[str]], added: set[str], wanted: set[str]) -> None:
    known = KnownBefore(AcceptedIds(ids) for ids in files)
    for rid in added:
        known.add(rid)
    held = set().union(*files, added)
    assert wanted - known == wanted - held
    assert {rid for rid in wanted if rid in known} == wanted & held
    assert sorted(known) == sorted(held) and len(known) == len(held)
    assert known | wanted == held | wanted and known & wanted == held & wanted


def test_an_id_longer_than_every_held_one_is_not_found_by_its_prefix() -> None:
    known = KnownBefore([AcceptedIds({"crm:accounts:CA1", "crm:accounts:CA2"})])
    assert {"crm:accounts:CA10", "crm:accounts:CA2", "crm:accounts:CA"} - known == {
        "crm:accounts:CA10",
        "crm:accounts:CA",
    }
    assert "crm:accounts:CA10" not in known and "crm:accounts:CA1" in known


def test_an_id_with_a_nul_is_never_found() -> None:
    """Fixed-width bytes pad with NULs: ``CA1\\x00`` would match ``CA1`` (such a value is refused on reading)."""
    known = KnownBefore([AcceptedIds({"CA1"})])
    assert {"CA1\x00", "CA1"} - known == {"CA1\x00"}
    assert "CA1\x00" not in known


def test_the_ids_of_a_checked_file_go_between_the_processes_whole() -> None:
    ids = AcceptedIds({"hall:customers:H1", "crm:customers:张三"})
    again = pickle.loads(pickle.dumps(ids, pickle.HIGHEST_PROTOCOL))
    assert set(again) == {"hall:customers:H1", "crm:customers:张三"}


def test_one_long_id_does_not_widen_the_others() -> None:
    """A source id may have 200 characters: the rest of the file's ids are not padded to its width."""
    short = AcceptedIds({f"crm:accounts:CA{n:08d}" for n in range(1000)})
    with_long = AcceptedIds({*(f"crm:accounts:CA{n:08d}" for n in range(1000)), "crm:accounts:" + "张" * 200})
    assert sum(a.nbytes for a in with_long._by_length.values()) < sum(a.nbytes for a in short._by_length.values()) + 700
    known = KnownBefore([with_long])
    assert {"crm:accounts:CA00000999", "crm:accounts:" + "张" * 200, "crm:accounts:" + "张" * 199} - known == {
        "crm:accounts:" + "张" * 199
    }


def test_a_checked_file_with_no_ids_finds_nothing() -> None:
    known = KnownBefore([AcceptedIds(set())])
    assert {"a", ""} - known == {"a", ""}
    assert len(known) == 0


@given(st.lists(st.lists(ID, max_size=12), max_size=12), st.integers(min_value=1, max_value=5))
def test_a_file_s_ids_are_used_before_exactly_as_a_set_says(batches: list[list[str]], fold_at: int) -> None:
    """Folded into sorted runs every few ids (joined as they pile up), a batch's ids are found used before
    exactly when a set of every id so far holds them, a repeat inside the batch included."""
    ids, held = FileIds(fold_at=fold_at), set()
    for batch in batches:
        expected = []
        for rid in batch:
            expected.append(rid in held)
            held.add(rid)
        assert ids.use(batch) == expected
        assert len(ids) == len(held)


def test_folded_runs_stay_few() -> None:
    ids = FileIds(fold_at=2)
    for n in range(0, 200, 2):
        assert ids.use([f"crm:bills:{n}", f"crm:bills:{n + 1}"]) == [False, False]
    assert len(ids._runs) <= 8 and len(ids) == 200
    assert ids.use(["crm:bills:0", "crm:bills:199", "crm:bills:200"]) == [True, True, False]
