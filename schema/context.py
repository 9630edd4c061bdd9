"""Per-request context: the store, the caller (role and masking), and fresh DataLoaders."""

from __future__ import annotations

from dataclasses import dataclass

from strawberry.types import Info as _Info

from app.access import Caller
from app.rules import Rules
from app.services.kept_answers import ViewCache
from app.store.base import Store
from schema.loaders import CustomerLoaders, CustomerVersions


@dataclass(slots=True)
class Context:
    store: Store
    caller: Caller | None
    rules: Rules
    loaders: CustomerLoaders
    # Process-wide, shared by requests: kept view answers and the batched version check.
    views: ViewCache | None = None
    versions: CustomerVersions | None = None


Info = _Info[Context, None]
