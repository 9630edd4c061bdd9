"""Our exception types: writers raise these, the CLI and API turn them into exit codes and errors."""

from __future__ import annotations


class C360Error(Exception):
    """Base of every error the product raises on purpose."""

    code = "C360_ERROR"


class ConfigError(C360Error):
    code = "CONFIG_ERROR"


class StoreError(C360Error):
    """Any failure reported by a graph backend, tagged with the named query that failed."""

    code = "STORE_ERROR"

    def __init__(self, message: str, *, query: str | None = None, backend: str | None = None) -> None:
        self.query = query
        self.backend = backend
        self.backend_message = message
        where = f" in query '{query}'" if query else ""
        who = f"{backend} store" if backend else "store"
        super().__init__(f"{who} error{where}: {message}")


class StoreUnavailable(StoreError):
    code = "STORE_UNAVAILABLE"


class StoreStartError(StoreError):
    code = "STORE_START_FAILED"


class ConflictError(C360Error):
    code = "CONFLICT"


class NotFoundError(C360Error):
    code = "NOT_FOUND"
