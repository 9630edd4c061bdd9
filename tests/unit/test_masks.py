"""Masking of personal data and who sees what (app/access.py, DOMAIN.md §9), called directly.

Each role sees a personal field in full (and the read is audited), masked, or not at all, as
app/config/access.toml says. The expectations are computed from that file's masks and roles, so a
province changing how many characters a mask keeps changes what is expected, not whether tests pass.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from datetime import UTC, datetime

import pytest

from app import clock
from app.access import (
    MASKERS,
    Caller,
    Forbidden,
    Masks,
    access_policy,
    audit_log,
    mask_certificate,
    mask_phone,
    mask_text,
)
from app.customer import PERSONAL_FIELDS

MASKS = access_policy().masks
CERTIFICATE = "350102198001010011"
PHONE = "13812345678"
VALUES = {
    "certificate": CERTIFICATE,
    "phone": PHONE,
    "email": "zhang.san@example.com",
    "address": "福建省福州市鼓楼区测试路1号",
    "birth_date": "1980-05-17",
}


def kept(value: str, start: int, end: int) -> str:
    """What a start/end mask should show: the kept ends, a star for every hidden character."""
    return value[:start] + "*" * (len(value) - start - end) + value[len(value) - end :]


def caller(role: str) -> Caller:
    return Caller("tester", role, access_policy().roles[role])


def roles_seeing(visibility: str) -> list[tuple[str, str]]:
    return [
        (name, field)
        for name, role in access_policy().roles.items()
        for field, seen in role.personal.items()
        if seen == visibility
    ]


def test_a_certificate_keeps_the_configured_ends() -> None:
    masked = mask_certificate(CERTIFICATE)
    assert masked == kept(CERTIFICATE, MASKS.certificate_keep_start, MASKS.certificate_keep_end)
    assert len(masked) == len(CERTIFICATE)
    assert masked.count("*") == len(CERTIFICATE) - MASKS.certificate_keep_start - MASKS.certificate_keep_end > 0


def test_a_phone_keeps_the_configured_ends() -> None:
    masked = mask_phone(PHONE)
    assert masked == kept(PHONE, MASKS.phone_keep_start, MASKS.phone_keep_end)
    assert masked.count("*") == len(PHONE) - MASKS.phone_keep_start - MASKS.phone_keep_end > 0


def test_masks_given_by_the_caller_replace_the_configured_ones() -> None:
    masks = Masks(certificate_keep_start=2, certificate_keep_end=1, phone_keep_start=0, phone_keep_end=2)
    assert mask_certificate("ABCDEFGH", masks) == "AB*****H"
    assert mask_phone("13812345678", masks) == "*********78"


def test_a_value_no_longer_than_what_a_mask_keeps_is_masked_whole() -> None:
    """Keeping the ends of a short number would show all of it: then nothing is shown."""
    short = "7" * (MASKS.certificate_keep_start + MASKS.certificate_keep_end)
    assert mask_certificate(short) == "*" * len(short)
    assert mask_certificate(short[:-1]) == "*" * (len(short) - 1)
    assert mask_phone("8") == "*"
    assert mask_phone("") == ""


def test_an_email_with_a_one_letter_name_shows_only_its_domain() -> None:
    assert mask_text("a@example.com") == "*@example.com"


KEEP_NO_END = Masks(certificate_keep_start=4, certificate_keep_end=0, phone_keep_start=3, phone_keep_end=0)


@pytest.mark.parametrize(
    ("mask", "value", "masked"),
    [
        (mask_text, "zhang.san@example.com", "z********@example.com"),
        (mask_text, "福建省福州市鼓楼区测试路1号", "福建省" + "*" * 11),
        (mask_text, "ab", "**"),
        (lambda v: mask_phone(v, KEEP_NO_END), "13812345678", "138********"),
    ],
    ids=["email", "address", "short_text", "phone_keeping_no_end"],
)
def test_a_mask_keeping_no_end_shows_only_the_leading_characters(
    mask: Callable[[str], str], value: str, masked: str
) -> None:
    """E-mail keeps the first letter of the name and the domain; other text at most three leading characters
    (a third of it when shorter); the rest are stars, never the original again."""
    assert mask(value) == masked


def test_a_birth_date_keeps_only_its_year() -> None:
    assert MASKERS["birth_date"]("1980-05-17") == "1980-**-**"
    assert MASKERS["birth_date"]("198") == "****"


def test_there_is_a_masker_for_every_personal_field() -> None:
    assert set(MASKERS) == set(PERSONAL_FIELDS)
    assert MASKERS["certificate"] is mask_certificate and MASKERS["phone"] is mask_phone


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
    assert shown == MASKERS[field](VALUES[field])
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
def audit_lines() -> Iterator[list[str]]:
    """The audit logger does not propagate (its lines name customers), so listen to it directly."""
    lines: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            lines.append(record.getMessage())

    handler, level = Collect(), audit_log.level
    audit_log.addHandler(handler)
    audit_log.setLevel(logging.INFO)
    previous = clock.set_clock(clock.FixedClock(datetime(2026, 12, 31, 23, 59, 59, tzinfo=UTC)))
    yield lines
    clock.set_clock(previous)
    audit_log.setLevel(level)
    audit_log.removeHandler(handler)


def test_the_audit_writes_one_line_per_customer_read_in_full_then_forgets(audit_lines: list[str]) -> None:
    full = roles_seeing("full")
    role = next(r for r, _ in full if sum(name == r for name, _ in full) >= 2)
    field, other = [f for r, f in full if r == role][:2]
    reader = Caller("alice", role, access_policy().roles[role])
    reader.show(other, VALUES[other], "C2")
    reader.show(field, VALUES[field], "C1")
    reader.show(other, VALUES[other], "C1")
    reader.show(field, "", "C3")
    reader.write_audit()
    at = "2026-12-31T23:59:59.000Z"
    assert audit_lines == [
        f"read caller=alice role={role} customer=C1 fields={','.join(sorted({field, other}))} at={at}",
        f"read caller=alice role={role} customer=C2 fields={other} at={at}",
    ]
    assert reader.revealed == {}
    reader.write_audit()
    assert len(audit_lines) == 2
