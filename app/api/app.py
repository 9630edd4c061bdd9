"""The ASGI application: GraphQL at /graphql (with GraphiQL), liveness of the store at /healthz.

Authentication happens before GraphQL, whatever the method or headers: a request without a valid
API key gets 401 and never reaches the schema; only GraphiQL's page itself (a GET for HTML with no
query) loads without one, and its queries need a key like any other. Rate limits (app/api/rate_limits.py)
come next, then trusted documents (app/api/trusted_documents.py: a document named by its hash, and
only listed ones when C360_TRUSTED_DOCUMENTS_ONLY is on). Each request gets its own caller and DataLoaders.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any, cast

import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import Receive, Scope, Send
from strawberry.asgi import GraphQL
from strawberry.http import GraphQLRequestData

from app.access import Unauthenticated
from app.api.rate_limits import RateLimiter, mentions_lookup, misses_in
from app.api.request_limits import RequestLimits
from app.api.trusted_documents import TrustedDocuments
from app.api_keys import ApiKey, KeyRing
from app.audit_trail import AuditTrail
from app.errors import C360Error, RateLimited, SchemaVersionError, StoreError
from app.rules import Rules, get_rules
from app.services.kept_answers import ViewCache
from app.settings import Settings, get_settings
from app.store import Store, open_store
from app.store.migrations import check_version
from schema import build_schema
from schema.context import Context
from schema.loaders import CustomerLoaders, CustomerVersions

log = logging.getLogger(__name__)


class StoreRef:
    """Holds the store the lifespan opened, so routes built before start-up can reach it."""

    def __init__(self, store: Store | None) -> None:
        self._store = store
        # False while the lifespan waits for a Neo4j that was away at start-up to take the schema.
        self.ready = True
        # Why the store cannot be served at all (a graph of another release), for /healthz.
        self.refused: str | None = None

    @property
    def store(self) -> Store:
        if self._store is None:
            raise RuntimeError("the store is not open yet")
        return self._store

    @store.setter
    def store(self, value: Store) -> None:
        self._store = value


class GraphQLApp(GraphQL):
    def __init__(
        self,
        store_ref: StoreRef,
        rules: Rules,
        production: bool,
        caches: bool = True,
        view_cache_size: int = 0,
        limiter: RateLimiter | None = None,
        documents: TrustedDocuments | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(build_schema(production=production, caches=caches), **kwargs)
        self.limiter = limiter or RateLimiter()
        self.documents = documents or TrustedDocuments.load()
        self.store_ref = store_ref
        self.rules = rules
        self.views = ViewCache(view_cache_size)
        self._versions: CustomerVersions | None = None

    def encode_json(self, data: object) -> bytes:
        """orjson: a view's answer is encoded several times faster than by the json module."""
        return orjson.dumps(data)

    def should_render_graphql_ide(self, request: Any) -> bool:
        """Not for a GET naming a trusted document by its hash: it has no query either."""
        named = "documentId" in request.query_params or "extensions" in request.query_params
        return not named and super().should_render_graphql_ide(request)

    async def execute_single(  # type: ignore[override]
        self,
        request: Any,
        request_adapter: Any,
        sub_response: Any,
        context: Context,
        root_value: Any,
        request_data: Any,
    ) -> Any:
        """Runs an operation only for an authenticated caller; a lookup only while the caller's
        misses last, and the lookups the answer shows found nothing are counted as misses."""
        key: ApiKey | None = getattr(request.state, "api_key", None)
        if key is None or context.caller is None:
            raise Unauthenticated("an API key is required: send it as 'Authorization: Bearer <key>'")
        admitted = await self.documents.admit(request, request_data)
        if not isinstance(admitted, GraphQLRequestData):
            return admitted
        request_data = admitted
        lookup = mentions_lookup(request_data.query)
        if lookup:
            self.limiter.admit_lookup(key)
        # strawberry types the context as None (its generic view); ours is get_context's.
        context_value = cast(Any, context)
        result = await super().execute_single(
            request, request_adapter, sub_response, context_value, root_value, request_data
        )
        if lookup:
            paths = [error.path for error in result.errors or () if error.path]
            self.limiter.record_misses(
                key, misses_in(request_data.query, request_data.operation_name, result.data, paths)
            )
        return result

    async def render_graphql_ide(self, request: Any) -> HTMLResponse:
        """GraphiQL's page, whose assets the app serves itself under /graphiql/ (no CDN)."""
        return HTMLResponse(GRAPHIQL_PAGE.read_text(encoding="utf-8"))

    async def get_context(self, request: Any, response: Any = None) -> Context:  # type: ignore[override]
        store = self.store_ref.store
        if self._versions is None or self._versions.store is not store:
            self._versions = CustomerVersions(store)
        return Context(
            store=store,
            caller=getattr(request.state, "caller", None),
            rules=self.rules,
            loaders=CustomerLoaders(store, self.rules),
            views=self.views,
            versions=self._versions,
        )


def _freeze_startup_objects() -> None:
    """Move everything built at start-up (schema, modules, rules) out of the cyclic collector's
    reach: a full collection over them paused requests for up to 70 ms (measured), the
    view's p99 outliers."""
    gc.collect()
    gc.freeze()


