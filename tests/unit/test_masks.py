"""Masking of personal data and who sees what (app/access.py, DOMAIN.md §9), called directly.

Each role sees a personal field in full (and the read is audited), masked, or not at all, as
app/config/access.toml says. The expectations are computed from that file's masks and roles, so a
province changing how many characters a mask keeps changes what is expected, not whether tests pass.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app import clock
from app.access import (
    Caller,
    Forbidden,
    Mask,
    access_policy,
    apply_mask,
    mask,
)
from app.audit_trail import AuditTrail
from app.customer import PERSONAL_FIELDS
from app.resolution.normalise import region_length
from app.vocabulary import CERT_TYPES

POLICY = access_policy()
CERTIFICATE = "350102198001010011"
PHONE = "13812345678"
VALUES = {
    "certificate": CERTIFICATE,
    "phone": PHONE,
    "email": "zhang.san@example.com",
    "address": "福建省福州市鼓楼区测试路1号",
    "birth_date": "1980-05-17",
}
# Every mask access.toml declares: (personal field, certificate type or None).
EVERY_MASK = [(f, None) for f in PERSONAL_FIELDS] + [("certificate", t) for t in CERT_TYPES]


def caller(role: str) -> Caller:
    return Caller("tester", role, access_policy().roles[role])


def roles_seeing(visibility: str) -> list[tuple[str, str]]:
    return [
        (name, field)
        for name, role in access_policy().roles.items()
        for field, seen in role.personal.items()
        if seen == visibility
    ]


def shown_characters(masked: str) -> int:
    return sum(c != "*" for c in masked)


@pytest.mark.parametrize(
    ("field", "cert_type", "value", "masked"),
    [
        ("certificate", "resident_id", "350102198001010011", "3501**********0011"),
        ("certificate", "passport", "E12345678", "******678"),
        ("certificate", "credit_code", "91350100MA2XXXXX1Y", "***************X1Y"),
        ("phone", None, "13812345678", "138****5678"),
        ("email", None, "zhang.san@example.com", "z********@example.com"),
        ("email", None, "a@example.com", "*@example.com"),
        ("address", None, "福建省福州市鼓楼区测试路1号", "福建省福州市********"),
        ("address", None, "北京市朝阳区建国路1号", "北京市********"),
        ("address", None, "鼓楼区测试路1号", "********"),
        ("birth_date", None, "1980-05-17", "1980******"),
    ],
)
def test_each_mask_shows_its_documented_part(field: str, cert_type: str | None, value: str, masked: str) -> None:
    """docs/api.md's mask table: resident ids the first and last four, other documents the last three,
    phones the first three and last four, e-mails the name's first character and the domain, addresses
    province and city, birth dates the year."""
    assert mask(field, value, cert_type) == masked


@pytest.mark.parametrize(
    ("field", "cert_type", "value"),
    [
        ("certificate", "passport", "E12345"),
        ("certificate", "resident_id", "35010219800"),
        ("phone", None, "87654321"),
        ("email", None, "ab@example.com"),
        ("email", None, "not-an-email"),
        ("address", None, "北京市"),
        ("birth_date", None, "1980"),
    ],
)
def test_a_short_value_is_all_stars(field: str, cert_type: str | None, value: str) -> None:
    shown = mask(field, value, cert_type)
    assert "*" in shown and shown.replace("@", "").strip("*") in ("", value.partition("@")[2])
    assert shown != value


TEXT = st.text(
    alphabet=st.sampled_from("0123456789Xabcz.@-_ 福建省州市北京朝阳区路号壮族自治"),
    max_size=40,
)


@settings(max_examples=3000, deadline=None)
@given(which=st.sampled_from(EVERY_MASK), value=st.one_of(TEXT, st.text(max_size=30)))
def test_no_mask_shows_the_whole_value_or_more_than_its_share(which: tuple[str, str | None], value: str) -> None:
    """For every mask of access.toml and any value: never the value itself (unless it is empty), as long
    as the value, and no more characters shown than the mask's share of the part it masks."""
    field, cert_type = which
    declared = POLICY.mask_of(field, cert_type)
    masked = mask(field, value, cert_type)
    assert len(masked) == len(value)
    if value.strip("*"):
        assert masked != value, "a value of stars alone is its own mask; no other value is"
    if declared.part == "email_name" and "@" in masked:
        name, _, domain = value.rpartition("@")
        shown_name, _, shown_domain = masked.rpartition("@")
        assert shown_domain == domain and len(shown_name) == len(name)
        part, shown_part = name, shown_name
    else:
        part, shown_part = value, masked
    if part:
        assert shown_characters(shown_part) < max(declared.max_share * len(part), 1)
        assert shown_part == "*" * len(part) or shown_characters(shown_part) <= (
            region_length(part) if declared.part == "province_and_city" else declared.keep_start + declared.keep_end
        )
    kept = [c for c, m in zip(part, shown_part) if m != "*"]
    assert all(c == m for c, m in zip(part, shown_part) if m != "*"), "a shown character is the value's own"
    assert len(kept) == shown_characters(shown_part)


