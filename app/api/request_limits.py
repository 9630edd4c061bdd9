"""Bounded work per HTTP request to /graphql, before and around GraphQL (issue 18).

Before: the body is read up to its size limit (413 past it), and must be one GraphQL request, a
JSON object of UTF-8 text nested no deeper than a request needs, with a string query and object
variables of bounded size (400 otherwise): strawberry's own parse answers a bare 500 to a body of
JSON ``null`` or a string and overflows Python's recursion on deep nesting. Around: the whole request
runs under a time limit that cancels its work (504). After: the answer's HTTP status follows
GraphQL-over-HTTP (an answer refused whole gets its error's status: 400 for a request error, 403 for
an operation refused whole; an error beside data is 200), and strawberry's plain-text refusals
become coded JSON errors like every other.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from typing import Any
from urllib.parse import parse_qs

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app import logs
from app.errors import (
    STATUS_OF_CODE,
    BadRequest,
    C360Error,
    InternalError,
    PayloadTooLarge,
    RequestTimeout,
)

log = logging.getLogger("c360.api")

# A request's body (its query, variables and all) and its variables alone, in bytes: the largest
# query the token limit lets through is about 30 KB; a submitted record is a few hundred bytes.
MAX_BODY_BYTES = 256 * 1024
MAX_VARIABLES_BYTES = 64 * 1024
# JSON nesting of a request body: a request is an object of variables of input objects of lists.
MAX_JSON_DEPTH = 16
# Wall-clock seconds one request may run, body read included; its work is cancelled past it.
REQUEST_SECONDS = 20.0


class Refused(Exception):
    def __init__(self, error: type[C360Error], message: str) -> None:
        self.error = error
        super().__init__(message)


def error_body(code: str, message: str, **extensions: Any) -> bytes:
    return orjson.dumps({"errors": [{"message": message, "extensions": {"code": code, **extensions}}]})


def _depth(value: Any, limit: int) -> int:
    """Nesting depth of parsed JSON, stopping past ``limit`` (no recursion: the value may be deep)."""
    deepest = 0
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        deepest = max(deepest, depth)
        if deepest > limit:
            return deepest
        if isinstance(item, dict):
            stack.extend((child, depth + 1) for child in item.values())
        elif isinstance(item, list):
            stack.extend((child, depth + 1) for child in item)
    return deepest


def check_request(request: Any, variables_size: int) -> None:
    """One GraphQL request, parsed from a body or a query string: refused with why when it is not."""
    if not isinstance(request, dict):
        kind = "a list (batches are not served)" if isinstance(request, list) else type(request).__name__
        raise Refused(BadRequest, f"a GraphQL request is a JSON object, not {kind}")
    if _depth(request, MAX_JSON_DEPTH) > MAX_JSON_DEPTH:
        raise Refused(BadRequest, f"the request nests deeper than {MAX_JSON_DEPTH} levels")
    query = request.get("query")
    extensions = request.get("extensions")
    if extensions is not None and not isinstance(extensions, dict):
        raise Refused(BadRequest, "extensions must be a JSON object (or null)")
    # A trusted document may be named by its hash alone (app/api/trusted_documents.py checks the hash).
    named = request.get("documentId") is not None or (extensions or {}).get("persistedQuery") is not None
    if query is not None and not isinstance(query, str) or not (query and query.strip()) and not named:
        raise Refused(
            BadRequest,
            "the request has no query: give the GraphQL text as a string in 'query' (or a trusted document's "
            "hash: docs/operations.md)",
        )
    variables = request.get("variables")
    if variables is not None and not isinstance(variables, dict):
        raise Refused(BadRequest, "variables must be a JSON object (or null)")
    name = request.get("operationName")
    if name is not None and not isinstance(name, str):
        raise Refused(BadRequest, "operationName must be a string (or null)")
    if variables_size > MAX_VARIABLES_BYTES:
        raise Refused(PayloadTooLarge, f"variables of {variables_size:,} bytes, more than {MAX_VARIABLES_BYTES:,}")


def parse_body(body: bytes) -> None:
    try:
        request = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        reason = "is not UTF-8" if "utf-8" in str(exc).lower() else "is not JSON"
        if "depth" in str(exc).lower() or "recursion" in str(exc).lower():
            reason = f"nests deeper than {MAX_JSON_DEPTH} levels"
        raise Refused(BadRequest, f"the request body {reason}") from None
    variables = request.get("variables") if isinstance(request, dict) else None
    check_request(request, len(orjson.dumps(variables)) if variables else 0)


def parse_query_string(raw: bytes) -> None:
    try:
        params = parse_qs(raw.decode("utf-8", "strict"), keep_blank_values=True, errors="strict")
    except UnicodeDecodeError:
        raise Refused(BadRequest, "the query string is not UTF-8") from None
    request: dict[str, Any] = {key: values[-1] for key, values in params.items()}
    variables = request.get("variables")
    for name in ("variables", "extensions"):
        value = request.get(name)
        if isinstance(value, str) and value:
            try:
                request[name] = orjson.loads(value)
            except orjson.JSONDecodeError:
                raise Refused(BadRequest, f"the {name} parameter is not JSON") from None
    check_request(request, len(variables) if isinstance(variables, str) else 0)


def _header(scope: Scope, name: bytes) -> str:
    for key, value in scope.get("headers", ()):
        if key == name:
            return str(value.decode("latin-1"))
    return ""


def answer_status(status: int, content_type: str, body: bytes) -> tuple[int, bytes, str]:
    """The status (and body) GraphQL-over-HTTP gives this answer of the app's."""
    if status >= 400 and content_type.startswith("text/plain"):
        code = PayloadTooLarge.code if status == 413 else BadRequest.code if status < 500 else InternalError.code
        return status, error_body(code, body.decode("utf-8", "replace")), "application/json"
    if status != 200 or not content_type.startswith("application/") or not body.startswith(b'{"data":null'):
        return status, body, content_type
    try:
        errors = orjson.loads(body).get("errors") or []
    except orjson.JSONDecodeError:
        return status, body, content_type
    statuses = {STATUS_OF_CODE.get(str((e.get("extensions") or {}).get("code")), 200) for e in errors}
    return (statuses.pop() if len(statuses) == 1 else 200), body, content_type


