"""Identity confirmed at the contact, rule by rule (app/contact_confirmation.py, rules.toml
[contact_confirmation]): the check a candidate asks as its score and its customers' recent changes
make it more doubtful, what a certificate read shows, and what evidence is enough to confirm or deny."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from app.contact_confirmation import (
    DIFFERS,
    MATCHES,
    NONE,
    CheckRequired,
    Evidence,
    certificate_of,
    check_required,
    shortfall,
    side_result,
)
from app.resolution.normalise import resident_id_check_character
from app.rules import ContactConfirmationRules, get_rules
from app.vocabulary import CERTIFICATE_RESULTS, IDENTITY_CHECKS
from tests.identities import credit_code

NOW = datetime(2026, 12, 2, 15, 0, tzinfo=timezone(timedelta(hours=8)))
RULES = ContactConfirmationRules(high_probability=0.85, recent_change_days=30)
PRESENT = CheckRequired("present", False, ())
BOTH = CheckRequired("both", False, ())
PRESENT_AND_PASSWORD = CheckRequired("present", True, ())


def resident(first17: str) -> str:
    return first17 + resident_id_check_character(first17)


def test_the_shipped_rules_are_the_documented_ones() -> None:
    rules = get_rules().contact_confirmation
    api = (Path(__file__).resolve().parents[2] / "docs" / "api.md").read_text(encoding="utf-8")
    assert f"`high_probability` ({rules.high_probability})" in api
    assert f"`recent_change_days` ({rules.recent_change_days})" in api


def test_a_high_score_asks_the_present_records_certificate() -> None:
    required = check_required(0.85, [], NOW, RULES)
    assert (required.certificate, required.service_password, required.name) == ("present", False, "certificate_present")
    assert "0.85" in required.reasons[0]


def test_below_the_high_score_both_records_certificates() -> None:
    required = check_required(0.8499, [None], NOW, RULES)
    assert required.name == "certificate_both" and not required.service_password


def test_a_customer_merged_or_split_within_the_days_asks_the_password_too() -> None:
    recent = NOW - timedelta(days=30)
    assert check_required(0.9, [None, recent], NOW, RULES).name == "certificate_present_and_password"
    assert check_required(0.7, [recent], NOW, RULES).name == "certificate_both_and_password"
    long_ago = NOW - timedelta(days=30, seconds=1)
    assert check_required(0.9, [long_ago], NOW, RULES).name == "certificate_present"
    assert "30 days" in check_required(0.9, [recent], NOW, RULES).reasons[-1]


def test_every_check_and_result_is_in_the_vocabulary() -> None:
    for scope in ("present", "both"):
        for password in (False, True):
            assert CheckRequired(scope, password, ()).name in IDENTITY_CHECKS  # type: ignore[arg-type]
    for present in (MATCHES, DIFFERS, NONE):
        for other in (MATCHES, DIFFERS, NONE):
            assert Evidence(present, other, "passed").certificate_result in CERTIFICATE_RESULTS


def test_certificates_compare_as_resolution_normalises_them() -> None:
    number = resident("35010219800101777")
    assert certificate_of("resident_id", f" {number.lower()} ") == certificate_of("resident_id", number) != ""
    code = credit_code("MA2Y4X7K1")
    # A credit code meets the organisation code it embeds.
    assert certificate_of("credit_code", code) == certificate_of("org_code", code[8:17])
    assert certificate_of("resident_id", "") == ""
    assert side_result(certificate_of("resident_id", number), certificate_of("resident_id", number)) == MATCHES
    assert side_result(certificate_of("resident_id", number), "other") == DIFFERS
    assert side_result(certificate_of("resident_id", number), "") == NONE
    assert side_result("", "other") == DIFFERS


@pytest.mark.parametrize(
    ("present", "other", "result"),
    [
        (MATCHES, MATCHES, "matches_both"),
        (MATCHES, DIFFERS, "matches_one"),
        (DIFFERS, MATCHES, "matches_one"),
        (MATCHES, NONE, "side_has_no_certificate"),
        (NONE, MATCHES, "side_has_no_certificate"),
        (DIFFERS, DIFFERS, "matches_neither"),
        (DIFFERS, NONE, "matches_neither"),
        (NONE, NONE, "matches_neither"),
    ],
)
def test_what_the_read_showed(present: str, other: str, result: str) -> None:
    assert Evidence(present, other, "not_checked").certificate_result == result  # type: ignore[arg-type]


def fields(problems: list[tuple[str, str]]) -> list[str]:
    return [field for field, _ in problems]


def test_confirming_at_a_high_score_needs_the_present_record_matched() -> None:
    assert shortfall(PRESENT, Evidence(MATCHES, MATCHES, "not_checked"), True) == []
    assert shortfall(PRESENT, Evidence(MATCHES, NONE, "not_checked"), True) == []
    # The present record holds none: the password vouches for it.
    assert fields(shortfall(PRESENT, Evidence(NONE, MATCHES, "not_checked"), True)) == ["servicePasswordChecked"]
    assert shortfall(PRESENT, Evidence(NONE, MATCHES, "passed"), True) == []


def test_confirming_below_it_needs_both_or_one_and_the_password() -> None:
    assert shortfall(BOTH, Evidence(MATCHES, MATCHES, "not_checked"), True) == []
    missing = shortfall(BOTH, Evidence(MATCHES, NONE, "not_checked"), True)
    assert fields(missing) == ["servicePasswordChecked"] and "certificate_both" in missing[0][1]
    assert shortfall(BOTH, Evidence(MATCHES, NONE, "passed"), True) == []
    assert shortfall(BOTH, Evidence(NONE, MATCHES, "passed"), True) == []


def test_a_certificate_that_differs_refuses_a_confirmation() -> None:
    for evidence in (Evidence(MATCHES, DIFFERS, "passed"), Evidence(DIFFERS, MATCHES, "passed")):
        problems = shortfall(PRESENT, evidence, True)
        assert fields(problems) == ["certificateNumber"] and "differs" in problems[0][1]
    assert "other record" in shortfall(BOTH, Evidence(MATCHES, DIFFERS, "passed"), True)[0][1]


def test_no_certificate_on_either_record_is_a_stewards() -> None:
    for same in (True, False):
        assert "steward" in shortfall(PRESENT, Evidence(NONE, NONE, "passed"), same)[0][1]


def test_a_recent_change_needs_the_password_passed() -> None:
    missing = shortfall(PRESENT_AND_PASSWORD, Evidence(MATCHES, MATCHES, "not_checked"), True)
    assert fields(missing) == ["servicePasswordChecked"] and "certificate_present_and_password" in missing[0][1]
    assert shortfall(PRESENT_AND_PASSWORD, Evidence(MATCHES, MATCHES, "passed"), True) == []
    assert fields(shortfall(PRESENT_AND_PASSWORD, Evidence(MATCHES, DIFFERS, "not_checked"), False)) == [
        "servicePasswordChecked"
    ]


def test_a_failed_password_refuses_either_way() -> None:
    for same in (True, False):
        problems = shortfall(PRESENT, Evidence(MATCHES, DIFFERS if not same else MATCHES, "failed"), same)
        assert fields(problems) == ["servicePasswordChecked"] and "failed" in problems[0][1]


def test_denying_needs_the_present_record_matched_and_the_other_not() -> None:
    assert shortfall(BOTH, Evidence(MATCHES, DIFFERS, "not_checked"), False) == []
    assert shortfall(BOTH, Evidence(MATCHES, NONE, "not_checked"), False) == []
    one_certificate = shortfall(PRESENT, Evidence(MATCHES, MATCHES, "passed"), False)
    assert fields(one_certificate) == ["samePerson"]
    assert fields(shortfall(PRESENT, Evidence(DIFFERS, DIFFERS, "passed"), False)) == ["certificateNumber"]
    assert fields(shortfall(PRESENT, Evidence(NONE, DIFFERS, "not_checked"), False)) == ["servicePasswordChecked"]
    assert shortfall(PRESENT, Evidence(NONE, DIFFERS, "passed"), False) == []


def test_a_refused_check_at_the_contact_counts_as_a_miss() -> None:
    """A refusal says how the number read compared: rate-limited as a lookup that found nothing."""
    from app.api.rate_limits import misses_in

    query = (
        "mutation($i: ConfirmIdentityInput!) { c: confirmIdentityAtContact(input: $i) "
        "{ check { id } userErrors { code } } }"
    )
    refused = {"c": {"check": None, "userErrors": [{"code": "BAD_USER_INPUT"}]}}
    assert misses_in(query, None, refused, []) == 1
    assert misses_in(query, None, {"c": {"check": {"id": "CK1"}, "userErrors": []}}, []) == 0
    quiet = "mutation($i: ConfirmIdentityInput!) { confirmIdentityAtContact(input: $i) { check { id } } }"
    assert misses_in(quiet, None, {"confirmIdentityAtContact": {"check": None}}, []) == 1
