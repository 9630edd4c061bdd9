"""Writes docs/api-reference.md: every type, field, argument and enum value of the served schema with
its description, generated from the code so it cannot drift (a test holds it current).

    python -m tools.api_reference           # write it
    python -m tools.api_reference --check   # exit 1 when it is not current
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from graphql import (
    GraphQLArgument,
    GraphQLEnumType,
    GraphQLField,
    GraphQLInputField,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLScalarType,
    Undefined,
    ast_from_value,
    print_ast,
)

from schema import build_schema

REFERENCE = Path(__file__).resolve().parents[1] / "docs" / "api-reference.md"
BUILT_IN = {"String", "Int", "Float", "Boolean", "ID"}


def _text(description: str | None) -> str:
    return " ".join((description or "").split()).replace("|", "\\|")


def _arguments(arguments: dict[str, GraphQLArgument]) -> str:
    if not arguments:
        return ""
    shown = []
    for name, argument in arguments.items():
        literal = None if argument.default_value is Undefined else ast_from_value(argument.default_value, argument.type)
        default = "" if literal is None else f" = {print_ast(literal)}"
        shown.append(f"{name}: {argument.type}{default}")
    return "(" + ", ".join(shown) + ")"


def _fields(fields: dict[str, GraphQLField] | dict[str, GraphQLInputField]) -> list[str]:
    lines = ["| field | type | description |", "| --- | --- | --- |"]
    for name, field in fields.items():
        arguments = _arguments(field.args) if isinstance(field, GraphQLField) else ""
        note = _text(field.description)
        if getattr(field, "deprecation_reason", None):
            note += f" **Deprecated**: {_text(field.deprecation_reason)}"
        lines.append(f"| `{name}{arguments}` | `{field.type}` | {note} |")
    return lines


def _section(kind: GraphQLNamedType) -> list[str]:
    if isinstance(kind, GraphQLObjectType):
        what = "type" + (f" (implements {', '.join(i.name for i in kind.interfaces)})" if kind.interfaces else "")
    elif isinstance(kind, GraphQLInterfaceType):
        what = "interface"
    elif isinstance(kind, GraphQLInputObjectType):
        what = "input"
    elif isinstance(kind, GraphQLEnumType):
        what = "enum"
    else:
        what = "scalar"
    lines = [f"### {kind.name}", "", f"*{what}*. {_text(kind.description)}", ""]
    if isinstance(kind, GraphQLObjectType | GraphQLInterfaceType | GraphQLInputObjectType):
        lines += _fields(kind.fields)
    elif isinstance(kind, GraphQLEnumType):
        lines += ["| value | stored as |", "| --- | --- |"]
        lines += [f"| `{name}` | `{value.value}` |" for name, value in kind.values.items()]
    return [*lines, ""]


def render() -> str:
    schema = build_schema()._schema
    named = [t for name, t in schema.type_map.items() if not name.startswith("__") and name not in BUILT_IN]
    roots = [t for t in (schema.query_type, schema.mutation_type) if t is not None]
    order = [GraphQLObjectType, GraphQLInterfaceType, GraphQLInputObjectType, GraphQLEnumType, GraphQLScalarType]
    rest = sorted(
        (t for t in named if t not in roots),
        key=lambda t: (next(i for i, k in enumerate(order) if isinstance(t, k)), t.name),
    )
    lines = [
        "# API reference",
        "",
        "Generated from the schema the code serves by `python -m tools.api_reference`; do not edit by hand.",
        "docs/api.md explains the API by channel, with examples; schema.graphql is the same schema as SDL.",
        "",
        "## Roots",
        "",
    ]
    for kind in roots:
        lines += _section(kind)
    lines += ["## Types", ""]
    for kind in rest:
        lines += _section(kind)
    return "\n".join(lines).rstrip() + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--check", action="store_true", help="exit 1 when docs/api-reference.md is not current")
    args = parser.parse_args()
    text = render()
    if args.check:
        if REFERENCE.read_text(encoding="utf-8") != text:
            print(f"{REFERENCE} is not current: run `python -m tools.api_reference`", file=sys.stderr)
            sys.exit(1)
        return
    REFERENCE.write_text(text, encoding="utf-8")
    print(f"{REFERENCE}: {text.count('### ')} types")


if __name__ == "__main__":
    main()
