"""A load, start to end: ingest files (or a manifest's directory), resolve what changed, compact.

The CLI and a scheduler run loads through here, so both do the same steps in the same order; they
only differ in how they show progress (``on_file`` gives each file's progress callback).
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from app.cyclic_gc import cyclic_gc_paused
from app.errors import BadInput, InterruptedLoad
from app.services.graph_counts import source_record_count
from app.store import Store
from app.vocabulary import RECORD_KINDS
from loaders.first_load import bulk_load_directory
from loaders.ingest import MAX_REJECTED_SHARE, IngestSummary, TooManyRejected, check_header, ingest_file
from loaders.manifest import ManifestEntry, ingest_directory, read_manifest

if TYPE_CHECKING:
    from app.services.resolve import ResolveReport

log = logging.getLogger(__name__)
Progress = Callable[[int], None]


async def load_files(
    store: Store,
    source: str,
    kind: str,
    files: list[Path],
    *,
    encoding: str = "utf-8",
    batch_size: int = 5000,
    resolve: bool = True,
    incremental_limit: int = 10_000,
    max_rejected_share: float = MAX_REJECTED_SHARE,
    on_file: Callable[[Path], Progress | None] | None = None,
    on_ingested: Callable[[list[IngestSummary]], None] | None = None,
) -> list[IngestSummary]:
    """Files of one source and kind; new and changed customer records are resolved one by one when
    they are few and a batch run has been made (else `c360 resolve` is needed, and the log says so).
    ``on_ingested`` hears of the files' summaries before resolution starts, so a failing resolution
    does not hide what was loaded and rejected.

    Every file's header is checked before any is read, so a file without a required column stops
    the load with nothing written. A file that refuses more than ``max_rejected_share`` of its rows
    whole fails the load (TooManyRejected) once what did land is resolved: its good rows stay, and
    the exit code tells the scheduler to look."""
    if kind not in RECORD_KINDS:
        raise BadInput(f"unknown kind {kind!r}; use one of {', '.join(RECORD_KINDS)}")
    for path in files:
        check_header(path, kind, encoding)
    await store.setup_schema()
    await store.refuse_interrupted_bulk_load()
    known: set[str] = set()
    async with store.compaction_deferred():
        summaries = [
            await ingest_file(
                store,
                source,
                kind,
                path,
                encoding=encoding,
                batch_size=batch_size,
                known=known,
                progress=on_file(path) if on_file else None,
            )
            for path in files
        ]
        if on_ingested:
            on_ingested(summaries)
        if resolve and kind == "customers":
            await resolve_changed(store, [rid for s in summaries for rid in s.changed_ids], incremental_limit)
    too_many = [s for s in summaries if s.rejected_share > max_rejected_share]
    if too_many:
        raise TooManyRejected(
            "; ".join(
                f"{s.path}: {s.rejected} of {s.read} rows ({s.rejected_share:.1%}) were rejected whole, more than "
                f"the {max_rejected_share:.1%} allowed; see {s.rejects_file}"
                for s in too_many
            )
        )
    return summaries


async def load_directory(
    store: Store,
    directory: Path,
    *,
    batch_size: int = 5000,
    bulk: bool = True,
    on_file: Callable[[ManifestEntry], Progress | None] | None = None,
    on_ingested: Callable[[list[IngestSummary]], None] | None = None,
) -> tuple[list[IngestSummary], ResolveReport]:
    """Every file a manifest lists, in its order, then a batch resolution of the whole graph. Into an
    empty graph the files and the resolution's customers go through the store's bulk path
    (loaders.first_load) unless ``bulk`` is False; the graph is the same either way. The cyclic collector
    stays paused throughout (app/cyclic_gc.py), not only inside each file and the resolution: between
    them its passes over the records held for the first resolution took 5 s of a 100,000-person load."""
    await store.setup_schema()
    await store.refuse_interrupted_bulk_load()
    entries = read_manifest(directory)
    told: list[bool] = []

    def ingested(summaries: list[IngestSummary]) -> None:
        """Once: a bulk load that falls back to statements after its files has told of them already."""
        if on_ingested and not told:
            told.append(True)
            on_ingested(summaries)

    with cyclic_gc_paused(keep_young=store.leaves_reference_cycles):
        async with store.compaction_deferred():
            return await _load(store, directory, entries, batch_size, bulk, on_file, ingested)


async def _load(
    store: Store,
    directory: Path,
    entries: list[ManifestEntry],
    batch_size: int,
    bulk: bool,
    on_file: Callable[[ManifestEntry], Progress | None] | None,
    ingested: Callable[[list[IngestSummary]], None],
) -> tuple[list[IngestSummary], ResolveReport]:
    loaded = None
    if bulk:
        loaded = await bulk_load_directory(store, entries, batch_size=batch_size, on_file=on_file, on_ingested=ingested)
    if loaded is not None:
        summaries, report = loaded
    else:
        summaries = await ingest_directory(store, directory, batch_size=batch_size, on_file=on_file)
        ingested(summaries)
        from app.services.resolve import resolve_all  # the linker's numpy only for commands that resolve

        report = await resolve_all(store)
    log.info("resolved: %s", {k: v for k, v in report.summary.items() if not isinstance(v, (dict, list))})
    log.info("resolution's steps (seconds): %s", report.summary.get("timings_seconds"))
    return summaries, report


async def resolve_changed(store: Store, record_ids: list[str], limit: int) -> None:
    """Small changes are resolved record by record; a bulk load is left to `c360 resolve`, which is
    faster for many records and re-estimates the model."""
    if not record_ids:
        return
    from app.services.incremental import resolve_records  # the linker's numpy only when it resolves
    from app.services.resolve import latest_model

    if len(record_ids) > limit or await latest_model(store) is None:
        log.info(
            "%s new or changed customer records: run `c360 resolve` to resolve them "
            "(incremental resolution handles up to %s, after a first batch run)",
            len(record_ids),
            limit,
        )
        return
    decisions = await resolve_records(store, record_ids)
    log.info("resolved incrementally: %s", dict(Counter(d.decision for d in decisions)))


async def demo_if_empty(store: Store, directory: Path, people: int, seed: int) -> Path | None:
    """`c360 run` on an empty graph: the demo operator's files written to ``directory`` (returned, to
    be loaded); None when the graph holds source records already or no demo is wanted."""
    if people <= 0:
        return None
    try:
        await store.refuse_interrupted_bulk_load()
    except InterruptedLoad as exc:
        log.warning("%s; the demo is loaded anew", exc)
        await store.clear()
    held = await source_record_count(store)
    if held:
        log.info("graph holds %s source records: not loading demo data", held)
        return None
    from demo import generate

    log.info("empty graph: generating %s demo people (seed %s) in %s and loading them", people, seed, directory)
    generate(directory, people, seed)
    return directory
