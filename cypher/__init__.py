"""The Cypher files of c360, shipped as package data and loaded by name (see app.store.queries)."""
