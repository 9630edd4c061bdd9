"""Our exception types: writers raise these, the CLI and API turn them into exit codes and errors."""

from __future__ import annotations

# The HTTP status of an answer refused whole by an error, by the error's code (GraphQL-over-HTTP);
# filled from each error class below and any subclass elsewhere (app/access.py).
STATUS_OF_CODE: dict[str, int] = {}


class C360Error(Exception):
    """Base of every error the product raises on purpose. ``status`` is the HTTP status of an answer
    this error refuses whole; an error beside data (a forbidden field) is answered with 200."""

    code = "C360_ERROR"
    status = 200

    def __init_subclass__(cls, **kwargs: object) -> None:
        super().__init_subclass__(**kwargs)
        STATUS_OF_CODE[cls.code] = max(cls.status, STATUS_OF_CODE.get(cls.code, 200))


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


class NotBulkable(StoreError):
    """Data a store's bulk path cannot carry (GRAPH.BULK ends a string at a NUL character) or a
    graph it cannot fill; the load that met it is done the ordinary way instead."""

    code = "NOT_BULKABLE"


class InterruptedLoad(StoreError):
    """A bulk first load began on this graph and never ended: what it left is part of its files, which
    a load on top would take for the whole."""

    code = "INTERRUPTED_LOAD"


class StoreUnavailable(StoreError):
    code = "STORE_UNAVAILABLE"
    status = 503


class StoreStartError(StoreError):
    code = "STORE_START_FAILED"


class HelperProcessEnded(C360Error):
    """A process a run hands work to (normalising, deriving customers) ended without answering
    (killed, or out of memory) or could not be forked. A first load leaves the graph empty; a batch run
    by statements keeps the customers it wrote before and records no run: run it again."""

    code = "HELPER_PROCESS_ENDED"


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
    status = 400

    def __init__(self, message: str, problems: list[tuple[str, str]] | None = None) -> None:
        self.problems = problems or []
        super().__init__(message)


# Refusals of a request before any of it runs (issue 18): the API answers them with their status.


class BadRequest(C360Error):
    """A body that is no GraphQL request: not JSON, not UTF-8, nested too deep, not an object."""

    code = "BAD_REQUEST"
    status = 400


class PayloadTooLarge(C360Error):
    """A body or its variables over their size limit (docs/api.md, limits)."""

    code = "PAYLOAD_TOO_LARGE"
    status = 413


class QueryUnparsable(C360Error):
    """A query text that is not GraphQL (graphql-core's syntax errors, the token limit)."""

    code = "GRAPHQL_PARSE_FAILED"
    status = 400


class QueryInvalid(C360Error):
    """A query the schema refuses: unknown fields, wrong argument types, depth, aliases."""

    code = "GRAPHQL_VALIDATION_FAILED"
    status = 400


class QueryTooComplex(C360Error):
    """Fragments spread into more selections than the limit: refused before validation, whose work
    grows with the spread-out size (a 1 KB query of fragments spreading the next twice is 2^30)."""

    code = "QUERY_TOO_COMPLEX"
    status = 400


class QueryTooCostly(C360Error):
    """Fields times the page sizes above them, over the cost limit."""

    code = "QUERY_TOO_COSTLY"
    status = 400


# Trusted documents (persisted operations; app/api/trusted_documents.py, docs/operations.md).


class PersistedQueryNotFound(C360Error):
    """A request naming its document by hash alone (Apollo's ``extensions.persistedQuery.sha256Hash``,
    GraphQL-over-HTTP's ``documentId``) whose hash is in no trusted documents list."""

    code = "PERSISTED_QUERY_NOT_FOUND"
    status = 404


class PersistedQueryMismatch(C360Error):
    """A request whose document's text and hash disagree (or whose two hashes do)."""

    code = "PERSISTED_QUERY_HASH_MISMATCH"
    status = 400


class TrustedDocumentRequired(C360Error):
    """With C360_TRUSTED_DOCUMENTS_ONLY on, a document that is not in the trusted documents list:
    refused before it is parsed."""

    code = "TRUSTED_DOCUMENT_REQUIRED"
    status = 403


class RequestTimeout(C360Error):
    """A request that ran past the per-request time limit: its work was cancelled."""

    code = "REQUEST_TIMEOUT"
    status = 504


class InternalError(C360Error):
    """Not raised: the code of an unexpected failure, reported with an error id that is in the log.
    In a GraphQL answer it is a field's error (200, GraphQL-over-HTTP); a request that failed outside
    GraphQL is answered 500 (app/api/request_limits.py)."""

    code = "INTERNAL_SERVER_ERROR"


class RateLimited(C360Error):
    """More requests, or more lookups that found nothing, than the caller's role allows in a window
    (app/config/access.toml [rate_limits]); ``retry_after`` is whole seconds until one fits again."""

    code = "RATE_LIMITED"
    status = 429

    def __init__(self, message: str, retry_after: int) -> None:
        self.retry_after = retry_after
        super().__init__(message)
