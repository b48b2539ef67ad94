"""A SparkSession set up for bouncewise's jobs."""

from __future__ import annotations

import os
import sys
from typing import Any

# Rows per Arrow batch sent to the Python workers: a raw message is often tens of kilobytes,
# so Spark's default (10,000 rows) would hold hundreds of megabytes per batch. Spark 4 also
# ends a batch at a byte size (an mbox file is one row: a batch then holds few of them).
ARROW_BATCH_ROWS = 256
ARROW_BATCH_BYTES = 64 * 1024 * 1024
# Input split: analysis is CPU-bound (about 1 ms a message), so tasks are kept small, many
# more than the cores, for an even spread: at most 16 MB of files per task (Spark's default,
# 128 MB, gives a handful of long tasks and idle cores at the end). A file counts as 64 KB
# more than its size (Spark's default, 4 MB, would put only four .eml files in a task).
SPLIT_BYTES = 16 * 1024 * 1024
OPEN_COST_BYTES = 64 * 1024


def under_spark_submit() -> bool:
    """True in a driver started by spark-submit (which then decides the master)."""
    return "PYSPARK_GATEWAY_PORT" in os.environ


def session(master: str | None = None, app_name: str = "bouncewise", conf: dict[str, str] | None = None) -> Any:
    """The active SparkSession, or a new one. ``master``: None keeps what spark-submit or
    the environment says, else ``local[*]``. In local mode the Python workers run this
    interpreter (the one that has bouncewise and pyarrow installed) unless PYSPARK_PYTHON
    says otherwise, and each executor loads bouncewise's tables once, in the Python daemon,
    before it forks its workers (bouncewise.spark.daemon)."""
    from pyspark.sql import SparkSession

    if master is None and not under_spark_submit() and not os.environ.get("MASTER"):
        master = "local[*]"
    builder = SparkSession.builder.appName(app_name)
    if master:
        builder = builder.master(master)
    if master and master.startswith("local"):
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
        os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
        builder = builder.config("spark.ui.enabled", "false").config("spark.ui.showConsoleProgress", "false")
        if "spark.driver.extraJavaOptions" not in (conf or {}):
            log4j = os.path.join(os.path.dirname(os.path.abspath(__file__)), "log4j2.properties")
            builder = builder.config("spark.driver.extraJavaOptions", f"-Dlog4j2.configurationFile=file:{log4j}")
    settings = {
        "spark.sql.execution.arrow.maxRecordsPerBatch": str(ARROW_BATCH_ROWS),
        "spark.sql.execution.arrow.maxBytesPerBatch": str(ARROW_BATCH_BYTES),
        "spark.python.daemon.module": "bouncewise.spark.daemon",
        "spark.sql.files.maxPartitionBytes": str(SPLIT_BYTES),
        "spark.sql.files.openCostInBytes": str(OPEN_COST_BYTES),
        "spark.sql.session.timeZone": "UTC",
    }
    settings.update(conf or {})
    for key, value in settings.items():
        builder = builder.config(key, value)
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel(os.environ.get("BOUNCEWISE_SPARK_LOG", "ERROR"))
    return spark
