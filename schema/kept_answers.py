"""Serves kept answers to customer-view queries (:mod:`app.services.kept_answers`) inside strawberry.

Only queries whose every root field is ``customer(id:)`` (or ``__typename``) are kept: their
answer depends on nothing but those customers' views, the caller's role and the day (a query that
selects a field of TIMELY_FIELDS, which moves with the clock, is never kept). An
answer with any error is never kept, so a role's denied field or a missing customer is
answered afresh each time.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import orjson
from graphql import ExecutionResult, FieldNode, OperationType, StringValueNode, VariableNode, get_operation_ast
from graphql.language import BREAK, DocumentNode, IntValueNode, Visitor, visit
from strawberry.extensions import SchemaExtension

from app import clock
from app.access import Caller
from app.services.kept_answers import KeptAnswer, Key, Stamp
from schema.context import Context
from schema.loaders import held

ROOT_FIELDS = frozenset({"customer", "__typename"})
# Fields whose answer moves with the clock, not with a customer's version (a deadline turns into a
# breach while nothing is written): a query that selects one anywhere is never kept. A customer's
# pending duplicates change with a batch resolution, which changes no version, and their check with time.
# An opportunity's hand-off turns late (escalated, a call-back overdue) with the clock alone.
TIMELY_FIELDS = frozenset({"service", "pendingDuplicates", "handOff"})


def selects_timely(document: DocumentNode) -> bool:
    """Whether any operation or fragment of the document selects a field of TIMELY_FIELDS."""
    found = False

    class Finder(Visitor):
        def enter_field(self, node: FieldNode, *_: Any) -> Any:
            nonlocal found
            if node.name.value in TIMELY_FIELDS:
                found = True
                return BREAK
            return None

    visit(document, Finder())
    return found


def customer_ids(document: DocumentNode, operation_name: str | None, variables: dict[str, Any]) -> list[str] | None:
    """The ids the query's root ``customer`` fields ask for, or None when it is not such a query."""
    operation = get_operation_ast(document, operation_name)
    if operation is None or operation.operation != OperationType.QUERY:
        return None
    ids: list[str] = []
    for selection in operation.selection_set.selections:
        if not isinstance(selection, FieldNode) or selection.name.value not in ROOT_FIELDS:
            return None
        if selection.name.value == "__typename":
            continue
        value: Any = None
        for argument in selection.arguments or ():
            if argument.name.value == "id":
                node = argument.value
                if isinstance(node, VariableNode):
                    value = variables.get(node.name.value)
                elif isinstance(node, (StringValueNode, IntValueNode)):
                    value = node.value
        if not isinstance(value, (str, int)):
            return None
        ids.append(str(value))
    return ids or None


class CachedCustomerViews(SchemaExtension):
    async def on_execute(self) -> AsyncIterator[None]:
        execution = self.execution_context
        context = execution.context
        if (
            not isinstance(context, Context)
            or context.views is None
            or context.views.size <= 0
            or context.versions is None
            or context.caller is None
            or execution.graphql_document is None
            or execution.result is not None  # refused by an earlier check: nothing to look up
        ):
            yield
            return
        views, caller = context.views, context.caller
        ids = customer_ids(execution.graphql_document, execution.operation_name, execution.variables or {})
        if ids is None or selects_timely(execution.graphql_document):
            yield
            return
        try:
            variables = orjson.dumps(execution.variables or {}, option=orjson.OPT_SORT_KEYS)
        except orjson.JSONEncodeError:
            # A number past 64 bits (JSON allows it): no key for it, so no kept answer; the query runs.
            yield
            return
        key: Key = (
            execution.query,
            execution.operation_name,
            variables,
            caller.role_name,
            # The tier is as of the operator's day: an answer of yesterday is not today's.
            clock.today().isoformat(),
        )
        stamp = await context.versions.stamp(ids)
        answer = views.get(key + _scope(caller, stamp), stamp) if stamp is not None else None
        if answer is not None:
            execution.result = ExecutionResult(data=answer.answer())
            for customer_id, fields in answer.revealed.items():
                caller.revealed.setdefault(customer_id, set()).update(fields)
            yield
            return
        yield
        result = execution.result
        if isinstance(result, ExecutionResult) and not result.errors and result.data is not None:
            shown = _stamp_of_answer(context, ids)
            if shown is not None:
                views.put(key + _scope(caller, shown), KeptAnswer.of(shown, result.data, caller.revealed))


def _scope(caller: Caller, stamp: Stamp | None) -> tuple[bool, ...]:
    """For a caller limited to its own customers, which of the answer's customers it acts for: the
    same query answers it in full for one and masked for the other, and a leave's end bumps no
    customer's version."""
    if caller.acting_for is None or stamp is None:
        return ()
    return tuple(caller.acts_for(live) for _, live, _ in stamp)


def _stamp_of_answer(context: Context, ids: list[str]) -> Stamp | None:
    """The versions the answer was read at, from the request's own customer loader: the data
    is at least that new, so a later check against the store can only find it stale, never
    mistake it for newer."""
    stamp = []
    for wanted in ids:
        _, raw = held(context.loaders.customer, wanted)
        if raw is None:
            return None
        stamp.append((wanted, str(raw["id"]), int(raw.get("version") or 0)))
    return tuple(stamp)
