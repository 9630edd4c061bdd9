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


class MergeRuleError(C360Error):
    """A merge the operator's hard rules forbid (DOMAIN.md §3): the message names the rule and the two
    values; ``department`` is set when the rule leaves it to that department, whose role may do it."""

    code = "MERGE_RULE"

    def __init__(self, message: str, *, rule: str, values: tuple[str, str], department: str | None = None) -> None:
        self.rule = rule
        self.values = values
        self.department = department
        super().__init__(message)


class SchemaVersionError(C360Error):
    """The graph's schema version is not the one this release needs: older (run `c360 store
    migrate`) or newer (written by a later release: refused). ``found`` and ``needed`` say which."""

    code = "SCHEMA_VERSION_MISMATCH"

    def __init__(self, message: str, *, found: int, needed: int) -> None:
        self.found = found
        self.needed = needed
        super().__init__(message)


class BadInput(C360Error):
    """What a caller sent breaks a rule (a field's format, a page size, a cursor, a merge's ids);
    ``problems`` names each field and why, so one message tells the whole story."""

    code = "BAD_USER_INPUT"

    def __init__(self, message: str, problems: list[tuple[str, str]] | None = None) -> None:
        self.problems = problems or []
        super().__init__(message)
