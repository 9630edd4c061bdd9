"""API keys: who holds them, their role, the employee they are bound to, when they expire.

Keys are kept only as SHA-256 hashes in a file outside the repository (C360_API_KEYS_FILE), so no key
is ever in code or in git. `c360 keys add|list|revoke` change the file and the running API follows
it at its next request (a stat per request: a key added or revoked needs no restart). One bad entry
is skipped with a log line naming it and why; it never stops the API or hides the other keys.
"""

from __future__ import annotations

import fcntl
import hashlib
import logging
import os
import re
import secrets
import tempfile
import threading
import tomllib
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import tomli_w

from app import clock
from app.access import Caller, Unauthenticated, access_policy
from app.errors import ConfigError

log = logging.getLogger(__name__)

# Roles whose keys act for one employee: their rights depend on whose customers they serve.
EMPLOYEE_BOUND_ROLES = frozenset({"account_manager", "steward"})
# Roles whose keys may not exist without that employee (the scope of personal data rests on it).
EMPLOYEE_REQUIRED_ROLES = frozenset({"account_manager"})
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_NAME = re.compile(r"^[\w.@-]{1,100}$")


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class ApiKey:
    """One entry of the key file (never the key itself)."""

    name: str
    role: str
    sha256: str
    employee: str | None = None
    # Stored instant (app/clock.py) from which the key is refused; None: never.
    expires: str | None = None
    created: str | None = None
    # Benchmark and load-test keys: no rate limit applies to them (`keys add --no-rate-limit`).
    exempt_from_rate_limits: bool = False

    def caller(self) -> Caller:
        return Caller(self.name, self.role, access_policy().roles[self.role], employee=self.employee)

    def expired(self) -> bool:
        return self.expires is not None and clock.now_iso() >= self.expires


def expiry_of(text: str) -> str:
    """`--expires`: a day (the key works through that day, in the operator's zone) or an ISO instant."""
    text = text.strip()
    try:
        day = date.fromisoformat(text) if len(text) == 10 else None
    except ValueError:
        day = None
    if day is not None:
        return clock.instant(datetime.combine(day + timedelta(days=1), time(), tzinfo=clock.operator_zone()))
    try:
        return clock.instant_of(text)
    except ValueError:
        raise ConfigError(f"expiry {text!r} is neither a day (YYYY-MM-DD) nor an ISO-8601 instant") from None


def _entry(name: str, raw: Any) -> ApiKey:
    """The key-file entry ``name``; ConfigError saying what is wrong with it."""
    if not isinstance(raw, dict):
        raise ConfigError("not a table")
    roles = access_policy().roles
    role = raw.get("role")
    if role not in roles:
        raise ConfigError(f"unknown role {role!r}")
    sha256 = raw.get("sha256")
    if not isinstance(sha256, str) or not _SHA256.match(sha256):
        raise ConfigError("missing or malformed sha256")
    employee = raw.get("employee")
    if employee is not None and (not isinstance(employee, str) or not employee.strip()):
        raise ConfigError(f"employee {employee!r} is not an employee id")
    if employee is None and role in EMPLOYEE_REQUIRED_ROLES:
        raise ConfigError(f"role {role} needs an employee")
    expires = raw.get("expires")
    if expires is not None:
        expires = expiry_of(expires.isoformat() if isinstance(expires, date) else str(expires))
    exempt = raw.get("exempt_from_rate_limits", False)
    if not isinstance(exempt, bool):
        raise ConfigError(f"exempt_from_rate_limits {exempt!r} is not true or false")
    created = raw.get("created")
    return ApiKey(name, role, sha256, employee, expires, str(created) if created else None, exempt)


def parse_entries(data: dict[str, Any], source: Path | str) -> list[ApiKey]:
    """Every good entry of a key file's contents; each bad one is logged once and left out."""
    keys = []
    entries = data.get("keys", {})
    if not isinstance(entries, dict):
        log.error("API keys file %s: [keys] is not a table; no key is valid", source)
        return []
    for name, raw in entries.items():
        try:
            keys.append(_entry(name, raw))
        except ConfigError as exc:
            log.error("API keys file %s: key %r skipped: %s", source, name, exc)
    return keys


