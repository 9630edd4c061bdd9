"""Every example of docs/api.md runs, as the role it names, on a freshly generated demo, with the
values `make run` prints (demo/examples.py): a channel developer can paste them and get answers."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from typing import Any

from graphql import OperationDefinitionNode, parse, print_ast

from app.ids import record_id
from app.store import Store
from demo.examples import examples
from demo.operator import reference_clock
from tests.conftest import api_client, load_demo
from tests.integration.test_steward_api import gql

API_MD = Path(__file__).resolve().parents[2] / "docs" / "api.md"
EXAMPLE = re.compile(r"<!-- role: (\w+) -->\n```graphql\n(.*?)```", re.S)


def chained(first: Any) -> dict[str, Any]:
    """What the next operation's ``$id`` is read from: the answer's customer or opportunity (a payload's
    object), a page's first node, or the answer itself."""
    if not isinstance(first, dict):
        return {}
    for key in ("customer", "opportunity"):
        if isinstance(first.get(key), dict):
            return dict(first[key])
    if first.get("nodes"):
        return dict(first["nodes"][0])
    return first


def documented() -> list[tuple[str, str]]:
    return EXAMPLE.findall(API_MD.read_text(encoding="utf-8"))


def test_the_examples_are_found() -> None:
    """The channels and the steward each have examples (so a changed layout cannot skip them all)."""
    roles = {role for role, _ in documented()}
    assert {"service_hall", "hotline", "web_hall", "account_manager", "agent", "steward", "service_manager"} <= roles


async def test_every_example_runs_as_its_role_on_the_demo(graph: Store, tmp_path: Path) -> None:
    directory = await load_demo(graph, tmp_path / "demo", 200, seed=360)
    found = examples(directory)
    assert found is not None and found.organisation_certificate, "the demo has a person and a managed organisation"
    given = {"cert": found.certificate, "number": found.service_number, "name": found.name}
    given["orgCert"] = found.organisation_certificate
    # The demo's day (the clock `make run` starts): a day plan and the month before it for breaches.
    start = reference_clock(directory)
    assert start is not None
    given |= {
        "from": start.date().isoformat(),
        "to": (start.date() + timedelta(days=6)).isoformat(),
        "since": (start - timedelta(days=30)).isoformat(),
        "until": start.isoformat(),
    }
    manager = record_id("am_app", "employees", found.manager)
    # The employee the operations centre dispatches to (the opportunity hand-off's example).
    given["employee"] = manager
    ran = 0
    for role, document in documented():
        employee = manager if role == "account_manager" else None
        previous: dict[str, Any] = {}
        async with api_client(graph, role, f"docs-{role}-{ran}", employee) as client:
            for operation in parse(document).definitions:
                assert isinstance(operation, OperationDefinitionNode)
                text = print_ast(operation)
                wanted = {v.variable.name.value for v in operation.variable_definitions or ()}
                values = {name: given[name] for name in wanted if name != "id"}
                if "id" in wanted:
                    values["id"] = previous["globalId" if "node(" in text else "id"]
                answer = await gql(client, text, **values)
                where = f"{role}: {operation.name.value if operation.name else text[:40]}"
                assert "errors" not in answer, (where, answer)
                for field, value in answer["data"].items():
                    assert value is not None, (where, field)
                    if isinstance(value, dict) and "userErrors" in value:
                        assert value["userErrors"] == [], (where, value)
                first = next(iter(answer["data"].values()))
                previous = chained(first)
                if "submitCustomerRecord" in answer["data"]:
                    warned = answer["data"]["submitCustomerRecord"]["warnings"]
                    assert [w["field"] for w in warned] == [["record", "certNo"]], (where, warned)
                ran += 1
    assert ran >= 15, ran
