"""The ingest progress bar's total is the number of rows, so a finished file shows N/N."""

from __future__ import annotations

from pathlib import Path

from app.cli import _count_rows


def test_csv_header_is_not_a_row_and_json_lines_have_none(tmp_path: Path) -> None:
    csv_file = tmp_path / "c.csv"
    csv_file.write_bytes(b"source_id,name\r\n1,a\r\n2,b\r\n3,c\r\n")
    jsonl = tmp_path / "c.jsonl"
    jsonl.write_text('{"source_id": "1"}\n{"source_id": "2"}\n', encoding="utf-8")
    empty = tmp_path / "e.csv"
    empty.write_bytes(b"")
    assert (_count_rows(csv_file), _count_rows(jsonl), _count_rows(empty)) == (3, 2, 0)
