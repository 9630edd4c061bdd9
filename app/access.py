"""Roles, API keys, masking and the audit of personal-data reads.

Which role sees which personal field in full, masked, or not at all is data
(app/config/access.toml); keys are kept only as SHA-256 hashes in a file outside the
repository, so that no key is ever in code or in git.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, ValidationError

from app import clock
from app.customer import PERSONAL_FIELDS
from app.errors import C360Error, ConfigError

Visibility = Literal["full", "masked", "denied"]
audit_log = logging.getLogger("c360.audit")
# Audit lines go to the audit file only: they name customers and the fields read, which the
# console log must not repeat (and rendering each one there cost a full view's time).
audit_log.propagate = False


class Forbidden(C360Error):
    code = "FORBIDDEN"


class Unauthenticated(C360Error):
    code = "UNAUTHENTICATED"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Masks(_Strict):
    certificate_keep_start: int
    certificate_keep_end: int
    phone_keep_start: int
    phone_keep_end: int


class Role(_Strict):
    kind: Literal["channel", "steward", "analyst", "admin"]
    channel: str | None = None
    personal: dict[str, Visibility]
    capabilities: list[str]
    # Departments whose merge decisions this role makes (organisations across local networks).
    departments: list[str] = []


class AccessPolicy(_Strict):
    masks: Masks
    roles: dict[str, Role]


@lru_cache(maxsize=1)
def access_policy() -> AccessPolicy:
    text = resources.files("app").joinpath("config/access.toml").read_text(encoding="utf-8")
    try:
        policy = AccessPolicy.model_validate(tomllib.loads(text))
    except ValidationError as exc:
        raise ConfigError(f"app/config/access.toml: {exc}") from exc
    for name, role in policy.roles.items():
        missing = set(PERSONAL_FIELDS) - set(role.personal)
        if missing:
            raise ConfigError(f"app/config/access.toml: role {name} does not say how to show {sorted(missing)}")
    return policy


def _mask(value: str, keep_start: int, keep_end: int) -> str:
    if len(value) <= keep_start + keep_end:
        return "*" * len(value)
    # value[len - keep_end:], not value[-keep_end:], which is the whole value when keep_end is 0.
    return value[:keep_start] + "*" * (len(value) - keep_start - keep_end) + value[len(value) - keep_end :]


def mask_certificate(value: str, masks: Masks | None = None) -> str:
    masks = masks or access_policy().masks
    return _mask(value, masks.certificate_keep_start, masks.certificate_keep_end)


def mask_phone(value: str, masks: Masks | None = None) -> str:
    masks = masks or access_policy().masks
    return _mask(value, masks.phone_keep_start, masks.phone_keep_end)


def mask_text(value: str) -> str:
    """E-mail, address, birth date: keep just enough to confirm with the customer."""
    if "@" in value:
        local, _, domain = value.partition("@")
        return _mask(local, 1, 0) + "@" + domain
    return _mask(value, min(3, len(value) // 3), 0)


MASKERS: dict[str, Callable[[str], str]] = {
    "certificate": mask_certificate,
    "phone": mask_phone,
    "email": mask_text,
    "address": mask_text,
    "birth_date": lambda v: v[:4] + "-**-**" if len(v) >= 4 else "****",
}


@dataclass(slots=True)
class Caller:
    """The authenticated caller of one request, and the personal fields it was shown in full."""

    name: str
    role_name: str
    role: Role
    revealed: dict[str, set[str]] = field(default_factory=dict)

    def can(self, capability: str) -> bool:
        return capability in self.role.capabilities

    def require(self, capability: str) -> None:
        if not self.can(capability):
            raise Forbidden(f"role {self.role_name} may not {capability.replace('_', ' ')}")

    def show(self, personal_field: str, value: str | None, customer_id: str) -> str | None:
        if value is None or value == "":
            return value
        visibility = self.role.personal[personal_field]
        if visibility == "denied":
            raise Forbidden(f"role {self.role_name} may not read {personal_field}")
        if visibility == "masked":
            return MASKERS.get(personal_field, mask_text)(value)
        self.revealed.setdefault(customer_id, set()).add(personal_field)
        return value

    def write_audit(self) -> None:
        """One audit line per customer whose personal data this request showed in full."""
        at = clock.now_iso()
        for customer_id, fields in sorted(self.revealed.items()):
            audit_log.info(
                "read caller=%s role=%s customer=%s fields=%s at=%s",
                self.name,
                self.role_name,
                customer_id,
                ",".join(sorted(fields)),
                at,
            )
        self.revealed.clear()


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


class KeyRing:
    """API key hashes -> (caller name, role), loaded from the keys file."""

    def __init__(self, entries: dict[str, tuple[str, str]]) -> None:
        self._entries = entries

    @classmethod
    def load(cls, path: Path) -> KeyRing:
        if not path.exists():
            return cls({})
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise ConfigError(f"API keys file {path}: {exc}") from exc
        roles = access_policy().roles
        entries = {}
        for name, entry in data.get("keys", {}).items():
            if entry.get("role") not in roles:
                raise ConfigError(f"API keys file {path}: key {name} has unknown role {entry.get('role')!r}")
            entries[entry["sha256"]] = (name, entry["role"])
        return cls(entries)

    def authenticate(self, key: str | None) -> Caller:
        if not key:
            raise Unauthenticated("an API key is required: send it as 'Authorization: Bearer <key>'")
        found = self._entries.get(hash_key(key))
        if found is None:
            raise Unauthenticated("unknown API key")
        name, role = found
        return Caller(name, role, access_policy().roles[role])


def add_key(path: Path, name: str, role: str) -> str:
    """Create a key for ``role``, store only its hash, and return the key (shown once)."""
    if role not in access_policy().roles:
        raise ConfigError(f"unknown role {role!r}; roles: {', '.join(access_policy().roles)}")
    key = "c360_" + secrets.token_urlsafe(24)
    path.parent.mkdir(parents=True, exist_ok=True)
    existing = path.read_text(encoding="utf-8") if path.exists() else ""
    if f'[keys."{name}"]' in existing:
        raise ConfigError(f"API keys file {path}: a key named {name} exists already")
    with path.open("a", encoding="utf-8") as handle:
        handle.write(f'\n[keys."{name}"]\nrole = "{role}"\nsha256 = "{hash_key(key)}"\n')
    path.chmod(0o600)
    return key


def ensure_local_key(keys_path: Path, key_file: Path, role: str = "admin") -> str | None:
    """For `c360 run` on a developer machine: one admin key, kept readable by its owner only, so
    GraphiQL works at once. Returns the key when this call created it."""
    if key_file.exists():
        return key_file.read_text(encoding="utf-8").strip()
    if keys_path.exists() and "local-admin" in keys_path.read_text(encoding="utf-8"):
        return None
    key = add_key(keys_path, "local-admin", role)
    key_file.parent.mkdir(parents=True, exist_ok=True)
    key_file.write_text(key + "\n", encoding="utf-8")
    key_file.chmod(0o600)
    return key
