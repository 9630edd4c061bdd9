"""The ASGI application: GraphQL at /graphql (with GraphiQL), liveness of the store at /healthz."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from strawberry.asgi import GraphQL

from app.settings import Settings, get_settings
from app.store import Store, open_store
from schema import build_schema
from schema.context import Context

log = logging.getLogger(__name__)


class GraphQLApp(GraphQL):
    def __init__(self, store_ref: "StoreRef", **kwargs: Any) -> None:
        super().__init__(build_schema(), **kwargs)
        self.store_ref = store_ref

    async def get_context(self, request: Any, response: Any = None) -> Context:  # type: ignore[override]
        return Context(store=self.store_ref.store)


class StoreRef:
    """Holds the store the lifespan opened, so routes built before start-up can reach it."""

    def __init__(self, store: Store | None) -> None:
        self._store = store

    @property
    def store(self) -> Store:
        if self._store is None:
            raise RuntimeError("the store is not open yet")
        return self._store

    @store.setter
    def store(self, value: Store) -> None:
        self._store = value


def create_app(store: Store | None = None, settings: Settings | None = None) -> Starlette:
    """Build the app. With ``store`` given, the caller owns its life (tests); otherwise the lifespan does."""
    settings = settings or get_settings()
    ref = StoreRef(store)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        if store is not None:
            yield
            return
        opened = open_store(settings)
        await opened.start()
        try:
            await opened.setup_schema()
            ref.store = opened
            yield
        finally:
            await opened.close()

    async def healthz(request: Request) -> JSONResponse:
        health = await ref.store.health()
        body = {"status": "ok" if health.ok else "unavailable", "backend": health.backend,
                "detail": health.detail}
        return JSONResponse(body, status_code=200 if health.ok else 503)

    graphql = GraphQLApp(ref, graphql_ide="graphiql" if settings.env != "production" else None)
    return Starlette(routes=[Route("/healthz", healthz), Route("/graphql", graphql, methods=["GET", "POST"])], lifespan=lifespan)