def test_a_mask_of_no_share_is_refused_by_the_policy() -> None:
    with pytest.raises(ValueError):
        Mask(keep_start=3, max_share=1.0)
    assert apply_mask(Mask(keep_start=2, keep_end=1, max_share=0.5), "ABCDEFGH") == "AB*****H"


def test_there_is_a_mask_for_every_personal_field() -> None:
    assert set(POLICY.masks) == set(PERSONAL_FIELDS)
    assert set(POLICY.certificate_masks) <= set(CERT_TYPES)


def test_the_roles_use_all_three_visibilities() -> None:
    """The per-role tests below are only meaningful if access.toml has full, masked and denied fields."""
    assert roles_seeing("full") and roles_seeing("masked") and roles_seeing("denied")
    for name, role in access_policy().roles.items():
        assert set(role.personal) == set(PERSONAL_FIELDS), name


@pytest.mark.parametrize(("role", "field"), roles_seeing("full"))
def test_a_full_read_shows_the_value_and_is_remembered_for_the_audit(role: str, field: str) -> None:
    reader = caller(role)
    assert reader.show(field, VALUES[field], "C1") == VALUES[field]
    assert reader.revealed == {"C1": {field}}


@pytest.mark.parametrize(("role", "field"), roles_seeing("masked"))
def test_a_masked_read_shows_the_fields_mask_and_is_not_audited(role: str, field: str) -> None:
    reader = caller(role)
    shown = reader.show(field, VALUES[field], "C1")
    assert shown == mask(field, VALUES[field])
    assert shown != VALUES[field] and "*" in shown
    assert reader.revealed == {}


@pytest.mark.parametrize(("role", "field"), roles_seeing("denied"))
def test_a_denied_read_is_forbidden_and_not_audited(role: str, field: str) -> None:
    reader = caller(role)
    with pytest.raises(Forbidden, match=field) as raised:
        reader.show(field, VALUES[field], "C1")
    assert raised.value.code == "FORBIDDEN"
    assert reader.revealed == {}


def test_an_empty_value_passes_through_for_every_role_and_is_not_audited() -> None:
    for name in access_policy().roles:
        reader = caller(name)
        for field in PERSONAL_FIELDS:
            assert reader.show(field, None, "C1") is None
            assert reader.show(field, "", "C1") == ""
        assert reader.revealed == {}, name


@pytest.fixture
def audit_trail(tmp_path: Path) -> Iterator[AuditTrail]:
    """The audit file of a data directory of its own, with the clock fixed so lines can be compared."""
    previous = clock.set_clock(clock.FixedClock(datetime(2026, 12, 31, 23, 59, 59, tzinfo=UTC)))
    yield AuditTrail.at(tmp_path / "audit.log")
    clock.set_clock(previous)


def test_the_audit_writes_one_line_per_customer_read_in_full_then_forgets(audit_trail: AuditTrail) -> None:
    full = roles_seeing("full")
    role = next(r for r, _ in full if sum(name == r for name, _ in full) >= 2)
    field, other = [f for r, f in full if r == role][:2]
    reader = Caller("alice", role, access_policy().roles[role])
    reader.show(other, VALUES[other], "C2")
    reader.show(field, VALUES[field], "C1")
    reader.show(other, VALUES[other], "C1")
    reader.show(field, "", "C3")
    reader.write_audit(audit_trail)
    at = "2026-12-31T23:59:59.000Z"
    assert audit_trail.path.read_text(encoding="utf-8").splitlines() == [
        f"read caller=alice role={role} customer=C1 fields={','.join(sorted({field, other}))} at={at}",
        f"read caller=alice role={role} customer=C2 fields={other} at={at}",
    ]
    assert reader.revealed == {}
    reader.write_audit(audit_trail)
    assert len(audit_trail.path.read_text(encoding="utf-8").splitlines()) == 2
