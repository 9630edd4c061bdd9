"""The customer declaration (app/customer.py) is the one place a customer attribute is declared:
everything derived from it must agree with it, including the Cypher files that read positional rows."""

from __future__ import annotations

import re

import pytest

from app import customer
from app.access import access_policy
from app.customer import ATTRIBUTES, INGEST_COLUMNS, PERSONAL_FIELDS, SHOWN
from app.record_kinds import KINDS
from app.services.customer_export import COLUMNS as EXPORT_COLUMNS
from app.services.source_records import CREATE_NEW, UPSERT
from schema.export import sdl


@pytest.mark.parametrize("statement", [CREATE_NEW["customers"], UPSERT["customers"]], ids=lambda q: q.name)
def test_the_positional_ingest_statements_read_every_declared_column_at_its_index(statement: object) -> None:
    found = {name: int(index) for name, index in re.findall(r"(\w+): r\[(\d+)\]", statement.text)}  # type: ignore[attr-defined]
    assert found == {name: index for index, name in enumerate(INGEST_COLUMNS)}


def test_the_customer_kind_checks_exactly_the_declared_source_fields() -> None:
    declared = {a.key: a for a in ATTRIBUTES if a.from_source}
    fields = dict(KINDS["customers"].fields)
    assert fields.pop("source_id").required
    assert set(fields) == set(declared)
    for key, field in fields.items():
        assert field.rule is declared[key].rule and field.required == declared[key].required, key


def test_every_role_says_how_it_sees_each_personal_attribute() -> None:
    assert set(PERSONAL_FIELDS) == {"certificate", "phone", "email", "address", "birth_date"}
    for name, role in access_policy().roles.items():
        assert set(PERSONAL_FIELDS) <= set(role.personal), name


def test_exports_carry_no_personal_attribute_and_keep_their_column_order() -> None:
    personal = {a.key for a in ATTRIBUTES if a.personal}
    assert personal and not personal & set(EXPORT_COLUMNS)
    # The columns BI jobs have read since the first release, in their places.
    assert EXPORT_COLUMNS[:8] == (
        "id",
        "name",
        "segment",
        "customer_group",
        "local_network",
        "org_class",
        "vip_card",
        "cert_type",
    )


def test_two_attributes_cannot_take_one_export_column(monkeypatch: pytest.MonkeyPatch) -> None:
    twin = customer.Attribute("twin", customer.f.text, exported=1)
    monkeypatch.setattr(customer, "ATTRIBUTES", (*ATTRIBUTES, twin))
    with pytest.raises(ValueError, match="export column 1 is taken"):
        customer._check()


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def test_the_graphql_customer_shows_each_declared_attribute_once() -> None:
    body = re.search(r"type Customer implements Node \{(.*?)\n\}", sdl(), re.S)
    assert body is not None
    fields = re.findall(r"^\s+(\w+)", body.group(1), re.M)
    for attribute in SHOWN:
        assert fields.count(_camel(attribute.graphql or "")) == 1, attribute.key


def test_a_personal_attribute_cannot_be_declared_exported(monkeypatch: pytest.MonkeyPatch) -> None:
    leaky = customer.Attribute("secret", customer.f.text, personal="certificate", exported=99)
    monkeypatch.setattr(customer, "ATTRIBUTES", (*ATTRIBUTES, leaky))
    with pytest.raises(ValueError, match="cannot be exported"):
        customer._check()
