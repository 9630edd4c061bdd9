"""docs/api-reference.md is the reference of the schema the code serves: change one, regenerate the other."""

from __future__ import annotations

from tools.api_reference import REFERENCE, render


def test_the_reference_is_current() -> None:
    assert REFERENCE.read_text(encoding="utf-8") == render(), "run `python -m tools.api_reference`"


def test_the_reference_names_every_type_with_its_description() -> None:
    text = render()
    for name, description in (
        ("Customer", "One customer as every channel sees it"),
        ("ContactKind", "What a contact with the customer was about"),
        ("SubmitCustomerRecordPayload", "What submitCustomerRecord answers"),
    ):
        assert f"### {name}\n" in text and description in text
    assert "| `SMALL_BUSINESS` | `small_business` |" in text
