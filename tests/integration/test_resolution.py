"""Identity resolution: each of the operator's merge rules, the explanations, block caps, and
accuracy on demo data with ground truth. Crafted records are resolved among a background
population of demo records so that the model is estimated as in production."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import pytest

from app.resolution.evaluation import (
    score_clusters,
    score_pairs,
    score_reviews,
    with_reviews_approved,
    with_reviews_decided,
)
from app.resolution.linker import Linker, Resolution
from app.resolution.prepare import match_record
from app.resolution.records import MatchRecord
from app.rules import get_rules
from bench.demo_records import customer_rows, truth
from demo import generate
from tests.identities import credit_code, resident_id


def record(
    id: str,
    name: str,
    *,
    cert: str = "",
    cert_type: str = "resident_id",
    phones: str = "",
    network: str = "0591",
    segment: str = "individual",
    address: str = "",
    birth_date: str = "",
    source: str = "crm",
) -> MatchRecord:
    return match_record(
        {
            "id": id,
            "source": source,
            "name": name,
            "cert_type": cert_type if cert else "blank",
            "cert_no": cert,
            "phones": phones,
            "local_network": network,
            "segment": segment,
            "address": address,
            "birth_date": birth_date,
        }
    )


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("demo")
    generate(directory, 3000, seed=11)
    return directory


@pytest.fixture(scope="module")
def background(demo_dir: Path) -> list[MatchRecord]:
    return [match_record(r) for r in customer_rows(demo_dir)]


def resolve(background: list[MatchRecord], *extra: MatchRecord) -> Resolution:
    return Linker(get_rules().resolution).resolve([*background, *extra])


def together(resolution: Resolution, a: str, b: str) -> bool:
    clusters = resolution.assignment()
    return clusters[a] == clusters[b]


def review_of(resolution: Resolution, a: str, b: str):  # type: ignore[no-untyped-def]
    return next((r for r in resolution.reviews if {r.left, r.right} == {a, b}), None)


ADDRESS = "福建省福州市鼓楼区测试路1号"


def test_same_name_same_certificate_merges_directly(background: list[MatchRecord]) -> None:
    cert = resident_id(101)
    resolution = resolve(
        background,
        record("x:1", "甄测试", cert=cert, phones="13300000001"),
        record("x:2", "甄测试", cert=cert, phones="13300000002", address="厦门某地"),
    )
    assert together(resolution, "x:1", "x:2")
    link = next(x for x in resolution.links if {x.left, x.right} == {"x:1", "x:2"})
    assert link.rule == "same_name_same_certificate" and link.blocking_rule == "certificate"
    assert link.fields["certificate"]["level"] == "exact"
    assert "weight" in link.fields["name"]


def test_two_different_valid_certificates_never_merge(background: list[MatchRecord]) -> None:
    resolution = resolve(
        background,
        record("x:1", "甄测试", cert=resident_id(102), phones="13300000003", address=ADDRESS),
        record("x:2", "甄测试", cert=resident_id(104), phones="13300000003", address=ADDRESS),
    )
    assert not together(resolution, "x:1", "x:2")
    assert review_of(resolution, "x:1", "x:2") is None
    skipped = sum(resolution.blocking.skipped_different_certificates.values())
    assert skipped + resolution.rules_applied.get("different_certificates", 0) >= 1


def test_individuals_of_different_local_networks_never_merge(background: list[MatchRecord]) -> None:
    cert = resident_id(106)
    resolution = resolve(
        background,
        record("x:1", "甄测试", cert=cert, network="0591"),
        record("x:2", "甄测试", cert=cert, network="0592"),
    )
    assert not together(resolution, "x:1", "x:2")
    assert review_of(resolution, "x:1", "x:2") is None
    assert resolution.rules_applied["individuals_across_local_networks"] >= 1


def test_organisations_across_local_networks_go_to_their_department(background: list[MatchRecord]) -> None:
    code = credit_code("TE9TQRG01")
    resolution = resolve(
        background,
        record("x:1", "福州测试科技有限公司", cert=code, cert_type="credit_code", network="0591", segment="enterprise"),
        record("x:2", "福州测试科技有限公司", cert=code, cert_type="credit_code", network="0592", segment="enterprise"),
    )
    assert not together(resolution, "x:1", "x:2")
    review = review_of(resolution, "x:1", "x:2")
    assert review is not None and review.rule == "organisations_across_local_networks"
    assert review.department == "organisation_customers"


def test_different_groups_merge_only_at_the_same_location(background: list[MatchRecord]) -> None:
    cert = resident_id(108)
    same_place = resolve(
        background,
        record("x:1", "甄测试", cert=cert, segment="individual", address=ADDRESS),
        record("x:2", "甄测试", cert=cert, segment="small_business", address=ADDRESS),
    )
    assert together(same_place, "x:1", "x:2")
    elsewhere = resolve(
        background,
        record("x:1", "甄测试", cert=cert, segment="individual", address=ADDRESS),
        record("x:2", "甄测试", cert=cert, segment="small_business", address="福建省福州市仓山区另一路99号"),
    )
    assert not together(elsewhere, "x:1", "x:2")
    assert elsewhere.rules_applied["cross_group_different_location"] >= 1


def test_a_cluster_never_holds_two_certificates(background: list[MatchRecord]) -> None:
    """A certificate-less record that looks like two different certified people must not chain them."""
    a = record("x:1", "甄测试", cert=resident_id(110), phones="13300000010", address=ADDRESS, birth_date="1980-01-01")
    bridge = record("x:2", "甄测试", phones="13300000010;13300000011", address=ADDRESS, birth_date="1980-01-01")
    c = record("x:3", "甄测试", cert=resident_id(112), phones="13300000011", address=ADDRESS, birth_date="1980-01-01")
    resolution = resolve(background, a, bridge, c)
    assert not together(resolution, "x:1", "x:3")
    assert together(resolution, "x:1", "x:2") or together(resolution, "x:2", "x:3")
    weakest = review_of(resolution, "x:2", "x:3") or review_of(resolution, "x:1", "x:2")
    assert weakest is not None and weakest.rule == "would_join_two_certificates"


def test_same_certificate_with_a_different_name_is_reviewed(background: list[MatchRecord]) -> None:
    cert = resident_id(114)
    resolution = resolve(background, record("x:1", "甄测试", cert=cert), record("x:2", "欧阳某某", cert=cert))
    assert not together(resolution, "x:1", "x:2")
    review = review_of(resolution, "x:1", "x:2")
    assert review is not None and review.rule == "same_certificate_different_name"


def test_homophone_and_traditional_variants_with_shared_phone_merge(background: list[MatchRecord]) -> None:
    cert = resident_id(116, born="19750505")
    resolution = resolve(
        background,
        record("x:1", "甄测试", cert=cert, phones="13300000020", address=ADDRESS, birth_date="1975-05-05"),
        record(
            "x:2",
            "甄測試",
            phones="+86 133 0000 0020",
            address="福州鼓楼测试路1号",
            birth_date="1975-05-05",
            source="hall",
        ),
    )
    assert together(resolution, "x:1", "x:2")


def test_common_name_blocks_are_capped_and_counted(background: list[MatchRecord]) -> None:
    rules = get_rules().resolution.model_copy(update={"max_block_size": 5})
    crowd = [record(f"x:{k}", "王伟", network="0591") for k in range(40)]
    resolution = Linker(rules).resolve([*background, *crowd])
    assert resolution.blocking.capped_records["name_pinyin_local_network"] >= 40
    assert resolution.summary()["pairs_by_rule"]["name_pinyin_local_network"] < 40 * 39 // 2


def test_blocks_paired_a_few_at_a_time_give_the_same_pairs_in_the_same_order(
    background: list[MatchRecord], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every rule's pairs are made some groups at a time (a million records' largest rule made five
    million at once); a tiny batch, with capped and split blocks and records of two phones, changes
    nothing the linker sees."""
    import numpy as np

    from app.resolution import blocking
    from app.resolution.records import RecordTable

    rules = get_rules().resolution
    crowd = [
        record(f"x:{k}", "王伟", network="0591", phones=f"1390591{k % 3:04d};1380591{k % 2:04d}") for k in range(40)
    ]
    table = RecordTable.build([*background, *crowd])
    whole = blocking.block(table, rules.blocking_rules, 5)
    monkeypatch.setattr(blocking, "PAIRS_AT_ONCE", 7)
    piecemeal = blocking.block(table, rules.blocking_rules, 5)
    assert len(whole) > 1000 and sum(whole.capped_records.values()) > 0
    for name in ("left", "right", "rule"):
        assert np.array_equal(getattr(whole, name), getattr(piecemeal, name)), name
    assert (whole.pairs_by_rule, whole.skipped_different_certificates) == (
        piecemeal.pairs_by_rule,
        piecemeal.skipped_different_certificates,
    )
    assert bool(np.all(whole.left < whole.right))
    assert len(set(zip(whole.left.tolist(), whole.right.tolist()))) == len(whole)


