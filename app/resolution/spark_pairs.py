"""Blocking and scoring on Spark: the linker's candidate pairs, their comparison levels and, given a
model, their match probabilities, worked out by Spark's executors instead of this process.

Spark joins each blocking rule's keys, splits oversized blocks exactly as ``blocking.block`` does and
scores the pairs in Arrow batches with the same comparison code (``comparisons.compare_all``), so the
customers are the in-process linker's. What it spreads is the work of blocking and comparing, over as
many executors as a cluster has; the pairs (32 bytes each) and the records' table still come back to
this process, which estimates the model and clusters under the operator's constraints (clustering
needs every merge of a customer at once). Locally (``local[2]``) it is how that claim is tested;
docs/operations.md section 11 says how a cluster runs it and what is not distributed yet.
"""

from __future__ import annotations

import dataclasses
import os
import sys
import tempfile
import typing
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from app.errors import C360Error
from app.resolution.blocking import RULES, BlockingResult
from app.resolution.comparisons import COMPARISONS, compare_all
from app.resolution.linker import FoundPairs
from app.resolution.model import MatchModel
from app.resolution.records import PHONES_COMPARED, TUPLE_FIELDS, WORDS_COMPARED, MatchRecord, RecordTable
from app.rules import ResolutionRules

# The record's fields Spark carries: every matching field of MatchRecord (notes are for people).
FIELDS = tuple(name for name in MatchRecord._fields if name != "notes")
_FIELD_TYPES = typing.get_type_hints(MatchRecord)
GAMMA = tuple(f"gamma_{c.name}" for c in COMPARISONS)
SEP = "\x1f"


def _arrow_type(name: str) -> pa.DataType:
    kind = _FIELD_TYPES[name]
    if kind is bool:
        return pa.bool_()
    if typing.get_origin(kind) is tuple:
        return pa.list_(pa.string())
    return pa.string()


RECORD_SCHEMA = pa.schema([("pos", pa.int64()), *((name, _arrow_type(name)) for name in FIELDS)])


def spark_session(master: str = "local[2]", *, partitions: int = 8, memory: str = "4g") -> Any:
    """A Spark session for the linker. A local master runs its Python workers on this interpreter (with
    c360 installed) and takes ``partitions`` and ``memory`` here; a cluster keeps its own configuration
    (spark-defaults.conf, spark-submit), which this leaves alone."""
    try:
        from pyspark.sql import SparkSession
    except ImportError as exc:
        raise C360Error("Spark is not installed here: pip install 'c360[spark]' (it needs Java 17)") from exc
    builder = (
        SparkSession.builder.master(master)
        .appName("c360-linking")
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        .config("spark.sql.execution.arrow.maxRecordsPerBatch", "20000")
    )
    if master.startswith("local"):
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
        builder = (
            builder.config("spark.ui.enabled", "false")
            .config("spark.sql.shuffle.partitions", str(partitions))
            .config("spark.driver.memory", memory)
            # Every pair comes back to this process (the default 1 GB stops at about 30 million).
            .config("spark.driver.maxResultSize", "0")
        )
    try:
        return builder.getOrCreate()
    except Exception as exc:  # pyspark raises its own kinds, and RuntimeError, when the JVM will not start
        raise C360Error(f"Spark did not start at {master!r} (it needs Java 17; JAVA_HOME): {exc}") from exc


