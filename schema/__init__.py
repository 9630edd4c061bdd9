"""The GraphQL schema of c360: thin strawberry types; the logic lives in app services."""

from schema.root import build_schema

__all__ = ["build_schema"]