def test_each_join_has_its_explanation_among_the_distinct_ones(background: list[MatchRecord]) -> None:
    """A first load's reasons come from the joins' distinct explanations, not one decision per join: the
    same explanation for every join as its own decision gives, and far fewer of them."""
    resolution = resolve(background)
    assert resolution.explain is not None
    explained, which = resolution.explain.distinct(resolution.joined, "merge")
    links = resolution.links
    assert len(links) == len(which) > 1000
    assert len(explained) < len(links) // 4
    assert [explained[k].explanation() for k in which] == [link.explanation() for link in links]
    ids = [(link.left, link.right) for link in links]
    left, right = resolution.blocking.left, resolution.blocking.right
    table_ids = resolution.table.ids()
    assert ids == [(table_ids[a], table_ids[b]) for a, b in zip(left[resolution.joined], right[resolution.joined])]


def test_joins_alike_but_for_their_rules_keep_explanations_of_their_own(background: list[MatchRecord]) -> None:
    import numpy as np

    from app.resolution.blocking import BlockingResult
    from app.resolution.comparisons import COMPARISONS
    from app.resolution.linker import _Explainer
    from app.resolution.policy import RULE_INDEX

    resolution = resolve(background)
    # Four joins with one comparison vector: the second under another policy rule, the third found by
    # another blocking rule, the fourth as the first.
    left, right = np.asarray([0, 1, 2, 6]), np.asarray([3, 4, 5, 7])
    blocking = BlockingResult(left, right, np.asarray([0, 0, 1, 0], dtype=np.int8), ["certificate", "phone"])
    rule = np.asarray([0, RULE_INDEX["same_name_same_certificate"], 0, 0], dtype=np.int8)
    gamma = np.zeros((4, len(COMPARISONS)), dtype=np.int8)
    explainer = _Explainer(
        resolution.table, resolution.model, gamma, left, right, blocking, rule, np.full(4, 0.99), np.full(4, 7.0), "d"
    )
    explained, which = explainer.distinct(np.arange(4), "merge")
    assert which == [0, 1, 2, 0]
    assert [explained[k].explanation() for k in which] == [
        d.explanation() for d in explainer.many(np.arange(4), "merge")
    ]


