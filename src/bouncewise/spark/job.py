"""The job behind ``bouncewise spark parse``: inputs -> records -> Parquet (or JSON) partitioned
by date, then the run's counts read back from what was written.

Inputs are handed to Spark's binaryFile source: files, directories (read recursively), Hadoop
globs, on any filesystem the cluster reads (file:, hdfs://, s3a://, abfss://, gs://). Each
file is one row; an mbox (or a .gz) is split into its messages on the executor that reads it,
by bouncewise.messages, inside the same mapInArrow call that analyses them.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from bouncewise.spark import frames

_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")
_GLOB = re.compile(r"[*?\[{]")
DATE_COL = "date"

# Files larger than this are not read (Spark cannot hold a file over 2 GiB in one row);
# each becomes one error record.
MAX_FILE = 1 << 30


@dataclass
class Counts:
    """What ``bouncewise parse`` reports at the end of a run."""

    messages: int = 0
    records: int = 0
    kinds: Counter[str] = field(default_factory=Counter)
    reasons: Counter[str] = field(default_factory=Counter)
    unreadable: int = 0

    def add(self, other: Counts) -> None:
        self.messages += other.messages
        self.records += other.records
        self.kinds.update(other.kinds)
        self.reasons.update(other.reasons)
        self.unreadable += other.unreadable


def _hadoop_fs(spark: Any, path: str) -> tuple[Any, Any]:
    jvm = spark.sparkContext._jvm
    hpath = jvm.org.apache.hadoop.fs.Path(path)
    return hpath.getFileSystem(spark.sparkContext._jsc.hadoopConfiguration()), hpath


def check_inputs(spark: Any, inputs: list[str]) -> tuple[list[str], list[str]]:
    """(inputs that exist or match, inputs that do not), asking each one's filesystem."""
    found, missing = [], []
    for item in inputs:
        try:
            fs, hpath = _hadoop_fs(spark, item)
            statuses = fs.globStatus(hpath)
            ok = statuses is not None and len(statuses) > 0
        except Exception:  # an unknown scheme, no credentials: Spark's own error would say more
            ok = True
        (found if ok else missing).append(item)
    return found, missing


def _shown_path(spark: Any, inputs: list[str]) -> Any:
    """A column expression: each file's path as ``bouncewise parse`` would show it. A file
    under a local input PATH shows as PATH/relative/part; other local files lose the
    ``file:`` scheme; remote files keep their URI."""
    from pyspark.sql import functions as F

    path = F.col("path")
    expr = None
    for item in inputs:
        if _SCHEME.match(item) or _GLOB.search(item):
            continue
        try:
            fs, hpath = _hadoop_fs(spark, item)
            qualified = str(fs.makeQualified(hpath).toString())
        except Exception:
            continue
        if not qualified.startswith("file:"):
            continue
        qualified = qualified.rstrip("/")
        base = item if item.endswith("/") else item + "/"
        exact = path == F.lit(qualified)
        under = path.startswith(qualified + "/")
        rest = F.expr(f"substring(path, {len(qualified) + 2})")
        expr = (F.when(exact, F.lit(item)) if expr is None else expr.when(exact, F.lit(item)))
        expr = expr.when(under, F.concat(F.lit(base), rest))
    strip = F.when(path.startswith("file:"), F.regexp_replace(path, "^file:(//)?", "")).otherwise(path)
    return strip if expr is None else expr.otherwise(strip)


def _error_rows(spark: Any, items: list[tuple[str, str]]) -> Any:
    from bouncewise.record import ERROR, Record

    rows = [Record(kind=ERROR, file=f, index=1, error=e).to_dict() for f, e in items]
    return spark.createDataFrame(rows, frames.record_ddl())


def records_of(spark: Any, inputs: list[str], *, esp: str | None = None, limits: Any = None,
               max_file: int = MAX_FILE) -> Any:
    """The record DataFrame of ``inputs`` (with error records for inputs that do not exist
    and files over ``max_file``), plus the date column."""
    from pyspark.sql import functions as F

    found, missing = check_inputs(spark, inputs)
    errors = [(m, "cannot read: no such file or directory") for m in missing]
    parts = []
    if found:
        raw = frames.read_messages(spark, found)
        big = raw.filter(F.col("length") > max_file).select("path", "length")
        errors += [(r["path"], f"cannot read: file of {r['length']} bytes is over the limit of {max_file}")
                   for r in big.select(_shown_path(spark, found).alias("path"), "length").collect()]
        raw = raw.filter(F.col("length") <= max_file).select(_shown_path(spark, found).alias("path"), "content")
        if esp is None:
            parts.append(frames.parse_messages(raw, limits=limits))
        else:
            parts.append(frames.parse_events(raw, "content", "path", provider=None if esp == "auto" else esp))
    if errors or not parts:
        parts.append(_error_rows(spark, errors))
    records = parts[0]
    for p in parts[1:]:
        records = records.unionByName(p)
    return frames.with_date(records, DATE_COL)


