"""What a mutation answers besides its object: the refusals a user can fix, as data.

A refusal the person at the desk can act on (a field's value, a merge rule, a decision that stands in
the way, a stale version) comes back in ``userErrors`` with the field's path, a message and a code;
the payload's object is then null and nothing was written. Everything else (no key, a forbidden
role, a store that is away) stays a top-level error.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

import strawberry

from app.errors import BadInput, C360Error, ConflictError, MergeRuleError, NotFoundError

T = TypeVar("T")
# The errors a user can fix by changing what they send or asking a steward.
USER_FIXABLE = (BadInput, MergeRuleError, ConflictError, NotFoundError)


@strawberry.type(description="A refusal the user can fix: which input field, why, and a machine-readable code.")
class UserError:
    field: list[str] | None = strawberry.field(
        description='The path of the input field at fault (e.g. ["record", "certNo"]); null for the whole input.'
    )
    message: str = strawberry.field(description="Why, naming the record or customer, the field and the rule.")
    code: str = strawberry.field(
        description="BAD_USER_INPUT, MERGE_RULE, CONFLICT, CONTRADICTS_DECISIONS (a steward action against "
        "standing decisions, named) or NOT_FOUND."
    )


@strawberry.type(description="A field the record was kept without: its value failed a check (it is kept aside).")
class FieldWarning:
    field: list[str] = strawberry.field(description='The input field\'s path, e.g. ["record", "birthDate"].')
    message: str = strawberry.field(description="What was wrong with the value.")


def camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def user_errors(exc: C360Error, argument: str) -> list[UserError]:
    """One error per problem the exception names (a field of ``argument``), or one for the whole. Each
    message names the record the exception names, the field and the rule."""
    problems = getattr(exc, "problems", None) or []
    if not problems:
        return [UserError(field=None, message=str(exc), code=exc.code)]
    text = str(exc)
    record = text.split(": ", 1)[0] + ": " if text.startswith("record ") else ""
    return [
        UserError(
            field=[argument, camel(name)] if name.isidentifier() else [argument],
            message=f"{record}{camel(name) if name.isidentifier() else 'the record'}: {why}",
            code=exc.code,
        )
        for name, why in problems
    ]


async def attempt(work: Callable[[], Awaitable[T]], argument: str) -> tuple[T | None, list[UserError]]:
    """Run a mutation's work; a refusal the user can fix becomes user errors, anything else propagates."""
    try:
        return await work(), []
    except USER_FIXABLE as exc:
        return None, user_errors(exc, argument)