def test_demo_accuracy_meets_the_targets(demo_dir: Path, background: list[MatchRecord]) -> None:
    resolution = resolve(background)
    answer = truth(demo_dir)
    predicted = resolution.assignment()
    auto = score_clusters(predicted, answer)
    assert auto.precision >= 0.999, auto
    assert auto.f1 >= 0.97, auto
    assert len(resolution.reviews) / len(background) < 0.03
    reviews = score_reviews([(r.left, r.right) for r in resolution.reviews], predicted, answer)
    assert reviews.candidates == len(resolution.reviews)
    decided = with_reviews_decided(predicted, [(r.left, r.right) for r in resolution.reviews], answer)
    assert score_clusters(decided, answer).f1 >= 0.995


def test_pairwise_scoring_counts_pairs() -> None:
    truth_map = {"a": "1", "b": "1", "c": "1", "d": "2", "e": "3"}
    score = score_clusters({"a": "x", "b": "x", "c": "y", "d": "y", "e": "z"}, truth_map)
    assert (score.true_positives, score.false_positives, score.false_negatives) == (1, 1, 2)
    assert score.precision == 0.5 and score.recall == pytest.approx(1 / 3)
    pairs = score_pairs([("a", "b"), ("c", "d")], truth_map)
    assert (pairs.true_positives, pairs.false_positives, pairs.false_negatives) == (1, 1, 2)
    merged = with_reviews_approved({"a": "x", "b": "x", "c": "y", "d": "z"}, [("b", "c")])
    assert merged["a"] == merged["c"] != merged["d"]
    decided = with_reviews_decided(
        {"a": "x", "b": "x", "c": "y", "d": "z"}, [("b", "c"), ("c", "d")], {"a": "1", "b": "1", "c": "1", "d": "2"}
    )
    assert decided["a"] == decided["c"] != decided["d"]


