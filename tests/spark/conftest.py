"""One SparkSession (local[2]) for all the Spark tests. They skip, saying why, only when
PySpark/pyarrow are not installed or no Java runtime can be found (tests/spark/install.sh
installs both)."""

from __future__ import annotations

import importlib.util
import os
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures"


def _why_not() -> str | None:
    missing = [m for m in ("pyspark", "pyarrow") if importlib.util.find_spec(m) is None]
    if missing:
        return f"{', '.join(missing)} not installed: run `bash tests/spark/install.sh` (installs bouncewise[spark])"
    home = os.environ.get("JAVA_HOME")
    if shutil.which("java") is None and not (home and os.path.exists(os.path.join(home, "bin", "java"))):
        return "no Java runtime (java on PATH or JAVA_HOME): run `bash tests/spark/install.sh` as root"
    return None


WHY_NOT = _why_not()


def pytest_collection_modifyitems(config, items):  # noqa: ARG001 - pytest hook signature
    if WHY_NOT is None:
        return
    mark = pytest.mark.skip(reason=f"Spark tests skipped: {WHY_NOT}")
    here = str(Path(__file__).parent)
    for item in items:
        # the tests that run Spark: those with the session fixture, and the fresh-process run
        if str(item.fspath).startswith(here) and ("spark" in getattr(item, "fixturenames", ()) or "fresh_process" in item.name):
            item.add_marker(mark)


@pytest.fixture(scope="session")
def spark():
    from bouncewise.spark import session

    s = session("local[2]", app_name="bouncewise-tests", conf={"spark.sql.shuffle.partitions": "4"})
    yield s
    s.stop()


@pytest.fixture(scope="session")
def corpus() -> Path:
    base = Path(os.environ.get("BOUNCEWISE_CORPUS", ROOT.parent / "shared" / "corpus"))
    bsd = base / "maildir" / "bsd"
    if not bsd.is_dir():
        pytest.skip(f"corpus not found at {bsd} (set BOUNCEWISE_CORPUS)")
    return bsd