def _key_arrays(F: Any) -> dict[str, Any]:
    """Each blocking rule's keys of a record as an array column: the same keys ``blocking.RULES``
    codes in numpy (a parity test holds them to it), as text so any executor computes them alone."""

    def one(column: str) -> Any:
        return F.when(F.col(column) != "", F.array(F.col(column))).otherwise(F.array().cast("array<string>"))

    def pair(first: Any, second: Any) -> Any:
        """Two values as one key, the first's length ahead: no two different pairs make the same key."""
        return F.concat_ws(SEP, F.length(first), first, second)

    def both(first: str, second: str) -> Any:
        return F.when(
            (F.col(first) != "") & (F.col(second) != ""), F.array(pair(F.col(first), F.col(second)))
        ).otherwise(F.array().cast("array<string>"))

    # The normaliser leaves names with single spaces between words (a test holds it to that), so
    # splitting on a space is Python's split().
    spaced = F.instr(F.col("name_words"), " ") > 0
    words = F.when(spaced, F.filter(F.split(F.col("name_words"), " "), lambda w: w != "")).otherwise(
        F.array(F.col("name_words"))
    )
    count = F.when(F.col("name_words") == "", F.lit(0)).otherwise(F.size(words))
    first_word = F.element_at(words, 1)
    last_word = F.element_at(words, F.least(count, F.lit(WORDS_COMPARED)))
    name_numbers = F.filter(
        F.array(
            *(
                F.when(F.col(number) != "", pair(word, F.col(number)))
                for number in ("address_first_number", "address_last_number")
                for word in (first_word, last_word)
            )
        ),
        lambda key: key.isNotNull(),
    )
    halves = (
        F.when(spaced, first_word).otherwise(F.substring(F.col("name_words"), 1, 1)),
        F.when(spaced, F.element_at(words, -1)).otherwise(F.expr("substring(name_words, 2)")),
    )
    day = pair(F.col("birth_date"), F.col("local_network"))
    date_halves = F.when(
        (F.col("birth_date") != "") & (F.col("local_network") != "") & (F.col("name_words") != ""),
        F.filter(F.array(*(F.when(half != "", pair(day, half)) for half in halves)), lambda key: key.isNotNull()),
    ).otherwise(F.array().cast("array<string>"))
    return {
        "certificate": one("cert_key"),
        "phone": F.slice(F.col("phones"), 1, PHONES_COMPARED),
        "email": one("email"),
        "name_birth_date": both("name", "birth_date"),
        "name_pinyin_local_network": both("name_pinyin", "local_network"),
        "birth_date_local_network": both("birth_date", "local_network"),
        "birth_date_name_part": date_halves,
        "address": one("address_key"),
        "address_numbers": one("address_numbers"),
        "name_word_address_number": F.when(count >= 2, name_numbers).otherwise(F.array().cast("array<string>")),
    }


def _records_of(batch: pd.DataFrame, side: str) -> list[MatchRecord]:
    columns = [batch[f"{side}_{name}"].tolist() for name in FIELDS]
    phones = FIELDS.index("phones")
    out = []
    for values in zip(*columns):
        row = list(values)
        row[phones] = tuple(row[phones]) if row[phones] is not None else ()
        out.append(MatchRecord(*row))
    return out


