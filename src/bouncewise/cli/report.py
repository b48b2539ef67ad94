"""``bouncewise report``: one self-contained HTML page (or Markdown, or JSON) showing what
fails, where, since when and what to do first."""

from __future__ import annotations

import sys
from typing import Any

import click


@click.command(name="report")
@click.argument("inputs", nargs=-1, metavar="INPUT...")
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True, allow_dash=True), default=None,
              help="Where to write the report ('-' for standard output). Needed for HTML on a terminal.")
@click.option("--format", "fmt", type=click.Choice(["html", "md", "json"]), default="html", show_default=True,
              help="html: the page; md: a summary for a terminal or a ticket; json: the figures.")
@click.option("--db", metavar="URL", default=None, help="Also read the records of the store at URL (sqlite:///..., postgresql://...).")
@click.option("--title", default="Bounce report", show_default=True, help="The report's title.")
@click.option("--jobs", "-j", type=click.IntRange(1, 256), default=1, show_default=True,
              help="Processes analysing bounce messages (as for parse).")
@click.option("--max-addresses", type=click.IntRange(0, 1_000_000), default=10_000, show_default=True,
              help="Hard-bounced addresses written into the page (all of them go to --remove-csv).")
@click.option("--remove-csv", type=click.Path(dir_okay=False, writable=True), default=None,
              help="Also write every address to remove (hard bounces) to this CSV file.")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar and no closing line on stderr.")
@click.option("--progress/--no-progress", default=None, help="Progress bar on stderr (default: when stderr is a terminal).")
def report(
    inputs: tuple[str, ...],
    output: str | None,
    fmt: str,
    db: str | None,
    title: str,
    jobs: int,
    max_addresses: int,
    remove_csv: str | None,
    quiet: bool,
    progress: bool | None,
) -> None:
    """Make a report from bounce messages, MTA logs, NDJSON written by `parse` or
    `scan-log`, or the store (--db).

    \b
    Each INPUT is told apart by its content: NDJSON records, a Postfix/Exim/Sendmail log, or
    bounce messages (.eml files, directories, Maildirs, mboxes, .gz of these; '-' is stdin).
    The HTML page is one file that opens offline (no network request): totals, failures by
    reason, hard/soft and who acts, top providers and domains, failures over time, the
    commonest replies, what to do first, and the addresses to remove as CSV.
    \b
    Examples:
      bouncewise report ~/Maildir/.Bounces -o report.html
      bouncewise parse bounces.mbox > b.ndjson && bouncewise report b.ndjson -o report.html
      bouncewise report /var/log/mail.log --format md
      bouncewise report --db sqlite:///bounces.db -o report.html

    Exit status: 0 all inputs read, 1 some input (or record) could not be read, 2 usage error.
    """
    from bouncewise.report.build import collect
    from bouncewise.report.inputs import StoreUnavailable, input_bytes

    sources = list(inputs)
    if not sources and not db:
        if sys.stdin.isatty():
            raise click.UsageError("give an INPUT (messages, a log, NDJSON; '-' for standard input) or --db URL")
        sources = ["-"]
    if sources.count("-") > 1:
        raise click.UsageError("'-' (standard input) can be given only once")
    if output is None:
        if fmt == "html" and sys.stdout.isatty():
            raise click.UsageError("an HTML report goes to a file: give -o report.html (or -o - for standard output)")
        output = "-"
    if db:
        try:
            _check_store()  # before any input is read, for a quick and clear exit 2
        except StoreUnavailable as exc:
            click.echo(f"bouncewise report: --db: {exc}", err=True)
            sys.exit(2)

    show = not quiet and (progress if progress is not None else sys.stderr.isatty())
    bar = _Bar([input_bytes(s) for s in sources]) if show else None
    try:
        agg = collect(sources, db=db, jobs=jobs, max_addresses=max_addresses, progress=bar.advance if bar else None)
    except StoreUnavailable as exc:
        click.echo(f"bouncewise report: --db: {exc}", err=True)
        sys.exit(2)
    finally:
        if bar is not None:
            bar.stop()
    rep = agg.finish()
    text = _render(rep, fmt, title)
    if output == "-":
        sys.stdout.write(text)
        sys.stdout.flush()
    else:
        with open(output, "w", encoding="utf-8") as fh:
            fh.write(text)
    if remove_csv:
        from bouncewise.report.html import remove_csv as csv_text

        rows = [[a, r, s, c] for a, (r, s, c) in sorted(agg.addresses.items())]
        with open(remove_csv, "w", encoding="utf-8", newline="") as fh:
            fh.write(csv_text(rows))
    t = rep["totals"]
    errors = sum(t["errors"].values())
    if not quiet:
        where = "" if output == "-" else f" -> {output} ({len(text.encode()):,} bytes)"
        click.echo(
            f"bouncewise report: {t['messages']:,} messages, {t['records']:,} records, {t['failures']:,} failures, "
            f"{t['addresses']:,} addresses to remove, {errors:,} errors{where}",
            err=True,
        )
    sys.exit(1 if errors else 0)


def _check_store() -> None:
    import importlib

    from bouncewise.report.inputs import StoreUnavailable

    try:
        store = importlib.import_module("bouncewise.store")
    except ImportError:
        store = None
    if store is None or not hasattr(store, "open_store"):
        raise StoreUnavailable("the store is not available in this installation (bouncewise.store.open_store is missing)")


def _render(rep: dict[str, Any], fmt: str, title: str) -> str:
    if fmt == "json":
        import json

        return json.dumps(rep, ensure_ascii=False, indent=1) + "\n"
    if fmt == "md":
        from bouncewise.report.markdown import render

        return render(rep, title=title)
    from bouncewise.report.html import render as render_html

    return render_html(rep, title=title)


class _Bar:
    """A rich progress bar on stderr: bytes read of the inputs' total, rate and time left."""

    def __init__(self, sizes: list[int | None]) -> None:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            DownloadColumn,
            Progress,
            TextColumn,
            TimeRemainingColumn,
            TransferSpeedColumn,
        )

        total = None if any(s is None for s in sizes) else sum(s or 0 for s in sizes)
        self._progress = Progress(
            TextColumn("report"), BarColumn(), DownloadColumn(), TransferSpeedColumn(), TimeRemainingColumn(),
            console=Console(stderr=True), transient=True,
        )
        self._task = self._progress.add_task("report", total=total)
        self._progress.start()

    def advance(self, n: int) -> None:
        self._progress.advance(self._task, n)

    def stop(self) -> None:
        self._progress.stop()