def write(records: Any, output: str, fmt: str, mode: str = "errorifexists") -> None:
    writer = records.write.mode(mode).partitionBy(DATE_COL)
    if fmt == "json":
        writer.option("ignoreNullFields", "false").json(output)
    else:
        writer.parquet(output)


def read_back(spark: Any, output: str, fmt: str) -> Any:
    if fmt == "json":
        return spark.read.schema(frames.record_ddl() + f", `{DATE_COL}` string").json(output)
    return spark.read.parquet(output)


def counts(records: Any, *, per_file: bool = False) -> Counts:
    """The counts of a record DataFrame: messages (distinct file and index; distinct files
    for ESP event input, where a file is the unit read), records by kind, bounces and delays
    by reason, messages with an error record."""
    from pyspark.sql import functions as F

    unit = ["file"] if per_file else ["file", "index"]
    out = Counts()
    for row in records.groupBy("kind", "reason").count().collect():
        out.records += row["count"]
        out.kinds[row["kind"]] += row["count"]
        if row["reason"] and row["kind"] in ("bounce", "delayed"):
            out.reasons[row["reason"]] += row["count"]
    per_message = records.groupBy(*unit).agg(F.max((F.col("kind") == "error").cast("int")).alias("error"))
    row = per_message.agg(F.count(F.lit(1)).alias("messages"), F.sum("error").alias("errors")).collect()[0]
    out.messages, out.unreadable = row["messages"], row["errors"] or 0
    return out


def parse_job(spark: Any, inputs: list[str], output: str, *, fmt: str = "parquet", esp: str | None = None,
              limits: Any = None, max_file: int = MAX_FILE, overwrite: bool = False) -> Counts:
    """Write the records of ``inputs`` to ``output``; the counts of what was written."""
    records = records_of(spark, inputs, esp=esp, limits=limits, max_file=max_file)
    write(records, output, fmt, "overwrite" if overwrite else "errorifexists")
    return counts(read_back(spark, output, fmt), per_file=esp is not None)


BINARY_FILE_DDL = "path string, modificationTime timestamp, length bigint, content binary"


def watch_job(spark: Any, directory: str, output: str, *, fmt: str = "parquet", esp: str | None = None,
              limits: Any = None, checkpoint: str | None = None, once: bool = False, interval: str = "10 seconds",
              report: Any = None) -> Counts:
    """Structured Streaming over ``directory``: each new file is analysed and its records are
    appended to ``output`` (partitioned by date), micro-batch by micro-batch; ``report`` is
    called with each batch's Counts. ``once``: take what is there now, then stop."""
    stream = (spark.readStream.format("binaryFile").schema(BINARY_FILE_DDL)
              .option("recursiveFileLookup", "true").load(directory))
    raw = stream.select(_shown_path(spark, [directory]).alias("path"), "content")
    if esp is None:
        records = frames.parse_messages(raw, limits=limits)
    else:
        records = frames.parse_events(raw, "content", "path", provider=None if esp == "auto" else esp)
    records = frames.with_date(records, DATE_COL)
    total = Counts()

    def each(batch: Any, batch_id: int) -> None:
        batch = batch.persist()
        try:
            if batch.isEmpty():
                return
            write(batch, output, fmt, "append")
            c = counts(batch, per_file=esp is not None)
            total.add(c)
            if report is not None:
                report(batch_id, c)
        finally:
            batch.unpersist()

    writer = records.writeStream.foreachBatch(each).option(
        "checkpointLocation", checkpoint or output.rstrip("/") + "/_checkpoint")
    writer = writer.trigger(availableNow=True) if once else writer.trigger(processingTime=interval)
    query = writer.start()
    try:
        query.awaitTermination()
    finally:
        if query.isActive:
            query.stop()
    return total