async def _start_or_wait(store: Store, ref: StoreRef, every: float = 1.0) -> asyncio.Task[None] | None:
    """Neo4j is a server of its own: when it is down (or refuses our credentials) at start-up the API
    still serves, answering 503 and STORE_UNAVAILABLE, and connects in the background once it can;
    /healthz says ok only once the schema is in place. A graph of another release fails start-up when
    it is there at once; found later, it is refused with 503 until `c360 store migrate` has run."""
    try:
        await store.start()
        await check_version(store)
        await store.setup_schema()
        return None
    except StoreError as exc:
        log.error("%s; the API answers 503 until the store can be reached", exc)
    ref.ready = False

    async def keep_trying() -> None:
        while True:
            await asyncio.sleep(every)
            try:
                await store.start()
                await check_version(store)
                await store.setup_schema()
            except StoreError as exc:
                log.debug("store still unreachable: %s", exc)
                continue
            except SchemaVersionError as exc:
                if ref.refused != str(exc):
                    log.error("%s", exc)
                ref.refused = str(exc)
                continue
            ref.refused = None
            ref.ready = True
            log.info("store reached: %s", store.server_agent)
            return

    return asyncio.create_task(keep_trying())


def _refusal(exc: C360Error, status: int, headers: dict[str, str]) -> JSONResponse:
    error = {"message": str(exc), "extensions": {"code": exc.code}}
    return JSONResponse({"data": None, "errors": [error]}, status_code=status, headers=headers)


def _asks_for_ide(request: Request) -> bool:
    """GraphiQL's page: a GET for HTML (what a browser asks for) naming no query."""
    html = "text/html" in request.headers.get("accept", "")
    return request.method == "GET" and html and "query" not in request.query_params


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip()
    return request.headers.get("x-api-key")


class _Asgi:
    """Starlette treats plain functions as request handlers; an object is mounted as a raw ASGI app."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.app(scope, receive, send)


# The steward's page is static: its data comes from /graphql with the steward's own key.
STEWARD_PAGE = Path(__file__).resolve().parent / "steward_page"
# GraphiQL's page and its assets, built once by `make graphiql-assets` (tools/graphiql/) and committed:
# the IDE works on a network without internet access, and `make run` needs no Node.
GRAPHIQL_PAGE = Path(__file__).resolve().parent / "graphiql.html"
GRAPHIQL_ASSETS = Path(__file__).resolve().parent / "graphiql"


def create_app(
    store: Store | None = None,
    settings: Settings | None = None,
    rules: Rules | None = None,
    keyring: KeyRing | None = None,
    rate_limiter: RateLimiter | None = None,
) -> Starlette:
    """Build the app. With ``store`` given, the caller owns its life (tests); otherwise the lifespan
    does. Without ``keyring``, the keys are the key file's, followed as it changes."""
    settings = settings or get_settings()
    rules = rules or get_rules()
    keys = keyring or KeyRing.watching(settings.api_keys_path)
    limiter = rate_limiter or RateLimiter()
    ref = StoreRef(store)
    audit = AuditTrail.at(settings.data_dir / "audit.log")

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        if store is not None:
            _freeze_startup_objects()
            yield
            return
        opened = open_store(settings)
        waiting: asyncio.Task[None] | None = None
        try:
            if opened.backend == "neo4j":
                waiting = await _start_or_wait(opened, ref)
            else:
                await opened.start()
                await check_version(opened)
                await opened.setup_schema()
            ref.store = opened
            _freeze_startup_objects()
            yield
        finally:
            if waiting is not None:
                waiting.cancel()
            await opened.close()

    async def healthz(request: Request) -> JSONResponse:
        health = await ref.store.health()
        ok = health.ok and ref.ready and ref.refused is None
        detail = ref.refused or (health.detail if not health.ok or ok else "store reached; setting up its schema")
        body = {
            "status": "ok" if ok else "unavailable",
            "backend": health.backend,
            "server": health.server,
            "detail": detail,
        }
        return JSONResponse(body, status_code=200 if ok else 503)

    production = settings.env == "production"
    graphql = GraphQLApp(
        ref,
        rules,
        production,
        settings.graphql_caches,
        settings.view_cache_size,
        limiter,
        TrustedDocuments.load(settings.trusted_documents_only, settings.trusted_documents_file),
        graphql_ide=None if production else "graphiql",
    )

    async def graphql_asgi(scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive)
        if not production and _asks_for_ide(request):
            await (await graphql.render_graphql_ide(request))(scope, receive, send)
            return
        try:
            key = keys.authenticate(_bearer(request))
            limiter.admit(key)
        except Unauthenticated as exc:
            await _refusal(exc, 401, {"WWW-Authenticate": "Bearer"})(scope, receive, send)
            return
        except RateLimited as exc:
            await _refusal(exc, 429, {"Retry-After": str(exc.retry_after)})(scope, receive, send)
            return
        caller = key.caller()
        if ref.refused is not None:
            error = {"message": ref.refused, "extensions": {"code": SchemaVersionError.code}}
            await JSONResponse({"data": None, "errors": [error]}, status_code=503)(scope, receive, send)
            return
        scope.setdefault("state", {}).update(caller=caller, api_key=key)
        try:
            await graphql(scope, receive, send)
        except RateLimited as exc:
            await _refusal(exc, 429, {"Retry-After": str(exc.retry_after)})(scope, receive, send)
        finally:
            caller.write_audit(audit)

    steward_page = StaticFiles(directory=STEWARD_PAGE, html=True)
    return Starlette(
        routes=[
            Route("/healthz", healthz),
            Route("/graphql", _Asgi(RequestLimits(graphql_asgi)), methods=["GET", "POST"]),
            Mount("/steward", steward_page, name="steward"),
            *([] if production else [Mount("/graphiql", StaticFiles(directory=GRAPHIQL_ASSETS), name="graphiql")]),
        ],
        lifespan=lifespan,
    )
