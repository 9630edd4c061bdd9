"""A kind's fields are checked by a function written out field by field (record_kinds._fields_check);
it must answer exactly as checking each field by its rule does, whatever a row holds, or a fast load
would keep or refuse what a channel's single row would not."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from app.record_kinds import _FIELDS_CHECKS, _PLANS, KINDS, Quarantined, _check_field

# Values as files and channels give them: blank, spaces, NUL, long, numbers, lists, and valid-looking
# dates, months, amounts, phones and codes, so both the kept and the set-aside paths run.
SAMPLES = [
    "",
    "  ",
    "\x00",
    "a\x00b",
    "x" * 300,
    "客户",
    " 福州 ",
    "2024-02-29",
    "2024-02-30",
    "2025-13",
    "2025-06",
    "12.50",
    "-3",
    "abc",
    "13812345678",
    "13812345678;13912345678",
    "2026-12-01T08:00:00+08:00",
    "active",
    "true",
    "2024",
]
VALUE = st.one_of(
    st.none(),
    st.sampled_from(SAMPLES),
    st.text(max_size=12),
    st.integers(-5, 3000),
    st.lists(st.sampled_from(["13812345678", "", "x"]), max_size=2),
)


def by_each_field(kind: str, row: dict[str, Any]) -> tuple[dict[str, Any], list[Any], list[Quarantined]]:
    values: dict[str, Any] = {}
    problems: list[Any] = []
    quarantined: list[Quarantined] = []
    for plan in _PLANS[kind]:
        _check_field(plan, row.get(plan[0]), values, problems, quarantined)
    return values, problems, quarantined


@settings(max_examples=400)
@given(data=st.data(), kind=st.sampled_from(sorted(KINDS)))
def test_the_written_out_check_answers_as_each_field_by_its_rule(data: st.DataObject, kind: str) -> None:
    names = [plan[0] for plan in _PLANS[kind]]
    row = {name: data.draw(VALUE, label=name) for name in names if data.draw(st.booleans(), label=f"has {name}")}
    values: dict[str, Any] = {}
    problems: list[Any] = []
    quarantined: list[Quarantined] = []
    _FIELDS_CHECKS[kind](row.get, values, problems, quarantined)
    assert (values, problems, quarantined) == by_each_field(kind, row)


def test_every_kind_has_its_check_and_a_plain_value_is_kept_stripped() -> None:
    assert set(_FIELDS_CHECKS) == set(KINDS)
    values: dict[str, Any] = {}
    _FIELDS_CHECKS["customers"]({"source_id": " C1 ", "name": " 王五 "}.get, values, [], [])
    assert (values["source_id"], values["name"]) == ("C1", "王五")
