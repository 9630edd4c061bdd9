"""Root Query type and the schema factory with its extensions.

Extensions are passed as classes or factories, never shared instances: a shared
instance leaks execution context between concurrent requests.
"""

from __future__ import annotations

import strawberry
from strawberry.extensions import ParserCache, ValidationCache

from schema.context import Info


@strawberry.type
class StoreInfo:
    backend: str
    ok: bool


@strawberry.type
class Query:
    @strawberry.field(description="Which graph backend serves this API and whether it answers.")
    async def store(self, info: Info) -> StoreInfo:
        health = await info.context.store.health()
        return StoreInfo(backend=health.backend, ok=health.ok)


def build_schema() -> strawberry.Schema:
    return strawberry.Schema(
        query=Query,
        extensions=[lambda: ParserCache(maxsize=1024), lambda: ValidationCache(maxsize=1024)],
    )
