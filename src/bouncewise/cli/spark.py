"""``bouncewise spark``: bounce analysis on Apache Spark (needs the ``bouncewise[spark]`` extra
and a Java runtime). The same command runs under spark-submit: ``bouncewise spark script``
prints the path of the entry script to give it."""

from __future__ import annotations

import shutil
import sys

import click

from bouncewise.cli.parse import _D, _Size

_NEEDS = "needs the spark extra: pip install 'bouncewise[spark]' (PySpark, pyarrow) and a Java runtime (17 or later)"


@click.group(name="spark", context_settings={"help_option_names": ["-h", "--help"]})
def spark() -> None:
    """Analyse bounces on Apache Spark: local cores or a cluster (needs bouncewise[spark]).

    \b
    Examples:
      bouncewise spark parse ~/Maildir/.Bounces --output bounces.parquet
      bouncewise spark parse 's3a://mail/bounces/2026/12/*' --output s3a://lake/bounces --master yarn
      bouncewise spark parse incoming/ --output out/ --watch
      spark-submit --master yarn "$(bouncewise spark script)" parse hdfs:///bounces --output hdfs:///records

    See docs/scale.md for when to use Spark rather than `parse --jobs`.
    """


def _session(master: str | None) -> object:
    try:
        import pyarrow  # noqa: F401
        import pyspark  # noqa: F401

        from bouncewise.spark import session
    except ImportError as exc:
        raise click.ClickException(f"{_NEEDS} ({exc})") from None
    if shutil.which("java") is None and not _java_home():
        raise click.ClickException(f"no Java runtime found (java on PATH or JAVA_HOME); {_NEEDS}")
    try:
        return session(master, app_name="bouncewise spark parse")
    except Exception as exc:
        raise click.ClickException(f"could not start Spark: {str(exc).strip()[:500]}") from None


def _java_home() -> bool:
    import os

    home = os.environ.get("JAVA_HOME")
    return bool(home) and os.path.exists(os.path.join(home, "bin", "java"))


@spark.command(name="parse")
@click.argument("inputs", nargs=-1, required=True, metavar="INPUT...")
@click.option("--output", "-o", required=True, metavar="DIR", help="Where to write the records (a directory or URI).")
@click.option("--master", default=None, metavar="URL",
              help="Spark master: local[4], spark://host:7077, yarn, k8s://... Default: what spark-submit "
                   "gives, else local[*].")
@click.option("--format", "fmt", type=click.Choice(["parquet", "json"]), default="parquet", show_default=True,
              help="Output format (both partitioned by date=YYYY-MM-DD of the bounce).")
@click.option("--from", "esp", type=click.Choice(["ses", "sendgrid", "mailgun", "postmark", "auto"]), default=None,
              help="Read the inputs as ESP event JSON (auto: each value's shape decides).")
@click.option("--watch", is_flag=True, help="Structured Streaming: keep analysing files as they arrive in INPUT (one directory).")
@click.option("--once", is_flag=True, help="With --watch: take the files that arrived since the last run, then stop.")
@click.option("--interval", default="10 seconds", show_default=True, help="With --watch: time between micro-batches.")
@click.option("--checkpoint", default=None, metavar="DIR", help="With --watch: checkpoint directory (default: OUTPUT/_checkpoint).")
@click.option("--overwrite", is_flag=True, help="Replace OUTPUT when it exists (default: refuse).")
@click.option("--max-size", type=_Size(), default=_D.max_bytes, show_default=True, help="Largest message (bytes; K/M/G suffixes).")
@click.option("--max-file", type=_Size(), default=1 << 30, show_default=True,
              help="Largest input file read (an mbox holds many messages); larger files give an error record.")
@click.option("--timeout", type=click.FloatRange(0), default=_D.max_seconds, show_default=True, help="Seconds per message (0: no limit).")
@click.option("--quiet", "-q", is_flag=True, help="No summary on stderr.")
def parse(inputs: tuple[str, ...], output: str, master: str | None, fmt: str, esp: str | None, watch: bool, once: bool,
          interval: str, checkpoint: str | None, overwrite: bool, max_size: int, max_file: int, timeout: float,
          quiet: bool) -> None:
    """Analyse bounce messages on Spark and write one record per row, with the fields of
    `bouncewise parse --format ndjson`, as Parquet (or JSON lines) partitioned by date.

    \b
    INPUT: files, directories (read recursively; names starting with . or _ are skipped),
    Unix mboxes (split per message on the executors), .gz of these, Hadoop globs in quotes
    ('bounces/2026-1[12]-*/*.eml'), on any filesystem the cluster reads (hdfs://, s3a://).
    An input that does not exist gives an error record, as in `bouncewise parse`.
    The summary on stderr is counted from what was written.

    \b
    Examples:
      bouncewise spark parse ../shared/corpus/maildir/bsd --output /tmp/bounces
      bouncewise spark parse /var/mail/bounces.mbox --output out.json --format json --master 'local[4]'
      bouncewise spark parse --from ses events/ --output lake/ses
      bouncewise spark parse incoming/ --output lake/records --watch --interval '1 minute'

    Exit status: 0 all messages read, 1 some could not be read (error records), 2 usage error.
    """
    from bouncewise.messages import Limits

    if watch and len(inputs) != 1:
        raise click.UsageError("--watch takes one INPUT directory")
    if (once or checkpoint) and not watch:
        raise click.UsageError("--once and --checkpoint go with --watch")
    limits = Limits(max_bytes=max_size, max_seconds=timeout)
    session = _session(master)
    from bouncewise.spark import job

    try:
        if watch:
            def report(batch_id: int, c: job.Counts) -> None:
                if not quiet:
                    _summary(c, f"bouncewise spark parse (batch {batch_id})")

            counts = job.watch_job(session, inputs[0], output, fmt=fmt, esp=esp, limits=limits, checkpoint=checkpoint,
                                   once=once, interval=interval, report=report)
        else:
            counts = job.parse_job(session, list(inputs), output, fmt=fmt, esp=esp, limits=limits, max_file=max_file,
                                   overwrite=overwrite)
    except KeyboardInterrupt:
        sys.exit(130)
    except Exception as exc:  # Spark's errors (output exists, no credentials): one line, no traceback
        text = str(exc).strip().splitlines()
        raise click.ClickException(text[0][:500] if text else exc.__class__.__name__) from None
    if not quiet:
        _summary(counts, "bouncewise spark parse")
    sys.exit(1 if counts.unreadable else 0)


def _summary(counts: object, prog: str) -> None:
    """The same summary as `bouncewise parse` prints, from the job's counts."""
    from bouncewise.writers import Tally, print_summary

    tally = Tally()
    tally.messages, tally.unreadable = counts.messages, counts.unreadable  # type: ignore[attr-defined]
    tally.records = counts.records  # type: ignore[attr-defined]
    tally.kinds.update(counts.kinds)  # type: ignore[attr-defined]
    tally.reasons.update(counts.reasons)  # type: ignore[attr-defined]
    print_summary(tally, sys.stderr, prog=prog, written=tally.records)


@spark.command(name="script")
def script() -> None:
    """Print the path of the entry script for spark-submit.

    \b
    Example:
      spark-submit --master yarn "$(bouncewise spark script)" parse hdfs:///bounces --output hdfs:///records
    """
    import importlib.util

    spec = importlib.util.find_spec("bouncewise.spark.__main__")
    if spec is None or spec.origin is None:  # pragma: no cover
        raise click.ClickException("bouncewise.spark is not installed")
    click.echo(spec.origin)