def _scorer(model: MatchModel | None) -> Any:
    """The function each executor runs over its Arrow batches of joined pairs: the comparison
    levels of ``compare_all`` on a table of the batch's own records, and the model's probability
    (the linker works out the weights again from the levels, for the few pairs it explains)."""

    def score(batches: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
        for batch in batches:
            n = len(batch)
            table = RecordTable.build([*_records_of(batch, "l"), *_records_of(batch, "r")])
            gamma = compare_all(table, np.arange(n), np.arange(n, 2 * n))
            out = pd.DataFrame({"left": batch["l_pos"].to_numpy(), "right": batch["r_pos"].to_numpy()})
            out["rule"] = batch["rule"].to_numpy()
            for k, name in enumerate(GAMMA):
                out[name] = gamma[:, k] if n else np.empty(0, dtype=np.int8)
            if model is not None:
                out["probability"] = model.probability(gamma) if n else np.empty(0)
            yield out

    return score


@dataclasses.dataclass(slots=True)
class SparkPairs:
    """The linker's pair finder on Spark (``Linker(rules, model, pairs=SparkPairs(spark))``)."""

    spark: Any
    work_dir: Path | None = None

    def __call__(self, table: RecordTable, rules: ResolutionRules, model: MatchModel | None) -> FoundPairs:
        unknown = [r for r in rules.blocking_rules if r not in RULES]
        if unknown:
            raise ValueError(f"unknown blocking rules {unknown}; known: {sorted(RULES)}")
        if not rules.blocking_rules or not len(table):
            columns = ["left", "right", "rule", *GAMMA, "probability"]
            return _result(pd.DataFrame({c: [] for c in columns}), rules, [], [], model is not None)
        with tempfile.TemporaryDirectory(dir=self.work_dir) as work:
            path = Path(work).resolve() / "records.parquet"
            write_records(table, path)
            # A URI: on a cluster a bare path would be read from its default file system (HDFS).
            return self.pairs_of(path.as_uri(), rules, model)

    def pairs_of(self, records_uri: str, rules: ResolutionRules, model: MatchModel | None) -> FoundPairs:
        """Pairs of the records at ``records_uri`` (Parquet of RECORD_SCHEMA, ``pos`` their place in
        the id order), in the order ``blocking.block`` gives them."""
        from pyspark.sql import Window
        from pyspark.sql import functions as F

        caps = [rules.block_size_caps.get(name, rules.max_block_size) for name in rules.blocking_rules]
        # Each row's block cap is its rule's: the rule's index into the caps, in the rules' order.
        cap = F.element_at(F.array(*(F.lit(c) for c in caps)), F.col("rule").cast("int") + 1)
        records = self.spark.read.parquet(records_uri)
        keys = _key_arrays(F)
        keyed = None
        for index, name in enumerate(rules.blocking_rules):
            part = records.select(
                F.lit(index).cast("byte").alias("rule"),
                F.explode(keys[name]).alias("key"),
                "pos",
                F.substring("birth_date", 1, 4).alias("year"),
                "district",
            )
            keyed = part if keyed is None else keyed.unionByName(part)
        assert keyed is not None
        block = Window.partitionBy("rule", "key")
        by_year = Window.partitionBy("rule", "key", "year")
        by_district = Window.partitionBy("rule", "key", "year", "district")
        keyed = keyed.withColumn("size", F.count(F.lit(1)).over(block))
        small = keyed.where(F.col("size") <= cap).select(
            "rule", "key", F.lit("").alias("year"), F.lit("").alias("district"), "pos", "size"
        )
        # Oversized blocks: by birth year, then by district; what is still too big (or has
        # neither) is dropped and counted, as in ``blocking._split``.
        big = keyed.where((F.col("size") > cap) & (F.col("year") != "")).withColumn(
            "year_size", F.count(F.lit(1)).over(by_year)
        )
        by_years = big.where(F.col("year_size") <= cap).select(
            "rule", "key", "year", F.lit("").alias("district"), "pos", "size"
        )
        districts = (
            big.where((F.col("year_size") > cap) & (F.col("district") != ""))
            .withColumn("district_size", F.count(F.lit(1)).over(by_district))
            .where(F.col("district_size") <= cap)
            .select("rule", "key", "year", "district", "pos", "size")
        )
        grouped = small.unionByName(by_years).unionByName(districts)
        group = ["rule", "key", "year", "district"]
        grouped = grouped.withColumn("group_size", F.count(F.lit(1)).over(Window.partitionBy(*group)))
        capped = (
            grouped.where((F.col("size") > cap) & (F.col("group_size") >= 2))
            .groupBy("rule", "key")
            .agg(F.first("size").alias("size"), F.count(F.lit(1)).alias("kept"))
        )
        oversized = keyed.where(F.col("size") > cap).groupBy("rule", "key").agg(F.first("size").alias("size"))
        grouped.cache()
        cached = [grouped]
        try:
            capped_rows = (
                oversized.join(capped.select("rule", "key", "kept"), ["rule", "key"], "left")
                .withColumn("dropped", F.col("size") - F.coalesce(F.col("kept"), F.lit(0)))
                .where(F.col("dropped") > 0)
                .groupBy("rule")
                .agg(F.count(F.lit(1)).alias("blocks"), F.sum("dropped").alias("records"))
                .collect()
            )
            members = grouped.where(F.col("group_size") >= 2).select(*group, "pos")
            a, b = members.alias("a"), members.alias("b")
            pairs = (
                a.join(b, [*group])
                .where(F.col("a.pos") < F.col("b.pos"))
                .groupBy(F.col("a.pos").alias("left"), F.col("b.pos").alias("right"))
                .agg(F.min("rule").alias("rule"))
            )
            certificates = records.select("pos", "cert_key", "cert_valid")
            lc = certificates.select(*(F.col(c).alias(f"l_{c}") for c in certificates.columns))
            rc = certificates.select(*(F.col(c).alias(f"r_{c}") for c in certificates.columns))
            pairs = (
                pairs.join(lc, pairs.left == lc.l_pos)
                .join(rc, pairs.right == rc.r_pos)
                .withColumn(
                    "apart",
                    F.col("l_cert_valid") & F.col("r_cert_valid") & (F.col("l_cert_key") != F.col("r_cert_key")),
                )
                .select("left", "right", "rule", "apart")
            )
            cached.append(pairs.cache())
            counts = pairs.groupBy("rule", "apart").count().collect()
            kept = pairs.where(~F.col("apart")).drop("apart")
            left_side = records.select(*(F.col(c).alias(f"l_{c}") for c in records.columns))
            right_side = records.select(*(F.col(c).alias(f"r_{c}") for c in records.columns))
            joined = kept.join(left_side, kept.left == left_side.l_pos).join(right_side, kept.right == right_side.r_pos)
            schema = "left long, right long, rule byte, " + ", ".join(f"{g} byte" for g in GAMMA)
            if model is not None:
                schema += ", probability double"
            scored = joined.select("rule", *left_side.columns, *right_side.columns).mapInPandas(_scorer(model), schema)
            found = scored.toPandas()
        finally:
            for frame in cached:
                frame.unpersist()
        return _result(found, rules, counts, capped_rows, model is not None)


def _result(
    found: pd.DataFrame, rules: ResolutionRules, counts: list[Any], capped: list[Any], scored: bool
) -> FoundPairs:
    order = np.lexsort((found["right"].to_numpy(), found["left"].to_numpy(), found["rule"].to_numpy()))
    found = found.iloc[order]
    names = list(rules.blocking_rules)
    result = BlockingResult(
        found["left"].to_numpy(dtype=np.int64),
        found["right"].to_numpy(dtype=np.int64),
        found["rule"].to_numpy(dtype=np.int8),
        names,
    )
    for index, name in enumerate(names):
        result.pairs_by_rule[name] = sum(r["count"] for r in counts if r["rule"] == index and not r["apart"])
        result.skipped_different_certificates[name] = sum(
            r["count"] for r in counts if r["rule"] == index and r["apart"]
        )
        result.capped_blocks[name] = sum(int(r["blocks"]) for r in capped if r["rule"] == index)
        result.capped_records[name] = sum(int(r["records"]) for r in capped if r["rule"] == index)
    gamma = found[list(GAMMA)].to_numpy(dtype=np.int8).reshape(len(found), len(GAMMA))
    probability = found["probability"].to_numpy(dtype=np.float64) if scored else None
    return result, gamma, probability


def write_records(table: RecordTable, path: Path) -> None:
    """The table's records as Parquet for Spark, ``pos`` their place in the linker's id order."""
    fields = table.fields
    released = [name for name in FIELDS if name not in fields.text and name not in fields.flags]
    if released:
        raise ValueError(f"the table's text of {released} was let go (release_unread_text): Spark needs every field")
    columns: dict[str, Any] = {"pos": list(range(len(table)))}
    for name in FIELDS:
        if name in fields.flags:
            columns[name] = fields.flags[name]
        elif name in TUPLE_FIELDS:
            columns[name] = [list(v) for v in fields.tuples(name)]
        else:
            columns[name] = fields.text[name].strings()
    pq.write_table(pa.table(columns, schema=RECORD_SCHEMA), path)