def _levels_of(comparison_name: str, a: MatchRecord, b: MatchRecord) -> str:
    import numpy as np

    from app.resolution.comparisons import COMPARISONS
    from app.resolution.records import RecordTable

    comparison = next(c for c in COMPARISONS if c.name == comparison_name)
    table = RecordTable.build([a, b])
    level = int(comparison.compute(table, np.array([0]), np.array([1]))[0])
    return "missing" if level < 0 else comparison.levels[level]


@pytest.mark.parametrize(
    ("left", "right", "expected"),
    [
        ("lucy fitzpatrick", "fitzpatrick lucy", "reordered"),
        ("hannah egan", "thomas egan", "shares_word"),
        ("amber von hoist", "oliver von host", "shares_word"),
        ("jake mcneill", "mcniell", "shares_word"),
        ("hannah egan", "thomas brown", "different"),
        ("王小明", "王晓明", "homophone"),
        ("王小明", "李建国", "different"),
    ],
)
def test_name_levels_for_swapped_and_partly_kept_names(left: str, right: str, expected: str) -> None:
    assert _levels_of("name", record("a", left), record("b", right)) == expected


@pytest.mark.parametrize(
    ("left", "right", "expected"),
    [
        ("1975-10-21", "1975-10-21", "exact"),
        ("1975-10-21", "1975-10-22", "close"),
        ("1975-10-12", "1975-12-10", "close"),
        ("1975-10-21", "1975-10-12", "two_edits"),
        ("1975-10-21", "1962-03-04", "different"),
    ],
)
def test_birth_date_levels(left: str, right: str, expected: str) -> None:
    assert _levels_of("birth_date", record("a", "x", birth_date=left), record("b", "x", birth_date=right)) == expected


def test_a_mistyped_street_is_a_similar_address_and_shares_the_numbers_block() -> None:
    a = record("a", "x", address="14 wynn street tathra bilpin 2529")
    b = record("b", "x", address="14 wynn street tathra bilpiw 2529")
    c = record("c", "x", address="9 elvire place parkside 3042")
    assert _levels_of("address", a, b) in ("close", "same_numbers")
    assert _levels_of("address", a, c) == "different"
    moved_suburb = (
        record("x", "x", address="8 lethbridge street winston hills 2767"),
        record("y", "x", address="8 lethbridbe street toowoomba 2767"),
    )
    assert _levels_of("address", *moved_suburb) == "same_numbers"
    from app.resolution.blocking import block
    from app.resolution.records import RecordTable

    result = block(RecordTable.build([a, b, c]), ["address_numbers"], 60)
    assert list(zip(result.left.tolist(), result.right.tolist())) == [(0, 1)]
    # A bare house number (no district, no second number) makes no key: it would block a whole town.
    lone = RecordTable.build([record("a", "x", address="14 wynn street"), record("b", "x", address="14 ocean road")])
    assert len(block(lone, ["address_numbers"], 60)) == 0


def test_district_and_building_numbers_block_chinese_addresses_despite_a_mistyped_street() -> None:
    from app.resolution.blocking import block
    from app.resolution.records import RecordTable

    a = record("a", "x", address="福建省福州市鼓楼区五四路137号鹭岛家园9栋2003室")
    b = record("b", "x", address="福州市鼓楼区五西路137号鹭岛家园9栋2003室")
    c = record("c", "x", address="福州市台江区五四路137号鹭岛家园9栋2003室")
    result = block(RecordTable.build([a, b, c]), ["address_numbers"], 60)
    assert list(zip(result.left.tolist(), result.right.tolist())) == [(0, 1)]


def test_a_name_word_with_a_house_number_or_postcode_blocks_a_mistyped_name_or_postcode() -> None:
    from app.resolution.blocking import block
    from app.resolution.records import RecordTable

    a = record("a", "brooke burford", address="85 smiths road moolooboola kinglake west 4560")
    b = record("b", "brooe burford", address="28 moolooboola kinglake west 4560")
    c = record("c", "brooke burford", address="85 smiths road moolooboola kinglake west 4651")
    d = record("d", "brooke burford", address="12 other street elsewhere 3000")
    e = record("e", "王小明", address="福州市鼓楼区五四路137号2003室")
    f = record("f", "王小明", address="福州市台江区八一七路9号2003室")
    result = block(RecordTable.build([a, b, c, d, e, f]), ["name_word_address_number"], 60)
    # a-b share the postcode, a-c the house number (the postcode mistyped); d shares no number, and
    # one-word names (Chinese names) make no key here: the name blocking rules cover them.
    assert sorted(zip(result.left.tolist(), result.right.tolist())) == [(0, 1), (0, 2)]


