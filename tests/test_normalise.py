"""Each normalisation rule, and that none of them raises on arbitrary text."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.resolution.normalise import (
    _plan_kind,
    credit_code_check_character,
    normalise_address,
    normalise_certificate,
    normalise_email,
    normalise_name,
    normalise_phone,
    normalise_phones,
    parse_credit_code,
    parse_resident_id,
    resident_id_check_character,
)


def a_resident_id(region: str = "350102", born: str = "19850317", sequence: str = "123") -> str:
    first17 = region + born + sequence
    return first17 + resident_id_check_character(first17)


# ---- names


@pytest.mark.parametrize(
    "left, right",
    [
        ("張偉", "张伟"),  # traditional vs simplified
        ("张 伟", "张伟"),  # spaces
        ("张伟　", "张伟"),  # full-width space
        ("欧阳·娜娜", "欧阳娜娜"),  # middle dot of minority and foreign names
        ("ＺＨＡＮＧ Wei", "zhangwei"),  # full-width letters, case
    ],
)
def test_name_variants_share_one_text(left: str, right: str) -> None:
    assert normalise_name(left).text == normalise_name(right).text


def test_homophones_share_pinyin_but_not_text() -> None:
    a, b = normalise_name("张伟"), normalise_name("章伟")
    assert a.pinyin == b.pinyin == "zhangwei"
    assert a.text != b.text
    assert a.initials == "zw" and a.surname == "张"


def test_organisation_core_drops_legal_form() -> None:
    assert normalise_name("福州某某科技有限公司").core == normalise_name("福州某某科技").core == "福州某某科技"
    assert normalise_name("公司").core == "公司"


def test_empty_name() -> None:
    assert normalise_name(" ·  ").is_empty


# ---- resident ids


def test_valid_resident_id_reads_birth_date_gender_region() -> None:
    parsed = parse_resident_id(a_resident_id(sequence="123"))
    assert parsed.valid and parsed.reason == ""
    assert parsed.birth_date == date(1985, 3, 17)
    assert parsed.gender == "M"
    assert parsed.region == "350102"
    assert parse_resident_id(a_resident_id(sequence="124")).gender == "F"


def test_lower_case_x_and_full_width_digits_are_accepted() -> None:
    number = next(
        a_resident_id(sequence=f"{s:03d}") for s in range(1000) if a_resident_id(sequence=f"{s:03d}").endswith("X")
    )
    assert parse_resident_id(number.lower()).number == number
    full_width = number.translate(str.maketrans("0123456789X", "０１２３４５６７８９Ｘ"))
    assert parse_resident_id(full_width).number == number


def test_fifteen_digit_id_widens_to_eighteen() -> None:
    eighteen = a_resident_id(born="19720229", sequence="051")
    fifteen = eighteen[:6] + eighteen[8:17]
    parsed = parse_resident_id(fifteen)
    assert parsed.valid and parsed.from_15
    assert parsed.number == eighteen


@pytest.mark.parametrize(
    "number, reason",
    [
        ("", "empty"),
        ("3501021985031712", "not 18"),
        ("35010219850317123Y", "only digits"),
        ("350102" + "19850230" + "123" + "0", "not a date"),
        ("35010219850317123" + "\u0663", "only digits"),  # an Arabic-Indic digit: str.isdigit() says yes
        ("\u0663" * 15, "all digits"),
    ],
)
def test_invalid_resident_ids_say_why(number: str, reason: str) -> None:
    parsed = parse_resident_id(number)
    assert not parsed.valid
    assert reason in parsed.reason


def test_a_region_code_in_no_table_is_flagged_not_refused() -> None:
    # The region code once refused the id ("names no province"); the merge rules go by validity, so
    # an id whose check character and birth date hold stays valid, flagged (issue 16).
    parsed = parse_resident_id(a_resident_id(region="990102"))
    assert parsed.valid and not parsed.region_known and parsed.region == "990102"
    assert parse_resident_id(a_resident_id()).region_known


def test_wrong_check_character_is_rejected() -> None:
    good = a_resident_id()
    bad = good[:17] + ("0" if good[17] != "0" else "1")
    assert parse_resident_id(bad).reason == "check character does not match"


# ---- credit codes


def test_credit_code_check_character() -> None:
    first17 = "91350100M000100Y4"
    code = first17 + credit_code_check_character(first17)
    parsed = parse_credit_code(code.lower())
    assert parsed.valid and parsed.number == code and parsed.org_code == "M000100Y4"
    wrong = code[:17] + ("0" if code[17] != "0" else "1")
    assert parse_credit_code(wrong).reason == "check character does not match"
    assert "not used" in parse_credit_code("91350100M000100IO" + "1").reason
    assert "not 18" in parse_credit_code("9135").reason


# ---- certificates


def test_certificate_kinds() -> None:
    number = a_resident_id()
    assert normalise_certificate("resident_id", f" {number} ").number == number
    inferred = normalise_certificate("", number)
    assert inferred.kind == "resident_id" and inferred.valid
    passport = normalise_certificate("passport", "e 1234-5678")
    assert passport == normalise_certificate("passport", "E12345678")
    assert passport.valid and not passport.verifiable
    assert not normalise_certificate("blank", "").valid
    assert not normalise_certificate("resident_id", "123").valid


# ---- phones


@pytest.mark.parametrize(
    "raw",
    [
        "13800138000",
        "+86 138-0013-8000",
        "0086 13800138000",
        "8613800138000",
        "138 0013 8000",
        "１３８００１３８０００",
        "(+86)138.0013.8000",
    ],
)
def test_mobile_forms(raw: str) -> None:
    phone = normalise_phone(raw)
    assert (phone.key, phone.kind, phone.valid) == ("13800138000", "mobile", True)


@pytest.mark.parametrize(
    "raw, area, key",
    [
        ("0591-87654321", None, "059187654321"),
        ("(0591)87654321", None, "059187654321"),
        ("87654321", "0591", "059187654321"),
        ("010-6512 3456", None, "01065123456"),
        ("+86 10 6512 3456", None, "01065123456"),
        ("0591-8765432 转 801", None, "05918765432"),
    ],
)
def test_fixed_line_forms(raw: str, area: str | None, key: str) -> None:
    phone = normalise_phone(raw, area)
    assert (phone.key, phone.kind, phone.valid) == (key, "fixed", True)


@pytest.mark.parametrize(
    "raw, reason",
    [
        ("12800138000", "not a mobile prefix"),
        ("87654321", "without area code"),
        ("12345", "neither"),
        ("call me", "other than digits"),
    ],
)
def test_invalid_phones_say_why(raw: str, reason: str) -> None:
    phone = normalise_phone(raw)
    assert not phone.valid and reason in phone.reason


def test_phone_lists() -> None:
    keys = [p.key for p in normalise_phones("13800138000；0591-87654321, 13900139000")]
    assert keys == ["13800138000", "059187654321", "13900139000"]
    assert [p.key for p in normalise_phones(["13800138000", " "])] == ["13800138000"]


# ---- e-mail


def test_email() -> None:
    email = normalise_email(" Zhang.Wei＠QQ.COM ")
    assert (email.key, email.valid, email.local, email.domain) == ("zhang.wei@qq.com", True, "zhang.wei", "qq.com")
    for bad in ("zhang.wei", "a@b", "a@@b.com", "a..b@c.com", ""):
        assert not normalise_email(bad).valid


# ---- addresses


@pytest.mark.parametrize(
    "variant",
    [
        "福建省福州市鼓楼区五四路158号",
        "福州市鼓楼区五四路158号",
        "福建福州鼓楼区五四路158号",
        "福州鼓楼五四路１５８號",
        "福建省 福州市 鼓樓區 五四路 158 号",
    ],
)
def test_address_variants_share_a_key(variant: str) -> None:
    assert normalise_address(variant).key == "福州鼓楼五四路158"


def test_address_parts() -> None:
    parsed = normalise_address("浙江省杭州市西湖区文三路100号3幢2单元")
    assert (parsed.province, parsed.city, parsed.district, parsed.street, parsed.number) == (
        "浙江",
        "杭州",
        "西湖",
        "文三路",
        "100",
    )
    assert normalise_address("上海市浦东新区世纪大道100号").district == "浦东"
    assert normalise_address("北京朝阳区建国路十二号").key == "北京朝阳建国路12"
    assert normalise_address("   ").is_empty


# ---- nothing raises


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=40), st.text(max_size=40))
def test_no_normaliser_raises(a: str, b: str) -> None:
    normalise_name(a)
    parse_resident_id(a)
    parse_credit_code(a)
    normalise_certificate(a, b)
    normalise_phone(a, b)
    normalise_phones(a, b)
    normalise_email(a)
    normalise_address(a)


@settings(max_examples=200, deadline=None)
@given(st.dates(min_value=date(1900, 1, 1), max_value=date(2020, 12, 31)), st.integers(0, 999))
def test_every_generated_resident_id_round_trips(born: date, sequence: int) -> None:
    number = a_resident_id(born=born.strftime("%Y%m%d"), sequence=f"{sequence:03d}")
    parsed = parse_resident_id(number)
    assert parsed.valid and parsed.birth_date == born
    assert parsed.gender == ("M" if sequence % 2 else "F")


@given(st.from_regex(r"1[0-9]{10}", fullmatch=True) | st.from_regex(r"(\+86|0086)?1[3-9][0-9 -]{9,12}", fullmatch=True))
@settings(max_examples=300)
def test_plain_mobiles_skip_the_full_normaliser_with_the_same_answer(raw: str) -> None:
    from app.resolution.normalise import _normalise_phone

    assert normalise_phone(raw) == _normalise_phone(raw, None)


# Numbers around each boundary of the plan: every first three digits, at every length it allows.
_PLAN_EDGES = [f"{head}{fill * (length - 3)}" for head in range(100, 1000) for length in range(7, 13) for fill in "027"]


@given(st.from_regex(r"[1-9][0-9]{5,11}", fullmatch=True))
@settings(max_examples=1000)
def test_the_plans_kinds_are_phonenumbers_own(national: str) -> None:
    """The precompiled classifier answers as phonenumbers.number_type does, mapped to our kinds."""
    assert _plan_kind(national) == _number_type(national)


def test_the_plans_kinds_are_phonenumbers_own_on_every_edge() -> None:
    differ = [n for n in _PLAN_EDGES if _plan_kind(n) != _number_type(n)]
    assert not differ, differ[:10]
    assert {_plan_kind(n) for n in _PLAN_EDGES} == {None, "fixed", "mobile", "service"}


def _number_type(national: str) -> str | None:
    import phonenumbers

    from app.resolution.normalise import _PLAN_KINDS

    return _PLAN_KINDS.get(
        phonenumbers.number_type(phonenumbers.PhoneNumber(country_code=86, national_number=int(national)))
    )


@given(st.text(max_size=40))
def test_name_words_are_split_by_single_spaces(raw: str) -> None:
    """Spark's blocking (app/resolution/spark_pairs.py) splits names into words on a space, Python's
    blocking with str.split(): the same words only while the normaliser leaves no other whitespace."""
    words = normalise_name(raw).words
    assert words == " ".join(words.split())
    assert words.split(" ") == (words.split() or [""])
