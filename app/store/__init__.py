"""Graph storage behind one interface; :func:`open_store` picks the backend from settings."""

from __future__ import annotations

from app.settings import Settings, get_settings
from app.store.base import Health, Row, Store
from app.store.queries import CypherQuery, cypher

__all__ = ["Health", "Row", "Store", "CypherQuery", "cypher", "open_store"]


def open_store(settings: Settings | None = None, *, kept: bool = False) -> Store:
    """Build (not yet start) the store the settings ask for: Neo4j when NEO4J_URI is set. ``kept``:
    an embedded server this process has to start stays up for the next command, under a keeper,
    until it has been without a client for C360_STORE_KEEP_SECONDS (CLI commands; a server for the
    API is started and stopped with it)."""
    settings = settings or get_settings()
    store = _build(settings, kept)
    store.counts_dir = settings.query_counts_dir
    return store


def _build(settings: Settings, kept: bool) -> Store:
    if settings.backend == "neo4j":
        from app.store.neo4j_backend import Neo4jStore

        assert settings.neo4j_uri is not None
        return Neo4jStore(
            settings.neo4j_uri,
            settings.neo4j_user,
            settings.neo4j_password,
            settings.neo4j_database,
            pool_size=settings.store_pool_size,
            query_timeout_ms=settings.query_timeout_ms,
            retry_seconds=settings.neo4j_retry_seconds,
            connect_timeout=settings.neo4j_connect_timeout,
        )
    from app.store.embedded import EmbeddedStore

    return EmbeddedStore(
        settings.data_dir,
        graph_name=settings.graph_name,
        pool_size=settings.store_pool_size,
        pool_timeout=settings.store_pool_timeout,
        socket_timeout=settings.store_socket_timeout,
        start_timeout=settings.store_start_timeout,
        query_timeout_ms=settings.query_timeout_ms,
        keep_seconds=settings.store_keep_seconds if kept else 0.0,
    )