class RequestLimits:
    """ASGI middleware around the /graphql endpoint; nothing else passes through it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def guarded_send(message: Message) -> None:
            nonlocal started
            started = True
            await send(message)

        try:
            async with asyncio.timeout(REQUEST_SECONDS):
                await self._serve(scope, receive, guarded_send)
        except Refused as refused:
            if not started:
                await _send_error(send, refused.error.status, refused.error.code, str(refused))
        except TimeoutError:
            log.info("%s at (request), after %.0f s", RequestTimeout.code, REQUEST_SECONDS)
            if not started:
                message = f"the request ran longer than {REQUEST_SECONDS:g} s and was stopped"
                await _send_error(send, RequestTimeout.status, RequestTimeout.code, message)
        except Exception as exc:
            error_id = uuid.uuid4().hex[:12]
            log.error("unexpected error %s at (request): %s", error_id, logs.stack_only(exc))
            if not started:
                message = f"unexpected error; quote error id {error_id}"
                await _send_error(send, 500, InternalError.code, message, error_id=error_id)

    async def _serve(self, scope: Scope, receive: Receive, send: Send) -> None:
        method = scope.get("method", "GET")
        html = "text/html" in _header(scope, b"accept")
        if method == "GET" and not html:
            raw = scope.get("query_string", b"")
            if len(raw) > MAX_BODY_BYTES:
                raise Refused(PayloadTooLarge, f"a query string of more than {MAX_BODY_BYTES:,} bytes")
            parse_query_string(raw)
        body = b""
        if method == "POST":
            body = await _read_body(scope, receive)
            if "json" in _header(scope, b"content-type").lower():
                parse_body(body)
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if method != "POST" or replayed:
                return await receive()
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, _StatusFixer(send))


async def _read_body(scope: Scope, receive: Receive) -> bytes:
    declared = _header(scope, b"content-length")
    if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        raise Refused(PayloadTooLarge, f"a body of {int(declared):,} bytes, more than {MAX_BODY_BYTES:,}")
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise asyncio.CancelledError
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise Refused(PayloadTooLarge, f"a body of more than {MAX_BODY_BYTES:,} bytes")
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


class _StatusFixer:
    """Holds the app's response start until its body is known, then sends both with the right status.
    strawberry sends a GraphQL answer in one body message; a streamed answer passes as it is."""

    def __init__(self, send: Send) -> None:
        self.send = send
        self.start: Message | None = None

    async def __call__(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.start = message
            return
        if message["type"] != "http.response.body" or self.start is None:
            await self.send(message)
            return
        start, self.start = self.start, None
        if message.get("more_body", False):
            await self.send(start)
            await self.send(message)
            return
        headers = [(k, v) for k, v in start.get("headers", ()) if k not in (b"content-type", b"content-length")]
        content_type = next((v.decode("latin-1") for k, v in start.get("headers", ()) if k == b"content-type"), "")
        status, body, content_type = answer_status(start["status"], content_type, message.get("body", b""))
        headers += [(b"content-type", content_type.encode("latin-1")), (b"content-length", str(len(body)).encode())]
        await self.send({**start, "status": status, "headers": headers})
        await self.send({**message, "body": body})


async def _send_error(send: Send, status: int, code: str, message: str, **extensions: Any) -> None:
    body = error_body(code, message, **extensions)
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})
