"""Reading CSV files: a file that decodes whole is read by csv from a text file, one with undecodable
lines line by line. Both must give the same rows, line numbers and errors, or a reject would point a
user at the wrong line depending on whether some other line of the file was corrupt."""

import csv
import io
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from loaders.formats import RawRow, _read_csv_by_line, _read_decoded_csv, read_rows

HEADER = ["source_id", "name", "address"]
# Values a desk's export holds: CJK, commas, quotes, line breaks (both kinds) inside quoted fields.
VALUE = st.text(alphabet=list('ab 客户福州,"\n\r\t;'), max_size=8)


def write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


def as_csv(rows: list[list[str]]) -> str:
    out = io.StringIO(newline="")
    csv.writer(out, lineterminator="\n").writerows(rows)
    return out.getvalue()


@settings(max_examples=150, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    rows=st.lists(st.lists(VALUE, min_size=1, max_size=4), max_size=8),
    blanks=st.lists(st.integers(0, 8), max_size=3),
    bom=st.booleans(),
    encoding=st.sampled_from(["utf-8", "gb18030"]),
)
def test_both_ways_of_reading_give_the_same_rows(
    tmp_path: Path, rows: list[list[str]], blanks: list[int], bom: bool, encoding: str
) -> None:
    lines = as_csv([HEADER, *rows]).split("\n")
    for at in blanks:
        lines.insert(min(at + 1, len(lines)), "")
    text = ("\ufeff" if bom else "") + "\n".join(lines)
    path = write(tmp_path / "c.csv", text, encoding)
    whole = list(_read_decoded_csv(path, encoding))
    assert whole == list(_read_csv_by_line(path, encoding))
    assert whole == list(read_rows(path, encoding))


def test_rows_come_with_the_line_they_start_on(tmp_path: Path) -> None:
    text = 'source_id,name,address\n1,a,"two\nlines"\n\n2,b,c\n3,x\n4,"un"closed,"\n5,e,f\n'
    rows = list(read_rows(write(tmp_path / "c.csv", text)))
    assert rows[:3] == [
        RawRow(2, {"source_id": "1", "name": "a", "address": "two\nlines"}),
        RawRow(5, {"source_id": "2", "name": "b", "address": "c"}),
        RawRow(6, None, "has 2 fields, the header has 3"),
    ]
    # An unclosed quote takes the rest of the file into its field, as csv reads it: one row, numbered by
    # the line it starts on, and the next row's number is not given to anything.
    assert rows[3:] == [RawRow(7, {"source_id": "4", "name": "unclosed", "address": "\n5,e,f\n"})]


def test_an_undecodable_line_is_a_reject_of_its_own_and_the_others_keep_their_numbers(tmp_path: Path) -> None:
    data = b"source_id,name,address\n1,a,b\n" + b"2,\xff\xfe,c\n" + "3,客户,d\n".encode()
    path = tmp_path / "c.csv"
    path.write_bytes(data)
    rows = list(read_rows(path))
    assert [r.line for r in rows] == [2, 3, 4]
    assert rows[1].fields is None and "do not decode as utf-8" in str(rows[1].error)
    assert rows[2].fields == {"source_id": "3", "name": "客户", "address": "d"}


def test_a_quote_inside_an_unquoted_value_does_not_renumber_the_rows_after_it(tmp_path: Path) -> None:
    """csv reads 12"屏 as text; counting quotes to find where rows start took every later row for a
    continuation of that one and gave them all its line."""
    text = 'source_id,name,address\n1,12"屏,z\n2,a,b\n3,c,d\n'
    rows = list(read_rows(write(tmp_path / "c.csv", text)))
    assert [(r.line, r.fields and r.fields["source_id"]) for r in rows] == [(2, "1"), (3, "2"), (4, "3")]
    undecodable = tmp_path / "u.csv"
    undecodable.write_bytes(text.encode() + b"4,\xff,e\n5,f,g\n")
    rows = list(read_rows(undecodable))
    assert [(r.line, r.fields and r.fields["source_id"]) for r in rows] == [
        (2, "1"),
        (3, "2"),
        (4, "3"),
        (5, None),
        (6, "5"),
    ]
