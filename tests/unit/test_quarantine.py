"""Field-level quarantine without I/O: which failures cost a field and which the whole row, how a
field set aside is kept, and how resolution weighs a certificate that failed its check (as weak
evidence, never for a hard rule, and only through review against a different valid certificate)."""

from __future__ import annotations

import json

import numpy as np

from app.record_kinds import (
    INVALID_FIELDS,
    check_row,
    invalid_fields,
    invalid_fields_json,
    shown_original,
)
from app.resolution.comparisons import CERTIFICATE, COMPARISONS, MISSING, NAME, PHONE, compare_certificate
from app.resolution.policy import APART, REVIEW, RULES, SCORE, apply_policy
from app.resolution.prepare import match_record
from app.resolution.records import MatchRecord, RecordTable
from app.rules import PolicyRules, get_rules
from tests.identities import resident_id

GOOD = resident_id(231)
MISTYPED = GOOD[:-1] + ("0" if GOOD[-1] != "0" else "1")


def customer(**fields: str) -> dict[str, str]:
    row = {
        "source_id": "c1",
        "name": "林某",
        "cert_type": "resident_id",
        "cert_no": GOOD,
        "phones": "13812345678",
        "local_network": "0591",
        "segment": "individual",
    }
    row.update(fields)
    return row


def test_a_mistyped_certificate_is_set_aside_and_the_row_kept() -> None:
    checked = check_row("customers", 2, customer(cert_no=MISTYPED))
    assert checked.problems == []
    assert "cert_no" not in checked.values and checked.values["name"] == "林某"
    [aside] = checked.quarantined
    assert (aside.field, aside.value, aside.length) == ("cert_no", MISTYPED, None)
    assert "check character" in aside.reason


def test_a_missing_name_is_kept_when_a_certificate_or_phone_identifies_the_customer() -> None:
    for row in (customer(name=""), customer(name="", cert_no="", cert_type=""), customer(name="", phones="")):
        checked = check_row("customers", 2, row)
        assert checked.problems == [], row
        assert [(q.field, q.reason) for q in checked.quarantined] == [("name", "is required")]


def test_a_row_with_nothing_to_identify_it_by_is_refused_whole() -> None:
    checked = check_row("customers", 2, customer(name="", cert_no="", cert_type="", phones="12345", email="x@"))
    assert [field for field, _ in checked.problems] == ["(row)"]
    assert "nothing to identify" in checked.problems[0][1]
    assert {field for field, _ in checked.faults} == {"(row)", "phones", "email", "name"}


def test_a_row_without_a_source_id_or_with_an_over_long_one_is_refused_whole() -> None:
    assert [f for f, _ in check_row("customers", 2, customer(source_id="")).problems] == ["source_id"]
    too_long = check_row("customers", 2, customer(source_id="9" * 201))
    assert too_long.problems == [("source_id", "has 201 characters, more than the 200 this field may have")]
    assert check_row("customers", 2, customer(source_id="9" * 200)).problems == []


def test_an_over_long_value_keeps_its_first_characters_and_its_length() -> None:
    address = "福州市鼓楼区" + "很长" * 200
    checked = check_row("customers", 2, customer(address=address, phones="13812345678;" * 10))
    aside = {q.field: q for q in checked.quarantined}
    assert set(aside) == {"address", "phones"}
    assert aside["address"].value == address[:200] and aside["address"].length == len(address)
    assert aside["phones"].length == 120 and len(aside["phones"].value) == 100
    assert "address" not in checked.values and "phones" not in checked.values
    kept = shown_original(checked)
    assert kept["address"] == address[:200] and checked.original["address"] == address
    stored = invalid_fields(invalid_fields_json(checked.quarantined))
    assert stored["address"] == {"value": address[:200], "reason": aside["address"].reason, "length": len(address)}


def test_required_fields_of_a_holding_refuse_the_row_and_optional_ones_are_set_aside() -> None:
    bill = check_row("bills", 2, {"source_id": "b1", "account_source_id": "a1", "month": "2026-13", "amount": "9"})
    assert [f for f, _ in bill.problems] == ["month"] and bill.quarantined == []
    wide = check_row("bills", 3, {"source_id": "b2", "account_source_id": "a1", "month": "２０２６-10", "amount": "9"})
    assert [f for f, _ in wide.problems] == ["month"], "a full-width year is not YYYY-MM"
    account = {"source_id": "a1", "customer_source_id": "c1", "account_type": "prepaid", "status": "active"}
    checked = check_row("accounts", 2, {**account, "opened_at": "someday"})
    assert checked.problems == [] and [q.field for q in checked.quarantined] == ["opened_at"]
    contact = check_row("contacts", 2, {"source_id": "k1", "channel": "sms", "kind": "query", "at": "2026-01-01"})
    assert [f for f, _ in contact.problems] == ["customer_source_id"]