def test_a_birth_date_blocks_with_half_a_name_in_one_network() -> None:
    from app.resolution.blocking import block
    from app.resolution.records import RecordTable

    records = [
        record("a", "王小明", birth_date="1980-03-04"),
        record("b", "王晓敏", birth_date="1980-03-04"),  # the surname kept
        record("c", "林小明", birth_date="1980-03-04"),  # the given name kept
        record("d", "陈大伟", birth_date="1980-03-04"),  # born that day, nothing of the name shared
        record("e", "王小明", birth_date="1980-03-04", network="0592"),  # another network
        record("f", "jake mcneill", birth_date="1971-05-06"),
        record("g", "jack mcneill", birth_date="1971-05-06"),  # the last word kept
        record("h", "王", birth_date="1980-03-04"),  # a surname alone: its only half is the surname
    ]
    result = block(RecordTable.build(records), ["birth_date_name_part"], 60)
    assert sorted(zip(result.left.tolist(), result.right.tolist())) == [(0, 1), (0, 2), (0, 7), (1, 7), (5, 6)]


def test_a_rule_s_own_cap_splits_its_blocks_by_district_while_others_keep_theirs() -> None:
    from app.resolution.blocking import block
    from app.resolution.records import RecordTable

    born = "1980-03-04"
    gulou = [record(f"g{k}", f"甲{k}", birth_date=born, address=f"福州市鼓楼区五四路{k}号") for k in range(3)]
    taijiang = [record(f"t{k}", f"乙{k}", birth_date=born, address=f"福州市台江区八一七路{k}号") for k in range(3)]
    table = RecordTable.build([*gulou, *taijiang])
    rules = ["birth_date_local_network"]
    assert block(table, rules, 60).pairs_by_rule == {"birth_date_local_network": 15}
    split = block(table, rules, 60, {"birth_date_local_network": 4})
    assert split.pairs_by_rule == {"birth_date_local_network": 6}  # three in each district
    assert sorted(zip(split.left.tolist(), split.right.tolist())) == [(0, 1), (0, 2), (1, 2), (3, 4), (3, 5), (4, 5)]
    assert block(table, rules, 60, {"email": 4}).pairs_by_rule == {"birth_date_local_network": 15}


def test_a_cap_for_a_rule_not_in_use_is_a_rules_file_error(tmp_path: Path) -> None:
    from app.errors import ConfigError
    from app.rules import load_rules

    text = resources.files("app").joinpath("config/rules.toml").read_text(encoding="utf-8")
    misspelt = text.replace("birth_date_local_network = 10", "birth_date_local_netwrok = 10")
    assert misspelt != text
    (tmp_path / "rules.toml").write_text(misspelt, encoding="utf-8")
    with pytest.raises(ConfigError, match="birth_date_local_netwrok"):
        load_rules(tmp_path / "rules.toml")


def test_rules_that_force_no_field_share_one_all_pairs_em_session() -> None:
    """Two such rules must not weigh the all-pairs session twice in each field's mean m."""
    import numpy as np

    from app.resolution.blocking import RULE_FIELDS
    from app.resolution.comparisons import COMPARISONS
    from app.resolution.model import train_by_rule

    rng = np.random.default_rng(5)
    gamma = np.column_stack([rng.integers(-1, len(c.levels), 5000) for c in COMPARISONS]).astype(np.int8)
    u = [np.full(len(c.levels), 1 / len(c.levels)) for c in COMPARISONS]

    def trained(rules: list[str]) -> list[np.ndarray]:
        model = train_by_rule(gamma, rules, RULE_FIELDS, u, records=10_000, max_iterations=5, tolerance=1e-5)
        return [f.m for f in model.fields]

    one = trained(["certificate", "address_numbers"])
    two = trained(["certificate", "address_numbers", "name_word_address_number"])
    assert all(np.allclose(a, b) for a, b in zip(one, two))
    assert not all(np.allclose(a, b) for a, b in zip(one, trained(["certificate"])))
