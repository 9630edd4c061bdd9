"""The 9-character organisation code (组织机构代码, GB 11714) and the credit code that embeds it in its
characters 9-17 name one organisation (DOMAIN.md §3.1): one certificate for blocking, comparison and
the hard rules."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from app.resolution.blocking import block
from app.resolution.merge_rules import DIFFERENT_CERTIFICATES, check_sides
from app.resolution.normalise import credit_code_check_character, org_code_check_character, parse_org_code
from app.resolution.policy import MERGE, RULES
from app.resolution.prepare import match_record
from app.resolution.records import RecordTable
from app.rules import get_rules
from tests.unit.test_policy import decide, gamma

BODY = st.text(alphabet="0123456789ABCDEFGHJKLMNPQRTUWXY", min_size=8, max_size=8)


def org_code(body: str) -> str:
    return body + org_code_check_character(body)


def embedding(code: str) -> str:
    first17 = "91350102" + code
    return first17 + credit_code_check_character(first17)


def organisation(id: str, cert_type: str, cert: str, network: str = "0591") -> dict[str, str]:
    return {
        "id": id,
        "name": "福州测试科技有限公司",
        "cert_type": cert_type,
        "cert_no": cert,
        "local_network": network,
        "segment": "enterprise",
    }


@settings(max_examples=200, derandomize=True)
@given(body=BODY)
def test_an_organisation_code_validates_only_with_its_check_character(body: str) -> None:
    code = org_code(body)
    assert parse_org_code(code).valid and parse_org_code(f"{code[:8]}-{code[8]}").number == code
    for wrong in "0123456789X":
        if wrong != code[8]:
            assert not parse_org_code(code[:8] + wrong).valid


def test_a_known_check_character() -> None:
    """Weights 3 7 9 10 5 8 4 2: 1*3+2*7+3*9+4*10+5*5+6*8+7*4+8*2 = 201, 201 mod 11 = 3, 11 - 3 = 8."""
    assert org_code_check_character("12345678") == "8"
    assert parse_org_code("12345678-8").valid and not parse_org_code("12345678-9").valid


@settings(max_examples=100, derandomize=True)
@given(body=BODY)
def test_the_code_and_the_credit_code_embedding_it_are_one_certificate(body: str) -> None:
    code = org_code(body)
    old, new = (
        match_record(organisation("a", "org_code", code)),
        match_record(organisation("b", "credit_code", embedding(code))),
    )
    assert old.cert_valid and new.cert_valid and old.cert_key == new.cert_key
    table = RecordTable.build([old, new])
    assert len(block(table, ["certificate"], 100)) == 1
    result = decide([old, new], [(0, 1, gamma("exact", "exact"))])
    assert (int(result.outcome[0]), RULES[int(result.rule[0])]) == (MERGE, "same_name_same_certificate")
    assert check_sides([old], [new], get_rules().resolution.policy) is None


def test_two_different_organisation_codes_never_merge() -> None:
    a = match_record(organisation("a", "org_code", org_code("12345678")))
    b = match_record(organisation("b", "credit_code", embedding(org_code("87654321"))))
    refusal = check_sides([a], [b], get_rules().resolution.policy)
    assert refusal is not None and refusal.rule == DIFFERENT_CERTIFICATES
    assert np.array_equal(decide([a, b], [(0, 1, gamma("exact", "exact"))]).outcome, [0])
