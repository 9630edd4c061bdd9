"""Every runtime setting in one place, read from the environment (prefix ``C360_``).

Neo4j keeps the names its own tools use (``NEO4J_URI`` and friends) so that an
operator's existing environment selects the production backend unchanged.
"""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="C360_", extra="ignore", populate_by_name=True)

    env: Literal["development", "test", "production"] = "development"
    data_dir: Path = Path("./var")
    graph_name: str = "c360"
    host: str = "127.0.0.1"
    port: int = 8000
    log_level: str = "INFO"
    rules_file: Path | None = None
    api_keys_file: Path | None = None
    # `c360 run` generates and loads this many demo people into an empty graph (0: start empty).
    demo_customers: int = 20_000
    demo_seed: int = 360
    # `c360 ingest` resolves up to this many new or changed customer records one by one; more is a
    # bulk load, better served by a batch `c360 resolve`.
    incremental_limit: int = 10_000
    # strawberry's parser and validation caches; switched off only to measure what they save.
    graphql_caches: bool = True
    # Customer-view answers kept per API process (app/services/kept_answers.py); 0 turns keeping off.
    view_cache_size: int = 10_000
    # Trusted documents (docs/operations.md): on, an operation runs only if its exact text is in the
    # trusted documents list (app/config/trusted_documents.json, and the file below), sent whole or
    # by its hash; any other is refused with TRUSTED_DOCUMENT_REQUIRED (403) before it is parsed.
    # Off by default: development and GraphiQL send any query. Production turns it on once every
    # client's operations are listed. Off or on, a request may send a listed document's hash alone.
    trusted_documents_only: bool = False
    # More trusted documents: the operator's own channel apps' operations, as a JSON file in the format
    # of app/config/trusted_documents.json, of Apollo's persisted query manifest, or of sha256 -> text.
    trusted_documents_file: Path | None = None
    # The operator's time zone (a tz database name or an offset such as +08:00): the API shows times
    # in it, naive times in files are read in it, and days and months (the star level's window) turn
    # at its midnight. Stored times are UTC whatever it says (app/clock.py).
    time_zone: str = "Asia/Shanghai"
    # The moment the clock reads when a process starts, from which it runs on (app/clock.RunningClock):
    # for demos and rehearsals. Unset, the clock is the system's. `c360 run` on demo data sets it to the
    # demo's reference day unless this is set.
    clock_start: datetime | None = None

    # A server that dies is reported at once; this bounds one that hangs, or reads back a big graph
    # (1,000,000 source records take about 40 s to load from the append-only file).
    store_start_timeout: float = 180.0
    # A CLI command that has to start the embedded store leaves it running under a keeper for the
    # next command, stopped after this many seconds without a client (0: stopped with the command).
    # `c360 store stop` stops it at once.
    store_keep_seconds: float = 900.0
    store_pool_size: int = 32
    store_pool_timeout: float = 10.0
    store_socket_timeout: float = 30.0
    query_timeout_ms: int = 30_000
    # Where a process leaves the counts of the queries it ran when it closes its store (unset: nowhere).
    query_counts_dir: Path | None = None

    neo4j_uri: str | None = Field(default=None, validation_alias=AliasChoices("NEO4J_URI"))
    neo4j_user: str = Field(default="neo4j", validation_alias=AliasChoices("NEO4J_USER"))
    neo4j_password: str = Field(default="", validation_alias=AliasChoices("NEO4J_PASSWORD"))
    neo4j_database: str = Field(default="neo4j", validation_alias=AliasChoices("NEO4J_DATABASE"))
    # How long the driver retries a transaction that failed for a passing reason (a cluster's leader
    # switch, a deadlock, a server restarting); past it a request fails with STORE_UNAVAILABLE.
    neo4j_retry_seconds: float = 5.0
    neo4j_connect_timeout: float = 5.0

    @property
    def api_keys_path(self) -> Path:
        return self.api_keys_file or self.data_dir / "api_keys.toml"

    @property
    def backend(self) -> Literal["embedded", "neo4j"]:
        return "neo4j" if self.neo4j_uri else "embedded"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
