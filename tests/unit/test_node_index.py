"""A first load's ids to nodes (loaders/node_index.py) answer as the dicts they replaced, folded or not."""

from hypothesis import given, settings
from hypothesis import strategies as st

from loaders.node_index import NodeIndex, NodesByKey

KEYS = st.text(alphabet=st.sampled_from(["A", "1", "张", "-", "😀", "\x00"]), min_size=0, max_size=4)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(KEYS, st.integers(0, 10**12)), max_size=60), st.integers(1, 7), st.lists(KEYS, max_size=10))
def test_one_node_an_id_as_a_dict_keeps_it(sets: list[tuple[str, int]], fold_at: int, asked: list[str]) -> None:
    index, expected = NodeIndex(fold_at), {}
    for key, node in sets:
        index.look_up([key])
        index[key] = node
        expected[key] = node
        assert index.get(key) == node
    index.look_up([*asked, *list(expected)[::2], None])
    for key in [*expected, *asked]:
        assert index.get(key) == expected.get(key)
        assert (key in index) == (key in expected)
        if key in expected:
            assert index[key] == expected[key]
    assert len(index) >= len(expected)
    index.clear()
    assert len(index) == 0 and all(index.get(key) is None for key in expected)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(KEYS, st.integers(0, 10**12)), max_size=60), st.integers(1, 7), st.lists(KEYS, max_size=10))
def test_many_nodes_a_key_in_the_order_added(added: list[tuple[str, int]], fold_at: int, asked: list[str]) -> None:
    index, expected = NodesByKey(fold_at), {}
    for key, node in added:
        index.add(key, node)
        expected.setdefault(key, []).append(node)
    assert len(index) == len(added)
    for key in [*expected, *asked]:
        assert index.of(key) == expected.get(key, [])


def test_a_city_of_ids_folds_into_few_runs() -> None:
    index = NodeIndex(fold_at=1000)
    for n in range(50_000):
        index[f"crm:accounts:A{n}"] = n
    assert len(index._runs) <= 6
    assert index.get("crm:accounts:A12345") == 12345 and index.get("crm:accounts:A50000") is None
