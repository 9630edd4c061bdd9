"""Per-request context: the store, the caller (role and masking), and fresh DataLoaders."""

from __future__ import annotations

from dataclasses import dataclass

from strawberry.types import Info as _Info

from app.access import Caller
from app.rules import Rules
from app.services.customer_view import CustomerLoaders
from app.services.view_cache import CustomerVersions, ViewCache
from app.store.base import Store


@dataclass(slots=True)
class Context:
    store: Store
    caller: Caller | None
    rules: Rules
    loaders: CustomerLoaders
    services: "object"
    # Process-wide, shared by requests: kept view answers and the batched version check.
    views: ViewCache | None = None
    versions: CustomerVersions | None = None


Info = _Info[Context, None]
