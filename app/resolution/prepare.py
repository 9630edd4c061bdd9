"""From a stored customer source record to the normalised MatchRecord the linker compares."""

from __future__ import annotations

import itertools
import multiprocessing
import os
import re
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from app.record_kinds import INVALID_FIELDS, invalid_fields
from app.resolution.normalise import (
    certificate_key,
    normalise_address,
    normalise_birth_date,
    normalise_certificate,
    normalise_email,
    normalise_name,
    normalise_phones,
    parse_resident_id,
)
from app.resolution.records import MatchRecord
from app.vocabulary import ORGANISATION_SEGMENTS


def _text(value: Any) -> str:
    return "" if value is None else str(value)


_DIGITS = re.compile(r"[0-9]+")


def address_numbers(district: str, address_text: str) -> tuple[str, str, str]:
    """The district with the address's numbers (house, building, room, postcode), what a mistyped or
    abbreviated street name leaves intact, then the first and the last of them. Two numbers, or one
    within a district, make the first: a bare postcode or house number would block a whole town."""
    numbers = _DIGITS.findall(address_text)
    key = " ".join((district, *numbers)) if len(numbers) + bool(district) >= 2 else ""
    return key, numbers[0] if numbers else "", numbers[-1] if numbers else ""


def _certificate_set_aside(row: Mapping[str, Any]) -> str:
    """The certificate number a file gave that failed its check (a mistyped check character), as the
    ingest kept it: weak evidence for matching, never for a hard rule (it is not valid). An over-long
    one is left out."""
    stored = row.get(INVALID_FIELDS)
    if not stored or row.get("cert_no"):
        return ""
    entry = invalid_fields(stored).get("cert_no") or {}
    return "" if "length" in entry else _text(entry.get("value"))


def match_record(row: Mapping[str, Any]) -> MatchRecord:
    """Never raises: garbage fields become empty evidence, and notes say what was wrong."""
    network = _text(row.get("local_network"))
    segment = _text(row.get("segment"))
    is_organisation = segment in ORGANISATION_SEGMENTS
    name = normalise_name(_text(row.get("name")))
    cert_no = _text(row.get("cert_no")) or _certificate_set_aside(row)
    cert = normalise_certificate(_text(row.get("cert_type")), cert_no)
    phones = normalise_phones(row.get("phones") or "", network or None)
    email = normalise_email(_text(row.get("email")))
    address = normalise_address(_text(row.get("address")))
    address_text = " ".join(address.tokens)
    numbers, first_number, last_number = address_numbers(address.district or "", address_text)
    birth_date = normalise_birth_date(_text(row.get("birth_date")))
    gender = _text(row.get("gender"))
    notes: list[str] = []
    if cert.kind == "resident_id" and cert.valid:
        resident = parse_resident_id(cert.number)
        if not birth_date and resident.birth_date:
            birth_date = resident.birth_date.isoformat()
        if not gender and resident.gender:
            gender = resident.gender
    if cert.number and not cert.valid:
        notes.append(f"certificate not verifiable: {cert.reason}")
    return MatchRecord(
        id=_text(row.get("id")),
        source=_text(row.get("source")),
        name=name.text,
        name_pinyin=name.pinyin,
        name_core=name.core or name.text,
        name_words=name.words,
        cert_kind=cert.kind,
        cert_no=cert.number,
        cert_key=certificate_key(cert.kind, cert.number),
        cert_valid=bool(cert.valid and cert.kind in ("resident_id", "credit_code", "org_code")),
        phones=tuple(sorted({p.key for p in phones if p.valid})),
        email=email.key if email.valid else "",
        address_key=address.key,
        address_text=address_text,
        district=address.district or "",
        address_numbers=numbers,
        address_first_number=first_number,
        address_last_number=last_number,
        birth_date=birth_date,
        gender=gender,
        local_network=network,
        segment=segment,
        is_organisation=is_organisation,
        updated_at=_text(row.get("updated_at") or row.get("changed_at")),
        notes=tuple(notes),
    )


def name_pinyins(names: Iterable[Any], records: Iterable[MatchRecord]) -> dict[str, str]:
    """Each record's name as given, to the pinyin its normalisation found (GoldenDeriver's name_pinyin)."""
    return {name: record.name_pinyin for name, record in zip(names, records) if type(name) is str}


# Fields whose values repeat across records: each kept once per chunk, so a chunk pickled to the process
# that links carries each value once and the records made from it there share it (about 250 bytes a
# record of the 100,000-person demo's held through the whole load).
_REPEATED = tuple(
    MatchRecord._fields.index(name)
    for name in ("source", "cert_kind", "district", "birth_date", "gender", "local_network", "segment", "updated_at")
)


def _prepare_chunk(rows: list[Mapping[str, Any]]) -> list[MatchRecord]:
    records = [match_record(row) for row in rows]
    shared: dict[Any, Any] = {}
    one = shared.setdefault
    make = MatchRecord._make
    for position, record in enumerate(records):
        values: list[Any] = list(record)
        for at in _REPEATED:
            values[at] = one(values[at], values[at])
        records[position] = make(values)
    return records


def match_records(
    rows: Iterable[Mapping[str, Any]], workers: int | None = None, chunk: int = 20_000
) -> list[MatchRecord]:
    """Normalisation is CPU-bound Python: spread it over the cores (fork keeps the caches and
    libraries already loaded). Rows are consumed in chunks, so a generator of rows never has to
    be held in memory whole. Same result, same order, as one process."""
    workers = workers or os.cpu_count() or 1
    chunks = _chunks(iter(rows), chunk)
    first = next(chunks, [])
    if workers < 2 or len(first) < chunk:
        return [match_record(row) for part in itertools.chain([first], chunks) for row in part]
    with multiprocessing.get_context("fork").Pool(workers) as pool:
        return [record for part in pool.imap(_prepare_chunk, itertools.chain([first], chunks)) for record in part]


def _chunks(rows: Iterator[Mapping[str, Any]], size: int) -> Iterator[list[Mapping[str, Any]]]:
    while part := list(itertools.islice(rows, size)):
        yield part


def prepare_values(columns: tuple[str, ...], values: list[tuple[Any, ...]]) -> list[MatchRecord]:
    return _prepare_chunk([dict(zip(columns, value)) for value in values])
