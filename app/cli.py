"""The ``c360`` command. Commands call services and turn our errors into exit codes."""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import typer
from rich.console import Console
from rich.table import Table

from app import allocator, clock
from app.errors import C360Error
from app.logs import configure
from app.settings import Settings, get_settings
from app.store import Store, open_store
from app.store.falkordb_server import STOP_SECONDS
from app.store.migrations import CURRENT_VERSION, check_version, migrate, schema_version
from app.vocabulary import RECORD_KINDS

if TYPE_CHECKING:
    from app.services.tier_history import Recorded

log = logging.getLogger("c360")
cli = typer.Typer(no_args_is_help=True, add_completion=False, help="c360: customer 360 for telecom operators.")
store_cli = typer.Typer(no_args_is_help=True, help="The graph store.")
cli.add_typer(store_cli, name="store")

T = TypeVar("T")
EXIT_ERROR = 1


def run_async(fn: Callable[..., Coroutine[Any, Any, T]]) -> Callable[..., T]:
    """Run an async command body, printing our errors as one line and exiting non-zero."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> T:
        try:
            return asyncio.run(fn(*args, **kwargs))
        except C360Error as exc:
            typer.secho(f"error: {exc}", err=True, fg=typer.colors.RED)
            raise typer.Exit(EXIT_ERROR) from None

    return wrapper


async def opened_store(check: bool = True, kept: bool = True) -> Store:
    """The store, started; with ``check``, refused (and closed) unless the graph is at this
    release's schema version (`c360 store migrate` brings an older one to it). ``kept``: an embedded
    server this command starts stays up for the next one (C360_STORE_KEEP_SECONDS)."""
    store = open_store(kept=kept)
    await store.start()
    if check:
        try:
            await check_version(store)
        except BaseException:
            await store.close()
            raise
    return store


@cli.callback()
def main_options(log_level: str = typer.Option(None, help="Log level (default from C360_LOG_LEVEL).")) -> None:
    allocator.tune()
    settings = get_settings()
    configure(log_level or settings.log_level)
    if settings.clock_start is not None:
        clock.start_at(settings.clock_start)


@store_cli.command("stop")
@run_async
async def store_stop(
    timeout: float = typer.Option(STOP_SECONDS, "--timeout", help="Seconds to wait for it to stop."),
) -> None:
    """Stop the embedded store a CLI command left running (its keeper lets a rewrite of the append-only
    file a load started finish, then flushes the file). A store served by `c360 serve` or `c360 run`
    stops with them instead."""
    from app.store.store_keeper import stop_kept_store

    settings = get_settings()
    if settings.backend != "embedded":
        typer.echo(f"nothing to stop: the store is {settings.backend}, not embedded")
        return
    typer.echo(await asyncio.to_thread(stop_kept_store, settings.data_dir, timeout))


@store_cli.command("health")
@run_async
async def store_health() -> None:
    """Start or attach to the store and report whether it answers."""
    store = await opened_store(check=False)
    try:
        health = await store.health()
        typer.echo(
            f"backend={health.backend} server={health.server or '?'} ok={health.ok} "
            f"at={health.location} detail={health.detail}"
        )
        if not health.ok:
            raise typer.Exit(EXIT_ERROR)
        version = await schema_version(store)
        typer.echo(
            f"schema_version={version} release_needs={CURRENT_VERSION}"
            + (
                ""
                if version == CURRENT_VERSION
                else " (run `c360 store migrate`)"
                if version < CURRENT_VERSION
                else " (written by a later release)"
            )
        )
    finally:
        await store.close()


@store_cli.command("schema")
@run_async
async def store_schema() -> None:
    """Create the indexes and constraints of the selected backend (safe to repeat)."""
    store = await opened_store(check=False)
    try:
        await store.setup_schema()
        typer.echo(f"schema ready on {store.backend}")
    finally:
        await store.close()


@store_cli.command("stats")
@run_async
async def store_stats() -> None:
    """Node counts per label."""
    store = await opened_store(check=False)
    try:
        from app.services.graph_counts import node_counts

        for label, nodes in await node_counts(store):
            typer.echo(f"{label:<16} {nodes:>10}")
    finally:
        await store.close()


@store_cli.command("reset")
@run_async
async def store_reset(yes: bool = typer.Option(False, "--yes", help="Really delete everything.")) -> None:
    """Delete every node and relationship of the graph (indexes stay)."""
    if not yes:
        typer.secho("refusing to delete the graph without --yes", err=True, fg=typer.colors.RED)
        raise typer.Exit(EXIT_ERROR)
    store = await opened_store(check=False)
    try:
        await store.clear()
        typer.echo("graph cleared")
    finally:
        await store.close()


@store_cli.command("migrate")
@run_async
async def store_migrate(
    dry_run: bool = typer.Option(False, "--dry-run", help="Only list the migrations it would apply."),
) -> None:
    """Bring the graph of an older release to this release's schema version (stop writers first)."""
    store = await opened_store(check=False)
    try:
        todo = await migrate(store, dry_run=True)  # a graph of a later release is refused here
        if dry_run:
            for migration in todo:
                typer.echo(f"would apply {migration}")
            typer.echo(
                f"the graph is at schema version {await schema_version(store)}, this release needs {CURRENT_VERSION}"
            )
            return
        await store.setup_schema()
        applied = await migrate(store, on_applied=lambda m: typer.echo(f"applied {m}"))
        typer.echo(
            f"{'' if applied else 'nothing to migrate: '}the graph is at schema version {await schema_version(store)}"
        )
    finally:
        await store.close()


