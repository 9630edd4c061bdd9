"""Logging set-up shared by the CLI and the server, and what may be logged of a request.

Queries carry certificate and phone numbers typed by agents, so no log line holds a query's text or
a request's query string: a query is named by :func:`query_digest`, the same text always the same.
"""

from __future__ import annotations

import hashlib
import logging
import traceback

from rich.console import Console
from rich.logging import RichHandler

# Libraries that would log a request's personal values: strawberry logs every GraphQL error with its
# traceback (the API logs each error itself, schema/limits.py), uvicorn's access log the URL of a GET.
QUIET_LOGGERS = ("strawberry.execution",)
ACCESS_LOGGER = "uvicorn.access"
# The Neo4j driver warns of each transaction it retries (a deadlock between two batches of a recompute,
# a leader switch); the retry is the driver doing its job, and a write that still fails is raised.
NEO4J_SESSION_LOGGER = "neo4j.session"
NEO4J_RETRY = "Transaction failed and will be retried"


def query_digest(text: str | None) -> str:
    """A short stable name of a query text for logs: equal texts, equal names; nothing readable."""
    return hashlib.sha256((text or "").encode("utf-8", "surrogatepass")).hexdigest()[:16]


def stack_only(error: BaseException) -> str:
    """An unexpected error's type and stack, without its message (which may quote the values)."""
    frames = "".join(traceback.format_tb(error.__traceback__))
    return f"{type(error).__module__}.{type(error).__qualname__}\n{frames}".rstrip()


class _PathOnly(logging.Filter):
    """Drops the query string from an access log line's URL (uvicorn passes it as the third argument)."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) >= 3 and isinstance(args[2], str) and "?" in args[2]:
            record.args = (*args[:2], args[2].split("?", 1)[0] + "?…", *args[3:])
        return True


class _RetriedAsInfo(logging.Filter):
    """A retried transaction told at INFO, not as a warning: the store's own error says when one fails."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno != logging.WARNING or not str(record.msg).startswith(NEO4J_RETRY):
            return True
        record.levelno, record.levelname = logging.INFO, "INFO"
        return logging.getLogger(record.name).isEnabledFor(logging.INFO)


def quiet_libraries() -> None:
    """Idempotent: the app calls it when it builds its schema, whether or not :func:`configure` ran."""
    for name in QUIET_LOGGERS:
        logging.getLogger(name).disabled = True
    access = logging.getLogger(ACCESS_LOGGER)
    if not any(isinstance(f, _PathOnly) for f in access.filters):
        access.addFilter(_PathOnly())
    session = logging.getLogger(NEO4J_SESSION_LOGGER)
    if not any(isinstance(f, _RetriedAsInfo) for f in session.filters):
        session.addFilter(_RetriedAsInfo())


def configure(level: str = "INFO") -> None:
    logging.basicConfig(
        level=level.upper(),
        format="%(name)s: %(message)s",
        datefmt="[%X]",
        handlers=[RichHandler(console=Console(stderr=True), show_path=False, rich_tracebacks=False)],
        force=True,
    )
    quiet_libraries()
