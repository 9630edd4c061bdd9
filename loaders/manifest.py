"""Loading a whole directory of source files in the order a manifest gives (the demo data set)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import orjson

from app.store import Store
from app.vocabulary import RECORD_KINDS
from loaders.formats import SourceFileError
from loaders.ingest import IngestSummary, ingest_file


@dataclass(frozen=True, slots=True)
class ManifestEntry:
    source: str
    kind: str
    path: Path
    encoding: str = "utf-8"


def read_manifest(directory: Path) -> list[ManifestEntry]:
    manifest = directory / "manifest.json"
    try:
        entries = orjson.loads(manifest.read_bytes())
    except (OSError, orjson.JSONDecodeError) as exc:
        raise SourceFileError(f"{manifest}: cannot read the manifest: {exc}") from exc
    result = []
    for number, entry in enumerate(entries, start=1):
        if not isinstance(entry, dict) or entry.get("kind") not in RECORD_KINDS or not entry.get("source"):
            raise SourceFileError(
                f"{manifest}: entry {number} needs a source, a kind of {', '.join(RECORD_KINDS)} and a path"
            )
        result.append(
            ManifestEntry(entry["source"], entry["kind"], directory / entry["path"], entry.get("encoding", "utf-8"))
        )
    return result


async def ingest_directory(
    store: Store,
    directory: Path,
    *,
    batch_size: int = 5000,
    on_file: Callable[[ManifestEntry], Callable[[int], None] | None] | None = None,
) -> list[IngestSummary]:
    known: set[str] = set()
    summaries = []
    for entry in read_manifest(directory):
        progress = on_file(entry) if on_file else None
        summaries.append(
            await ingest_file(
                store,
                entry.source,
                entry.kind,
                entry.path,
                encoding=entry.encoding,
                batch_size=batch_size,
                known=known,
                progress=progress,
            )
        )
    return summaries