class KeyRing:
    """The keys an API process accepts. Built from a file it follows (``KeyRing.watching``) or from
    keys given in code (tests, benchmarks)."""

    def __init__(self, keys: Iterable[ApiKey] = (), path: Path | None = None) -> None:
        self._by_hash = {key.sha256: key for key in keys}
        self._path = path
        self._seen: tuple[int, int, int] | None = None
        self._lock = threading.Lock()

    @classmethod
    def holding(cls, key: str, name: str, role: str, employee: str | None = None, **flags: Any) -> KeyRing:
        """A ring of one key, in memory."""
        return cls([ApiKey(name, role, hash_key(key), employee, **flags)])

    @classmethod
    def watching(cls, path: Path) -> KeyRing:
        """The keys of ``path``, re-read whenever the file changes (or appears, or goes)."""
        ring = cls(path=path)
        ring.refresh()
        return ring

    def refresh(self) -> None:
        """Re-read the file if it changed since the last read: one stat when it has not."""
        if self._path is None:
            return
        try:
            stat = self._path.stat()
            seen = (stat.st_mtime_ns, stat.st_size, stat.st_ino)
        except FileNotFoundError:
            seen = (0, 0, 0)
        if seen == self._seen:
            return
        with self._lock:
            if seen == self._seen:
                return
            if seen == (0, 0, 0):
                self._by_hash = {}
            else:
                try:
                    data = tomllib.loads(self._path.read_text(encoding="utf-8"))
                except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
                    # Keep the keys read before; the file is read again once it changes again.
                    log.error("API keys file %s unreadable, keeping the keys read before: %s", self._path, exc)
                    self._seen = seen
                    return
                self._by_hash = {key.sha256: key for key in parse_entries(data, self._path)}
                log.info("API keys file %s read: %d keys", self._path, len(self._by_hash))
            self._seen = seen

    def authenticate(self, key: str | None) -> ApiKey:
        if not key:
            raise Unauthenticated("an API key is required: send it as 'Authorization: Bearer <key>'")
        self.refresh()
        found = self._by_hash.get(hash_key(key))
        if found is None:
            raise Unauthenticated("unknown API key")
        if found.expired():
            raise Unauthenticated(f"API key {found.name} expired at {clock.render(found.expires)}")
        return found


# ------------------------------------------------------------------ the key file, as `c360 keys` changes it


@contextmanager
def _changing(path: Path) -> Iterator[dict[str, Any]]:
    """The key file's contents under an exclusive lock, written back whole and atomically (a reader
    sees the old file or the new one, never half of one), readable by its owner only."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.with_name(path.name + ".lock"), "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"API keys file {path}: {exc}; fix it by hand first") from exc
        data.setdefault("keys", {})
        yield data
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
        try:
            with os.fdopen(handle, "wb") as out:
                tomli_w.dump(data, out)
            os.chmod(temporary, 0o600)
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise


def add_key(
    path: Path,
    name: str,
    role: str,
    employee: str | None = None,
    expires: str | None = None,
    exempt_from_rate_limits: bool = False,
) -> str:
    """Create a key, store only its hash, and return the key (shown once). ``expires``: a day or an
    ISO instant (:func:`expiry_of`)."""
    roles = access_policy().roles
    if role not in roles:
        raise ConfigError(f"unknown role {role!r}; roles: {', '.join(roles)}")
    if not _NAME.match(name):
        raise ConfigError(f"key name {name!r}: use letters, digits, '.', '_', '-', '@' (at most 100)")
    if role in EMPLOYEE_REQUIRED_ROLES and not employee:
        raise ConfigError(f"a key of role {role} acts for one employee: give --employee")
    key = "c360_" + secrets.token_urlsafe(24)
    entry: dict[str, Any] = {"role": role, "sha256": hash_key(key), "created": clock.now_iso()}
    if employee:
        entry["employee"] = employee.strip()
    if expires:
        entry["expires"] = expiry_of(expires)
    if exempt_from_rate_limits:
        entry["exempt_from_rate_limits"] = True
    with _changing(path) as data:
        if name in data["keys"]:
            raise ConfigError(f"API keys file {path}: a key named {name} exists already")
        data["keys"][name] = entry
    return key


def revoke_key(path: Path, name: str) -> None:
    with _changing(path) as data:
        if name not in data["keys"]:
            raise ConfigError(f"API keys file {path}: no key named {name}")
        del data["keys"][name]


def list_keys(path: Path) -> list[ApiKey]:
    """The valid keys of the file (bad entries are logged), as the API would accept them."""
    if not path.exists():
        return []
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"API keys file {path}: {exc}") from exc
    return parse_entries(data, path)


def ensure_local_key(keys_path: Path, key_file: Path, role: str = "admin") -> str | None:
    """For `c360 run` on a developer machine: one admin key, kept readable by its owner only, so
    GraphiQL works at once. Returns the key when this call created it."""
    if key_file.exists():
        return key_file.read_text(encoding="utf-8").strip()
    if any(key.name == "local-admin" for key in list_keys(keys_path)):
        return None
    key = add_key(keys_path, "local-admin", role)
    key_file.parent.mkdir(parents=True, exist_ok=True)
    key_file.write_text(key + "\n", encoding="utf-8")
    key_file.chmod(0o600)
    return key