def test_the_stored_form_is_json_text_by_field() -> None:
    checked = check_row("customers", 2, customer(cert_no=MISTYPED, birth_date="1985-02-30"))
    text = invalid_fields_json(checked.quarantined)
    assert text is not None and set(json.loads(text)) == {"cert_no", "birth_date"}
    assert invalid_fields_json([]) is None and invalid_fields(None) == {} and invalid_fields("not json") == {}


def stored(**fields: str | None) -> dict[str, str | None]:
    """A customer source record as the ingest stores it from a row of customer(**fields)."""
    checked = check_row("customers", 2, customer(**{k: v for k, v in fields.items() if v is not None}))
    return {"id": "crm:customers:c1", **checked.values, INVALID_FIELDS: invalid_fields_json(checked.quarantined)}


def test_a_certificate_set_aside_is_matched_as_weak_evidence_never_as_valid() -> None:
    record = match_record(stored(cert_no=MISTYPED))
    assert (record.cert_no, record.cert_kind, record.cert_valid) == (MISTYPED, "resident_id", False)
    assert match_record(stored()).cert_valid
    cut = match_record(stored(cert_no="3" * 50))
    assert cut.cert_no == "" and not cut.cert_valid


def test_a_birth_date_that_is_not_a_date_counts_as_missing() -> None:
    assert match_record(stored(birth_date="1985-02-30", cert_no="", cert_type="")).birth_date == ""
    assert match_record({"id": "x", "birth_date": "1985-02-30"}).birth_date == ""
    assert match_record({"id": "x", "birth_date": "1985-03-02T00:00:00+08:00"}).birth_date == "1985-03-02"


def test_a_mistyped_certificate_is_a_near_match_of_the_valid_one_not_a_disagreement() -> None:
    """The comparison works on the numbers as given, so a wrong check character is one edit and two
    swapped digits one too (Damerau-Levenshtein): the model weighs a likely typo, not a different id."""
    swapped = GOOD[:8] + GOOD[9] + GOOD[8] + GOOD[10:]
    records = [match_record(stored()), match_record(stored(cert_no=MISTYPED)), match_record(stored(cert_no=swapped))]
    table = RecordTable.build(records)
    levels = compare_certificate(table, np.array([0, 0, 1]), np.array([1, 2, 2]))
    assert [CERTIFICATE.levels[k] for k in levels] == ["one_edit", "one_edit", "two_edits"]


def pair(a: MatchRecord, b: MatchRecord, agree: dict[str, int], rules: PolicyRules | None = None) -> tuple[int, str]:
    row = [MISSING] * len(COMPARISONS)
    for name, level in agree.items():
        row[next(i for i, c in enumerate(COMPARISONS) if c.name == name)] = level
    result = apply_policy(
        RecordTable.build([a, b]),
        np.array([0]),
        np.array([1]),
        np.array([row], dtype=np.int8),
        rules or get_rules().resolution.policy,
    )
    return int(result.outcome[0]), RULES[int(result.rule[0])]


def test_an_invalid_certificate_meets_a_different_valid_one_only_in_review() -> None:
    valid, invalid = match_record(stored()), match_record(stored(cert_no=MISTYPED))
    alike = {"name": NAME.levels.index("exact"), "certificate": CERTIFICATE.levels.index("one_edit")}
    assert pair(valid, invalid, alike) == (REVIEW, "invalid_certificate_against_valid")
    assert pair(invalid, valid, {"name": 0, "phone": PHONE.levels.index("shared")}) == (
        REVIEW,
        "invalid_certificate_against_valid",
    )
    # One field alike (a common name) is not worth a steward's time: apart, never merged by score.
    assert pair(valid, invalid, {"name": 0}) == (APART, "invalid_certificate_against_valid")
    scored = get_rules().resolution.policy.model_copy(update={"invalid_certificate_needs_review": False})
    assert pair(valid, invalid, alike, scored) == (SCORE, "score")


def test_the_operator_setting_is_on_by_default() -> None:
    assert get_rules().resolution.policy.invalid_certificate_needs_review
    assert PolicyRules.model_fields["invalid_certificate_needs_review"].default is True


def test_unverifiable_certificates_are_not_invalid_ones() -> None:
    """A passport cannot be checked: it meets a valid resident id by the score, as before."""
    person = {"name": "林某", "local_network": "0591", "segment": "individual"}
    passport = match_record({"id": "p", **person, "cert_type": "passport", "cert_no": "E12345678"})
    assert pair(match_record(stored()), passport, {"name": 0, "phone": 0}) == (SCORE, "score")
    mistyped = match_record(stored(cert_no=MISTYPED))
    assert pair(mistyped, match_record({"id": "n", **person}), {"name": 0, "phone": 0}) == (SCORE, "score")
