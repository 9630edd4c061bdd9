"""Who may change a known customer's contact details (app/golden/survivorship.py, rules.toml
[survivorship.contact_changes]): a trusted source, or a record a desk verified; another source's
different phone, e-mail or address is held for a steward and never reaches the golden record."""

from __future__ import annotations

from typing import Any

import orjson

from app.golden.derive import GoldenDeriver
from app.golden.survivorship import Survivorship
from app.rules import ContactChangeRules, SurvivorshipRules, get_rules

RULES = get_rules()
CHANGES = RULES.survivorship.contact_changes
TRUSTED = CHANGES.trusted_sources[0]
UNTRUSTED = next(s for s in RULES.survivorship.source_trust if s not in CHANGES.trusted_sources)
VERIFYING = next(s for s in CHANGES.verifying_sources if s not in CHANGES.trusted_sources)


def record(id: str, source: str, **fields: Any) -> dict[str, Any]:
    return {"id": id, "source": source, "name": "甄测试", "updated_at": f"2026-11-0{id[-1]}T00:00:00.000Z", **fields}


def derive(*records: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    golden = Survivorship(RULES.survivorship, RULES.resolution.policy.group_order).derive(records)
    return golden.values, golden.held


def test_an_untrusted_source_cannot_change_a_known_customers_email_or_add_phones() -> None:
    values, held = derive(
        record("r1", TRUSTED, email="old@example.cn", phones=["13300000001"], address="福州鼓楼五四路1号"),
        record("r2", UNTRUSTED, email="new@example.cn", phones=["13300000002"], address="福州鼓楼五四路1号"),
    )
    assert values["email"] == "old@example.cn"
    assert values["phones"] == ["13300000001"]
    assert values["address"] == "福州鼓楼五四路1号"
    assert held == {
        "email": [{"record": "r2", "source": UNTRUSTED, "value": ["new@example.cn"]}],
        "phones": [{"record": "r2", "source": UNTRUSTED, "value": ["13300000002"]}],
    }


def test_a_record_verified_at_a_desk_changes_them() -> None:
    values, held = derive(
        record("r1", TRUSTED, email="old@example.cn"),
        record("r2", VERIFYING, email="new@example.cn", identity_verified=True),
    )
    assert values["email"] == "new@example.cn" and held == {}


def test_the_verified_flag_counts_only_from_a_verifying_source() -> None:
    values, held = derive(
        record("r1", TRUSTED, email="old@example.cn"),
        record("r2", UNTRUSTED, email="new@example.cn", identity_verified=True),
    )
    assert values["email"] == "old@example.cn" and held["email"][0]["record"] == "r2"


def test_a_customer_no_trusted_source_knows_takes_what_it_has() -> None:
    values, held = derive(record("r1", UNTRUSTED, email="only@example.cn", phones=["13300000003"]))
    assert values["email"] == "only@example.cn" and values["phones"] == ["13300000003"] and held == {}


def test_other_attributes_are_not_held() -> None:
    values, held = derive(record("r1", TRUSTED, gender="F"), record("r2", UNTRUSTED, org_class="A"))
    assert values.get("org_class") == "A" and held == {}


def test_without_trusted_sources_nothing_is_held() -> None:
    rules = SurvivorshipRules(source_trust=RULES.survivorship.source_trust, contact_changes=ContactChangeRules())
    golden = Survivorship(rules, RULES.resolution.policy.group_order).derive(
        [record("r1", TRUSTED, email="old@example.cn"), record("r2", UNTRUSTED, email="new@example.cn")]
    )
    assert golden.values["email"] == "new@example.cn" and golden.held == {}


def test_the_golden_record_carries_the_held_changes_for_stewards() -> None:
    props, _ = GoldenDeriver(RULES).derive(
        [record("r1", TRUSTED, email="old@example.cn"), record("r2", UNTRUSTED, email="new@example.cn")]
    )
    assert props["email"] == "old@example.cn"
    assert orjson.loads(props["held_contact_changes"])["email"][0]["value"] == ["new@example.cn"]
    props, _ = GoldenDeriver(RULES).derive([record("r1", TRUSTED, email="old@example.cn")])
    assert props["held_contact_changes"] is None
