"""Before a request's fields resolve: the customers its caller acts for, where the caller's role is
limited to its own customers (access.toml outside_own_customers), so that every personal value and
every write of the request is judged by the same scope (app.access.Caller.role_for)."""

from __future__ import annotations

from collections.abc import AsyncIterator

from strawberry.extensions import SchemaExtension

from app.services.account_scope import customers_acted_for
from schema.context import Context


class ActingFor(SchemaExtension):
    async def on_execute(self) -> AsyncIterator[None]:
        context = self.execution_context.context
        caller = context.caller if isinstance(context, Context) else None
        if caller is not None and caller.role.outside_own_customers and caller.acting_for is None:
            caller.acting_for = await customers_acted_for(context.store, caller.employee)
        yield
