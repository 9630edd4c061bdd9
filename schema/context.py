"""Per-request context: the store, and (later) the caller's role and DataLoaders."""

from __future__ import annotations

from dataclasses import dataclass

from strawberry.types import Info as _Info

from app.store.base import Store


@dataclass(slots=True)
class Context:
    store: Store


Info = _Info[Context, None]
