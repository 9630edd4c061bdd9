"""Values of a generated demo to try the API with: a person's certificate, one of their service
numbers and their name, and an organisation with an account manager. Read from the demo's files, so
`c360 run` can print them and docs/api.md's examples run on them (tests/integration/test_api_docs.py)."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, slots=True)
class Examples:
    certificate: str  # a resident id of a crm individual
    service_number: str  # an active mobile line of that person
    name: str  # that person's name
    # The credit code of an organisation with an account manager, and that manager as an employee source
    # id of am_app; empty in a demo too small to have one.
    organisation_certificate: str = ""
    manager: str = ""


def _rows(path: Path) -> Iterator[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        yield from csv.DictReader(handle)


def examples(directory: Path) -> Examples | None:
    """None for a demo without a person who has a resident id and a mobile line (a handful of people)."""
    lines: dict[str, str] = {}
    for row in _rows(directory / "crm" / "subscriptions.csv"):
        if row["status"] == "active" and row["product_type"] == "mobile":
            lines.setdefault(row["customer_source_id"], row["service_no"])
    person = next(
        (
            row
            for row in _rows(directory / "crm" / "customers.csv")
            if row["segment"] == "individual"
            and row["cert_type"] == "resident_id"
            and len(row["cert_no"]) == 18
            and row["source_id"] in lines
        ),
        None,
    )
    if person is None:
        return None
    organisation = next(
        (
            row
            for row in _rows(directory / "am_app" / "customers.csv")
            if row["segment"] == "enterprise" and row["cert_type"] == "credit_code" and row["account_manager_id"]
        ),
        {},
    )
    return Examples(
        certificate=person["cert_no"],
        service_number=lines[person["source_id"]],
        name=person["name"],
        organisation_certificate=organisation.get("cert_no", ""),
        manager=organisation.get("account_manager_id", ""),
    )


def shown(found: Examples) -> str:
    """One line to print after loading the demo."""
    shown = f"try: resident id {found.certificate}, service number {found.service_number}, name {found.name}"
    if found.organisation_certificate:
        shown += f"; organisation credit code {found.organisation_certificate} (account manager {found.manager})"
    return shown
