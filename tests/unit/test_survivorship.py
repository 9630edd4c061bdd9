"""Golden records from source records: app/golden/survivorship.py and app/golden/derive.py.

Each strategy is tested on an attribute whose strategy the test sets itself (through
``survivorship.overrides``), so a province changing the declared strategy of, say, e-mail does not
break a test of the "recent" strategy. Source trust comes from rules.toml: the tests name sources by
their rank, never by a hard-coded name. Every golden value must name the record it came from, and the
same records in any order must give the same golden record.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.customer import GOLDEN_KEYS, SURVIVORSHIP
from app.golden.derive import GoldenDeriver
from app.golden.survivorship import Golden, Survivorship
from app.rules import SurvivorshipRules, get_rules
from app.vocabulary import ORGANISATION_SEGMENTS

TRUST = get_rules().survivorship.source_trust
MOST, SECOND, LEAST = TRUST[0], TRUST[1], TRUST[-1]
GROUP_ORDER = get_rules().resolution.policy.group_order


def golden(records: Sequence[Mapping[str, Any]], **strategies: str) -> Golden:
    """Survivorship with the shipped source trust and group order, and ``strategies`` by attribute."""
    rules = SurvivorshipRules(source_trust=TRUST, overrides=strategies)
    return Survivorship(rules, GROUP_ORDER).derive(records)


def picked(records: Sequence[Mapping[str, Any]], attribute: str, strategy: str) -> tuple[Any, str | None]:
    """The golden value of ``attribute`` under ``strategy`` and the id of the record it came from."""
    result = golden(records, **{attribute: strategy})
    return result.values.get(attribute), result.provenance.get(attribute)


def test_the_configured_trust_order_has_at_least_three_sources() -> None:
    """The tie-break tests need a most trusted, a second and a least trusted source."""
    assert len(TRUST) >= 3 and len(set(TRUST)) == len(TRUST)


def test_trust_takes_the_most_trusted_non_empty_value() -> None:
    records = [
        {"id": "r1", "source": LEAST, "gender": "F"},
        {"id": "r2", "source": MOST, "gender": ""},
        {"id": "r3", "source": SECOND, "gender": "M"},
    ]
    assert picked(records, "gender", "trust") == ("M", "r3")


def test_trust_ties_break_by_record_id_and_an_unknown_source_ranks_last() -> None:
    same_source = [{"id": "b", "source": SECOND, "gender": "F"}, {"id": "a", "source": SECOND, "gender": "M"}]
    assert picked(same_source, "gender", "trust") == ("M", "a")
    unknown = [{"id": "a", "source": "fax_machine", "gender": "F"}, {"id": "z", "source": LEAST, "gender": "M"}]
    assert picked(unknown, "gender", "trust") == ("M", "z")


def test_recent_takes_the_newest_value_whatever_its_source() -> None:
    records = [
        {"id": "r1", "source": MOST, "email": "old@example.com", "updated_at": "2026-01-01T09:00:00+08:00"},
        {"id": "r2", "source": LEAST, "email": "new@example.com", "updated_at": "2026-03-01T09:00:00+08:00"},
        {"id": "r3", "source": SECOND, "email": "", "updated_at": "2026-09-01T09:00:00+08:00"},
    ]
    assert picked(records, "email", "recent") == ("new@example.com", "r2")


def test_recent_reads_changed_at_when_a_record_has_no_updated_at_and_ties_go_to_trust() -> None:
    fallback = [
        {"id": "r1", "source": MOST, "email": "a@example.com", "updated_at": "2026-01-01T09:00:00+08:00"},
        {"id": "r2", "source": LEAST, "email": "b@example.com", "changed_at": "2026-02-01T09:00:00+08:00"},
    ]
    assert picked(fallback, "email", "recent") == ("b@example.com", "r2")
    tied = [
        {"id": "r1", "source": LEAST, "email": "a@example.com", "updated_at": "2026-01-01T09:00:00+08:00"},
        {"id": "r2", "source": SECOND, "email": "b@example.com", "updated_at": "2026-01-01T09:00:00+08:00"},
        {"id": "r0", "source": SECOND, "email": "c@example.com", "updated_at": "2026-01-01T09:00:00+08:00"},
    ]
    assert picked(tied, "email", "recent") == ("c@example.com", "r0")


def test_recent_compares_instants_not_the_text_of_their_offsets() -> None:
    records = [
        {"id": "r1", "source": MOST, "email": "earlier@example.com", "updated_at": "2026-01-02T07:00:00+08:00"},
        # 2026-01-01T23:30Z is 2026-01-02T07:30+08:00: half an hour later.
        {"id": "r2", "source": MOST, "email": "later@example.com", "updated_at": "2026-01-01T23:30:00+00:00"},
    ]
    assert picked(records, "email", "recent") == ("later@example.com", "r2")


def test_complete_takes_the_longest_value_and_ties_go_to_trust() -> None:
    records = [
        {"id": "r1", "source": MOST, "address": "福州鼓楼区测试路1号"},
        {"id": "r2", "source": LEAST, "address": "福建省福州市鼓楼区测试路1号"},
        {"id": "r3", "source": SECOND, "address": "福建省福州市鼓楼区测试路2号"},
    ]
    assert picked(records, "address", "complete") == ("福建省福州市鼓楼区测试路2号", "r3")


def test_frequent_takes_the_most_common_value_from_its_most_trusted_holder() -> None:
    records = [
        {"id": "r1", "source": MOST, "name": "张伟"},
        {"id": "r2", "source": LEAST, "name": "张玮"},
        {"id": "r3", "source": LEAST, "name": "张玮"},
        {"id": "r4", "source": SECOND, "name": "张玮"},
    ]
    assert picked(records, "name", "frequent") == ("张玮", "r4")
    tied = [{"id": "r1", "source": LEAST, "name": "张伟"}, {"id": "r2", "source": SECOND, "name": "张玮"}]
    assert picked(tied, "name", "frequent") == ("张玮", "r2")


def test_union_keeps_every_value_once_in_trust_order_and_names_the_first_contributor() -> None:
    records = [
        {"id": "r1", "source": LEAST, "phones": ["13900000003", "13900000001"]},
        {"id": "r2", "source": MOST, "phones": []},
        {"id": "r3", "source": SECOND, "phones": ["13900000001", "13900000002"]},
    ]
    assert picked(records, "phones", "union") == (["13900000001", "13900000002", "13900000003"], "r3")


def test_group_max_takes_the_highest_group_and_an_unknown_segment_ranks_lowest() -> None:
    lowest, highest = GROUP_ORDER[0], GROUP_ORDER[-1]
    records = [
        {"id": "r1", "source": MOST, "segment": lowest},
        {"id": "r2", "source": LEAST, "segment": highest},
        {"id": "r3", "source": SECOND, "segment": "pop_up_stall"},
    ]
    assert picked(records, "segment", "group_max") == (highest, "r2")
    assert picked([records[2], records[0]], "segment", "group_max") == (lowest, "r1")


def test_an_attribute_no_record_has_is_absent_from_values_and_provenance() -> None:
    result = golden(
        [
            {"id": "r1", "source": MOST, "name": "张伟", "email": "", "phones": []},
            {"id": "r2", "source": LEAST, "email": None},
        ]
    )
    assert "email" not in result.values and "email" not in result.provenance
    assert "phones" not in result.values and "phones" not in result.provenance
    assert result.values["name"] == "张伟" and result.provenance["name"] == "r1"


def test_an_unknown_strategy_is_refused_when_survivorship_is_built() -> None:
    rules = SurvivorshipRules(source_trust=TRUST, overrides={"email": "loudest"})
    with pytest.raises(ValueError, match="loudest"):
        Survivorship(rules, GROUP_ORDER)


RECORDS: list[dict[str, Any]] = [
    {
        "id": "crm:1",
        "source": MOST,
        "name": "张伟",
        "cert_type": "resident_id",
        "cert_no": "350102198001010011",
        "phones": ["13800000001"],
        "email": "zw@example.com",
        "address": "福州鼓楼区测试路1号",
        "segment": GROUP_ORDER[0],
        "local_network": "0591",
        "updated_at": "2026-01-05T10:00:00+08:00",
        "manager_record": "emp:7",
    },
    {
        "id": "hall:2",
        "source": SECOND,
        "name": "张伟",
        "phones": ["13800000002", "13800000001"],
        "email": "zhangwei@example.com",
        "address": "福建省福州市鼓楼区测试路1号",
        "segment": GROUP_ORDER[-1],
        "gender": "M",
        "updated_at": "2026-02-05T10:00:00+08:00",
    },
    {
        "id": "web:3",
        "source": LEAST,
        "name": "张玮",
        "birth_date": "1980-01-01",
        "vip_card": "gold",
        "updated_at": "2025-12-05T10:00:00+08:00",
    },
]


@settings(max_examples=60, derandomize=True, deadline=None)
@given(st.permutations(RECORDS))
def test_the_same_records_in_any_order_give_the_same_golden_record(shuffled: list[dict[str, Any]]) -> None:
    expected = GoldenDeriver(get_rules()).derive(RECORDS)
    assert GoldenDeriver(get_rules()).derive(shuffled) == expected
    assert Survivorship(get_rules().survivorship, GROUP_ORDER).derive(shuffled) == Survivorship(
        get_rules().survivorship, GROUP_ORDER
    ).derive(RECORDS)


def test_every_value_names_the_record_it_came_from() -> None:
    """Whatever the configured strategies, each provenance entry is a record holding exactly that value."""
    result = Survivorship(get_rules().survivorship, GROUP_ORDER).derive(RECORDS)
    by_id = {r["id"]: r for r in RECORDS}
    assert set(result.provenance) == set(result.values)
    for attribute, value in result.values.items():
        source = by_id[result.provenance[attribute]]
        if get_rules().survivorship.attributes[attribute] == "union":
            assert set(source[attribute]) <= set(value), attribute
        else:
            assert source[attribute] == value, attribute


def test_the_golden_record_has_every_golden_key_and_none_where_no_record_has_a_value() -> None:
    values, manager = GoldenDeriver(get_rules()).derive(
        [{"id": "r1", "source": MOST, "name": "李娜", "segment": GROUP_ORDER[0]}]
    )
    assert list(values) == list(GOLDEN_KEYS)
    for key in (
        "cert_type",
        "cert_no",
        "phones",
        "email",
        "address",
        "birth_date",
        "gender",
        "local_network",
        "org_class",
        "vip_card",
        "cert_tail",
    ):
        assert values[key] is None, key
    assert manager is None


def test_the_derived_keys_describe_all_the_records() -> None:
    rules = get_rules()
    values, manager = GoldenDeriver(rules).derive(RECORDS)
    assert values["record_count"] == 3
    assert values["sources"] == sorted({MOST, SECOND, LEAST})
    assert values["cert_no"] == "350102198001010011" and values["cert_tail"] == "0011"
    assert values["segment"] == GROUP_ORDER[-1]
    assert values["customer_group"] == rules.resolution.policy.groups[GROUP_ORDER[-1]]
    assert values["is_organisation"] is (GROUP_ORDER[-1] in ORGANISATION_SEGMENTS)
    assert values["name"] in ("张伟", "张玮") and values["name_pinyin"] == "zhangwei"
    assert manager == "emp:7" and "manager_record" not in values


def test_is_organisation_and_sources_come_from_all_the_records() -> None:
    """One organisation record makes an organisation; sources are the distinct non-empty ones, sorted."""
    organisation = ORGANISATION_SEGMENTS[0]
    records = [
        {"id": "r1", "source": MOST, "name": "某公司", "segment": organisation},
        {"id": "r2", "source": "", "name": "某公司", "segment": GROUP_ORDER[0]},
        {"id": "r3", "source": MOST, "name": "某公司", "segment": GROUP_ORDER[0]},
    ]
    values, _ = GoldenDeriver(get_rules()).derive(records)
    assert values["is_organisation"] is True
    assert values["sources"] == [MOST]
    assert values["record_count"] == 3
    individuals, _ = GoldenDeriver(get_rules()).derive(records[1:])
    assert individuals["is_organisation"] is False


def test_provenance_is_sorted_json_naming_the_source_record_of_each_value() -> None:
    values, _ = GoldenDeriver(get_rules()).derive(RECORDS)
    text = values["provenance"]
    provenance = orjson.loads(text)
    assert list(provenance) == sorted(provenance)
    assert provenance["cert_no"] == "crm:1"
    assert provenance["birth_date"] == "web:3" and provenance["vip_card"] == "web:3"
    assert provenance["manager_record"] == "crm:1"
    assert set(provenance) == {k for k in SURVIVORSHIP if any(r.get(k) for r in RECORDS)}


def test_a_rules_file_of_release_0_1_0_keeps_its_choices_as_overrides(caplog: pytest.LogCaptureFixture) -> None:
    """Release 0.1.0 listed every strategy under [survivorship.attributes]; read now, the ones that
    differ from the declaration become overrides and the rest change nothing."""
    from app.customer import SURVIVORSHIP
    from app.rules import SurvivorshipRules

    listed = {**SURVIVORSHIP, "email": "trust"}
    with caplog.at_level("WARNING", logger="app.rules"):
        rules = SurvivorshipRules.model_validate({"source_trust": ["crm"], "attributes": listed})
    assert rules.overrides == {"email": "trust"}
    assert rules.attributes == listed
    assert "survivorship.overrides" in caplog.text
