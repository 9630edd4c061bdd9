"""A batch run hands its deriver the pinyin its records' normalisation found; the golden records are
those the deriver makes on its own."""

from __future__ import annotations

from pathlib import Path

from app.golden.derive import GoldenDeriver
from app.resolution.prepare import match_record, name_pinyins
from app.rules import get_rules
from bench.demo_records import customer_rows
from demo import generate


def test_golden_records_with_the_runs_pinyin_are_those_made_without(tmp_path: Path) -> None:
    generate(tmp_path, 120, seed=9)
    rows: list[dict[str, object]] = [dict(row) for row in customer_rows(tmp_path)]
    rows += [{**rows[0], "name": " 張三 "}, {**rows[1], "name": None}, {**rows[2], "name": "ＡＢＣ有限公司"}]
    known = name_pinyins([row.get("name") for row in rows], [match_record(row) for row in rows])
    assert len(known) > 100 and known[" 張三 "] == "zhangsan"
    rules = get_rules()
    with_known, alone = GoldenDeriver(rules, known), GoldenDeriver(rules)
    for row in rows:
        assert with_known.derive([row]) == alone.derive([row])
    # The map is what the deriver uses, where it has the name.
    told = GoldenDeriver(rules, {" 張三 ": "told"})
    assert told.derive([rows[-3]])[0]["name_pinyin"] == "told"