def _count_rows(path: Path) -> int:
    """The progress bar's total: lines, less a CSV file's header (a quoted field spanning lines
    makes it an over-estimate, never an error)."""
    with path.open("rb") as handle:
        lines = sum(block.count(b"\n") for block in iter(lambda: handle.read(1 << 20), b""))
    return max(lines - 1, 0) if path.suffix.lower() == ".csv" else lines


def _print_summaries(summaries: list[Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(
        "source",
        "kind",
        "read",
        "written",
        "new",
        "changed",
        "unchanged",
        "rejected",
        "fields quarantined",
        "rows/s",
        "rejects file",
    )
    for s in summaries:
        table.add_row(
            s.source,
            s.kind,
            str(s.read),
            str(s.written),
            str(s.created),
            str(s.changed),
            str(s.unchanged),
            str(s.rejected),
            str(s.quarantined),
            f"{s.rows_per_second:,.0f}",
            s.rejects_file or "",
        )
    Console().print(table)
    for s in summaries:
        typer.echo(
            f"{s.source}/{s.kind}: {s.rejected} rows rejected whole, {s.quarantined} fields quarantined "
            f"in {s.quarantined_rows} loaded rows" + (f", listed in {s.rejects_file}" if s.rejects_file else "")
        )
        if s.warned:
            typer.echo(f"{s.source}/{s.kind}: {s.warned} rows loaded with warnings, listed in {s.warnings_file}")


@cli.command()
@run_async
async def ingest(
    files: list[Path] = typer.Argument(..., exists=True, dir_okay=False, help="CSV or JSON Lines files."),
    source: str = typer.Option(..., "--source", help="Source system name, e.g. crm, hall, hotline."),
    kind: str = typer.Option(..., "--kind", help="Record kind: " + ", ".join(RECORD_KINDS)),
    encoding: str = typer.Option("utf-8", "--encoding", help="utf-8 or gb18030 (CSV files)."),
    batch_size: int = typer.Option(5000, "--batch-size", min=1),
    resolve: bool = typer.Option(
        True,
        "--resolve/--no-resolve",
        help="Resolve new and changed customer records as they land (needs one batch run).",
    ),
    max_rejected_share: float | None = typer.Option(
        None,
        "--max-rejected-share",
        min=0.0,
        max=1.0,
        help="Exit non-zero when a file rejects more than this share of its rows whole (default 0.05).",
    ),
) -> None:
    """Validate and load source files; rows that cannot be records go to FILE.rejects.csv, fields
    that fail their rule are quarantined (listed there too) and their rows land without them."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from app.services.service_recompute import RECOMPUTE_KINDS
    from loaders.ingest import MAX_REJECTED_SHARE
    from loaders.load import load_files

    if kind not in RECORD_KINDS:
        raise C360Error(f"--kind {kind!r}: use one of {', '.join(RECORD_KINDS)}")
    store = await opened_store()
    try:
        with Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[rate]} rows/s"),
            TimeElapsedColumn(),
        ) as bar:

            def on_file(path: Path) -> Callable[[int], None]:
                task = bar.add_task(f"{source}/{kind} {path.name}", total=_count_rows(path), rate="-")

                def advance(n: int) -> None:
                    bar.advance(task, n)
                    done = bar.tasks[task]
                    rate = done.completed / done.elapsed if done.elapsed else 0
                    bar.update(task, rate=f"{rate:,.0f}")

                return advance

            def ingested(summaries: list[Any]) -> None:
                bar.stop()
                _print_summaries(summaries)

            summaries = await load_files(
                store,
                source,
                kind,
                files,
                encoding=encoding,
                batch_size=batch_size,
                resolve=resolve,
                incremental_limit=get_settings().incremental_limit,
                max_rejected_share=MAX_REJECTED_SHARE if max_rejected_share is None else max_rejected_share,
                on_file=on_file,
                on_ingested=ingested,
            )
        if kind in RECOMPUTE_KINDS:
            await recompute_service(store, kind, [rid for summary in summaries for rid in summary.changed_ids])
    finally:
        await store.close()


@cli.command("demo-data")
def demo_data(
    customers: int = typer.Option(20_000, "--customers", help="How many real customers to invent."),
    seed: int = typer.Option(360, "--seed", help="Same seed, same files."),
    out: Path = typer.Option(..., "--out", help="Directory to write."),
) -> None:
    """Write a synthetic operator's source files, manifest.json and truth.csv."""
    from rich.progress import Progress

    from demo import generate

    with Progress() as bar:
        task = bar.add_task("demo people", total=customers)
        summary = generate(out, customers, seed, progress=lambda n: bar.advance(task, n))
    table = Table("file", "rows")
    for name, rows in summary.rows.items():
        table.add_row(name, f"{rows:,}")
    Console().print(table)
    typer.echo(f"{summary.people:,} people, {summary.customer_records:,} customer records in {out}")


async def load_directory(store: Store, directory: Path, bulk: bool = True) -> Recorded | None:
    """A manifest's directory with a progress bar per file (loaders.load does the work); the star levels
    a first load in bulk recorded."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from loaders import load
    from loaders.manifest import ManifestEntry

    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn()) as bar:

        def on_file(entry: ManifestEntry) -> Callable[[int], None]:
            task = bar.add_task(f"{entry.source}/{entry.kind}", total=_count_rows(entry.path))
            return lambda n: bar.advance(task, n)

        def ingested(summaries: list[Any]) -> None:
            bar.stop()
            _print_summaries(summaries)

        _, report = await load.load_directory(store, directory, bulk=bulk, on_file=on_file, on_ingested=ingested)
    if store.stats.by_query.get("admin/bulk_load_done"):
        calls = store.stats.by_query.get("bulk", 0)
        typer.echo(
            "first load into an empty graph: files and first resolution written through the store's bulk path "
            f"in {calls} calls"
        )
    return report.levels


async def recompute_service(
    store: Store, kind: str | None = None, record_ids: list[str] | None = None, levels: Recorded | None = None
) -> None:
    """Derived service properties recorded after the data they come from arrived: after one file of
    ``kind``, the star levels of the customers its ``record_ids`` reach; else every one (but the
    ``levels`` a first load in bulk recorded today)."""
    from app.rules import get_rules
    from app.services.service_recompute import recompute, recompute_after_ingest

    if kind is None:
        done = await recompute(store, get_rules(), levels=levels)
    else:
        done = await recompute_after_ingest(store, get_rules(), kind, record_ids or [])
    typer.echo(
        f"as of {clock.render(clock.now_iso())}: star levels of {done.tiers.customers:,} customers "
        f"({done.tiers.changed:,} changed), clocks of {done.cases:,} cases ({done.breached:,} breached), "
        f"care of {done.card_holders:,} card holders"
    )
    if done.rules_changed:
        typer.echo("the rules or the working calendar changed since the last run: every value was computed anew")


@cli.command()
@run_async
async def load(
    directory: Path = typer.Argument(..., help="A directory with manifest.json (e.g. from demo-data)."),
    no_bulk: bool = typer.Option(
        False, "--no-bulk", help="Write a first load by Cypher statements, as every later load is."
    ),
) -> None:
    """Ingest a whole directory of source files in manifest order, resolve customers, recompute the derived
    service properties. A first load into an empty graph (either store) goes through the store's bulk path,
    adding employees and customers ahead where no reference forbids it, with the same outcome."""
    store = await opened_store()
    try:
        async with store.compaction_deferred():
            levels = await load_directory(store, directory, bulk=not no_bulk)
            await recompute_service(store, levels=levels)
    finally:
        await store.close()


async def demo_traffic_week(store: Store, directory: Path) -> None:
    """The demo's week of channel traffic (demo/traffic.py) before its reference morning."""
    from app.rules import get_rules
    from demo.traffic import channel_week

    counts = await channel_week(store, get_rules(), directory)
    typer.echo("channel traffic of the demo's week: " + ", ".join(f"{name} {n:,}" for name, n in counts.items()))


@cli.command("demo-traffic")
@run_async
async def demo_traffic(
    directory: Path = typer.Argument(..., help="The demo directory `c360 load` loaded (its reference.json)."),
) -> None:
    """Run the demo's week of channel traffic on a loaded demo, through the services the API calls:
    opportunities captured, routed, claimed, returned, re-dispatched, won and lost, with call-backs;
    consents, planned and refused marketing touches, violations, service calls; walk-ins confirmed or
    denied at a hall desk. `make run` does it after loading the demo; run it once per load."""
    store = await opened_store()
    try:
        await demo_traffic_week(store, directory)
    finally:
        await store.close()


@cli.command()
@run_async
async def recompute() -> None:
    """Record the derived service properties analysts' Cypher reads: each customer's star level (with a
    history of changes), each case's clocks, each card holder's care done on time. Run it each day (a
    month's turn moves every level's window) and after changing the rules or the working calendar."""
    store = await opened_store()
    try:
        await recompute_service(store)
    finally:
        await store.close()


@cli.command()
@run_async
async def check() -> None:
    """Check the graph's invariants; exit code 1 when any is broken."""
    from app.services.invariants import check_invariants

    store = await opened_store()
    try:
        report = await check_invariants(store)
    finally:
        await store.close()
    for name, rows in report.violations.items():
        typer.echo(f"{'ok  ' if not rows else 'FAIL'} {name}")
        for row in rows:
            typer.echo(f"       {row}")
    for label, (count, examples) in sorted(report.pending.items()):
        typer.echo(f"wait {count} {label} awaiting resolution (run `c360 resolve`), e.g. {', '.join(examples)}")
    if not report.ok:
        raise typer.Exit(EXIT_ERROR)


export_cli = typer.Typer(no_args_is_help=True, help="Exports.")
cli.add_typer(export_cli, name="export")


@cli.command()
@run_async
async def resolve(
    changed: bool = typer.Option(
        False,
        "--changed",
        help="Only the customer records ingested or changed since the last run (up to C360_INCREMENTAL_LIMIT), "
        "placed one by one with its model: as long as the change, not the graph. Without it: every record, "
        "and a new model.",
    ),
    spark: str | None = typer.Option(
        None,
        "--spark",
        metavar="MASTER",
        help="Find and compare the candidate pairs on Spark (pip install 'c360[spark]'; Java 17): 'local[2]' "
        "on this machine or a cluster's master URL. The same customers as in this process.",
    ),
    spark_work_dir: Path | None = typer.Option(
        None,
        "--spark-work-dir",
        help="Where the records go for Spark to read (default: the system's temporary directory); on a "
        "cluster, a directory on a mount every executor reads at the same path.",
    ),
) -> None:
    """Resolve every customer source record into customers (batch), and print the run summary."""
    import orjson

    from app.services.changed_resolution import resolve_since_last_run
    from app.services.resolve import resolve_all

    if changed and spark:
        raise C360Error("--spark is for a batch run: --changed places each record in this process")
    if spark_work_dir is not None and not spark:
        raise C360Error("--spark-work-dir goes with --spark MASTER")
    if spark_work_dir is not None and not spark_work_dir.is_dir():
        raise C360Error(f"--spark-work-dir {spark_work_dir}: no such directory")
    session = None
    store = await opened_store()
    try:
        if changed:
            summary = (await resolve_since_last_run(store)).summary
        elif spark:
            from app.resolution.spark_pairs import SparkPairs, spark_session

            session = spark_session(spark)
            async with store.compaction_deferred():
                summary = (await resolve_all(store, pairs=SparkPairs(session, spark_work_dir))).summary
        else:
            async with store.compaction_deferred():
                summary = (await resolve_all(store)).summary
    finally:
        try:
            await store.close()
        finally:
            if session is not None:
                session.stop()
    typer.echo(orjson.dumps(summary, option=orjson.OPT_INDENT_2).decode())


@export_cli.command("customers")
@run_async
async def export_customers(
    out: Path = typer.Option(..., "--out", help="File to write."),
    format: str = typer.Option("csv", "--format", help="csv or parquet."),
) -> None:
    """Golden customers with segment and tier for BI tools (no personal fields), streamed."""
    from rich.progress import Progress

    from app.services.customer_export import COLUMNS, count_customers, customer_pages

    if format not in ("csv", "parquet"):
        raise C360Error(f"--format {format!r}: use csv or parquet")
    store = await opened_store()
    written = 0
    try:
        total = await count_customers(store)
        with Progress() as bar:
            task = bar.add_task("customers", total=total)
            if format == "csv":
                import csv

                with out.open("w", encoding="utf-8", newline="") as handle:
                    writer = csv.DictWriter(handle, fieldnames=list(COLUMNS))
                    writer.writeheader()
                    async for page in customer_pages(store, progress=lambda n: bar.advance(task, n)):
                        writer.writerows(page)
                        written += len(page)
            else:
                import pyarrow as pa
                import pyarrow.parquet as pq

                parquet: Any = None
                try:
                    async for page in customer_pages(store, progress=lambda n: bar.advance(task, n)):
                        table = pa.Table.from_pylist(page, schema=_customer_schema(pa))
                        parquet = parquet or pq.ParquetWriter(out, table.schema)
                        parquet.write_table(table)
                        written += len(page)
                    if parquet is None:
                        pq.write_table(pa.Table.from_pylist([], schema=_customer_schema(pa)), out)
                finally:
                    if parquet is not None:
                        parquet.close()
    finally:
        await store.close()
    typer.echo(f"wrote {written} customers to {out}")


def _customer_schema(pa: Any) -> Any:
    from app.services.customer_export import COLUMNS

    types = {"average_monthly_spend": pa.float64(), "star_level": pa.int32()}
    return pa.schema([(name, types.get(name, pa.string())) for name in COLUMNS])


@cli.command("cypher")
@run_async
async def cypher_command(
    file: Path = typer.Argument(None, help="A .cypher file of your own."),
    name: str = typer.Option(None, "--name", help="A library query, such as analytics/review_queue_age."),
    param: list[str] = typer.Option([], "--param", help="name=value (value read as JSON when it is JSON)."),
    format: str = typer.Option("table", "--format", help="table, csv or json."),
    out: Path = typer.Option(None, "--out", help="Write here instead of the terminal."),
    limit: int = typer.Option(1000, "--limit", help="Most rows to return."),
    timeout: float = typer.Option(30.0, "--timeout", help="Seconds before the database stops the query."),
) -> None:
    """Run a Cypher query read-only: a query that writes is refused by the database."""
    from app.services.analyst_queries import load_query, parse_param, run_read_only, to_csv, to_json

    if format not in ("table", "csv", "json"):
        raise C360Error(f"--format {format!r}: use table, csv or json")
    query = load_query(file, name)
    params = dict(parse_param(p) for p in param)
    store = await opened_store()
    try:
        result = await run_read_only(store, query, params, limit=limit, timeout_ms=int(timeout * 1000))
    finally:
        await store.close()
    if format == "table" and out is None:
        table = Table(*(result.rows[0].keys() if result.rows else ["(no rows)"]))
        for row in result.rows:
            table.add_row(*("" if v is None else str(v) for v in row.values()))
        Console().print(table)
    else:
        text = to_json(result.rows) if format == "json" else to_csv(result.rows)
        if out is None:
            typer.echo(text, nl=False)
        else:
            out.write_text(text, encoding="utf-8")
    if result.truncated:
        typer.echo(f"(stopped at {limit} rows; raise --limit to see more)", err=True)


@export_cli.command("crosswalk")
@run_async
async def export_crosswalk(out: Path = typer.Option(..., "--out", help="CSV file to write.")) -> None:
    """source, source_id, customer_id for every customer source record."""
    import csv

    from app.services.crosswalk import COLUMNS, crosswalk_rows

    store = await opened_store()
    rows = 0
    try:
        with out.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(COLUMNS)
            async for row in crosswalk_rows(store):
                writer.writerow(row)
                rows += 1
    finally:
        await store.close()
    typer.echo(f"wrote {rows} rows to {out}")


@cli.command()
def serve(host: str = typer.Option(None), port: int = typer.Option(None)) -> None:
    """Serve the GraphQL API (the store is started with the app and stopped on Ctrl-C)."""
    import uvicorn

    from app.api.app import create_app

    settings = get_settings()
    log.info("backend=%s data_dir=%s", settings.backend, settings.data_dir.resolve())
    try:
        uvicorn.run(
            create_app(settings=settings),
            host=host or settings.host,
            port=port or settings.port,
            log_level=settings.log_level.lower(),
            lifespan="on",
        )
    except C360Error as exc:
        typer.secho(f"error: {exc}", err=True, fg=typer.colors.RED)
        raise typer.Exit(EXIT_ERROR) from None


def _quiet_server_class() -> type:
    import uvicorn

    class QuietServer(uvicorn.Server):
        """Ctrl-C is the normal way to stop `make run`: shut down, stop the store, exit 0
        (uvicorn would re-raise the signal after its own shutdown)."""

        def handle_exit(self, sig: int, frame: Any) -> None:
            super().handle_exit(sig, frame)
            self._captured_signals.clear()

    return QuietServer


async def load_demo_if_empty(store: Store, settings: Settings) -> None:
    from demo.examples import examples, shown
    from demo.operator import reference_clock
    from loaders.load import demo_if_empty

    directory = await demo_if_empty(store, settings.data_dir / "demo", settings.demo_customers, settings.demo_seed)
    demo = settings.data_dir / "demo"
    start = reference_clock(demo)
    if settings.clock_start is None and start is not None:
        # The demo's dates are relative to its reference day: its levels and due work hold on that day.
        clock.start_at(start)
        log.info(
            "clock: the demo's reference day, %s (set C360_CLOCK_START to choose another)",
            clock.render(clock.now_iso()),
        )
    if directory is not None:
        levels = await load_directory(store, directory)
        await recompute_service(store, levels=levels)
        await demo_traffic_week(store, demo)
    found = examples(demo) if (demo / "manifest.json").is_file() else None
    if found is not None:
        # What docs/api.md's examples ask for, from this demo.
        log.info("demo data: %s", shown(found))


@cli.command()
@run_async
async def run(host: str = typer.Option(None), port: int = typer.Option(None)) -> None:
    """What `make run` does: start the store, set up the schema, load the demo data, serve the API."""
    import uvicorn

    from app.api.app import create_app
    from app.api_keys import ensure_local_key

    _QuietServer = _quiet_server_class()
    settings = get_settings()
    store = await opened_store(kept=False)
    try:
        await store.setup_schema()
        await load_demo_if_empty(store, settings)
        if settings.env != "production":
            key_file = settings.data_dir / "local-admin.key"
            key = ensure_local_key(settings.api_keys_path, key_file)
            if key:
                log.info(
                    "API key (role admin) for GraphiQL: send header Authorization: Bearer %s  (kept in %s)",
                    key,
                    key_file,
                )
        config = uvicorn.Config(
            create_app(store=store, settings=settings),
            host=host or settings.host,
            port=port or settings.port,
            log_level=settings.log_level.lower(),
            lifespan="on",
        )
        log.info(
            "serving http://%s:%s/graphql (backend=%s, data in %s); Ctrl-C stops API and store",
            config.host,
            config.port,
            settings.backend,
            settings.data_dir.resolve(),
        )
        await _QuietServer(config).serve()
    finally:
        await store.close()


keys_cli = typer.Typer(help="API keys: only their SHA-256 hashes are stored.", no_args_is_help=True)
cli.add_typer(keys_cli, name="keys")


@keys_cli.command("add")
def keys_add(
    name: str = typer.Argument(..., help="Who holds the key (an app or a person)."),
    role: str = typer.Option(..., "--role", help="A role of app/config/access.toml."),
    employee: str = typer.Option(
        None, "--employee", help="The employee id the key acts for (required for account_manager)."
    ),
    expires: str = typer.Option(None, "--expires", help="YYYY-MM-DD (works through that day) or an ISO-8601 instant."),
    no_rate_limit: bool = typer.Option(
        False, "--no-rate-limit", help="Exempt from rate limits (benchmark and load-test keys only)."
    ),
) -> None:
    """Create a key; it is printed once and never stored in clear. The running API accepts it at once."""
    from app.api_keys import add_key

    settings = get_settings()
    try:
        key = add_key(settings.api_keys_path, name, role, employee, expires, exempt_from_rate_limits=no_rate_limit)
    except C360Error as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    typer.echo(key)


@keys_cli.command("list")
def keys_list() -> None:
    """The keys the API accepts: names, roles, employees, expiry, creation (never keys or hashes)."""
    from app.api_keys import list_keys

    try:
        keys = list_keys(get_settings().api_keys_path)
    except C360Error as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    table = Table("name", "role", "employee", "expires", "created", "rate limits")
    for key in sorted(keys, key=lambda k: k.name):
        expiry = clock.render(key.expires) or "never"
        table.add_row(
            key.name,
            key.role,
            key.employee or "",
            f"{expiry} (expired)" if key.expired() else expiry,
            clock.render(key.created) or "",
            "exempt" if key.exempt_from_rate_limits else "apply",
        )
    Console(width=200).print(table)


@keys_cli.command("revoke")
def keys_revoke(name: str = typer.Argument(..., help="The key's name, as `c360 keys list` shows it.")) -> None:
    """Remove a key; the running API refuses it from its next request."""
    from app.api_keys import revoke_key

    try:
        revoke_key(get_settings().api_keys_path, name)
    except C360Error as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    typer.echo(f"revoked {name}")


def main() -> None:
    cli()


if __name__ == "__main__":
    main()
