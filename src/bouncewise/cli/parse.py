"""``bouncewise parse``: analyse bounce messages and write one record per recipient."""

from __future__ import annotations

import io
import os
import shutil
import sys
from collections.abc import Iterator
from functools import partial
from typing import Any

import click

from bouncewise.messages import Limits

_SIZE_UNITS = {"": 1, "b": 1, "k": 1024, "kb": 1024, "m": 1024**2, "mb": 1024**2, "g": 1024**3, "gb": 1024**3}


class _Size(click.ParamType):
    name = "SIZE"

    def convert(self, value: object, param: click.Parameter | None, ctx: click.Context | None) -> int:
        if isinstance(value, int):
            return value
        text = str(value).strip().lower()
        num = text.rstrip("kmgb")
        unit = text[len(num) :]
        try:
            n = float(num)
        except ValueError:
            self.fail(f"{value!r} is not a size (examples: 500000, 512K, 32M)", param, ctx)
        if unit not in _SIZE_UNITS or n <= 0:
            self.fail(f"{value!r} is not a size (examples: 500000, 512K, 32M)", param, ctx)
        return int(n * _SIZE_UNITS[unit])


_D = Limits()


@click.command(name="parse")
@click.argument("paths", nargs=-1, metavar="PATH...")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["ndjson", "json", "csv", "table"]),
    default=None,
    help="Output format. Default: table on a terminal, ndjson otherwise.",
)
@click.option(
    "--jobs",
    "-j",
    type=click.IntRange(1, 256),
    default=None,
    help="Processes analysing messages (this one included: N-1 workers are forked)."
    " Default: 1 for up to 300 messages, then the usable CPU cores for the rest.",
)
@click.option(
    "--include",
    default=None,
    metavar="KINDS",
    help="Which non-failure kinds to output: delivered,vacation,feedback, all or none. Default: all.",
)
@click.option("--max-size", type=_Size(), default=_D.max_bytes, show_default=True, help="Largest message (bytes; K/M/G suffixes).")
@click.option("--max-depth", type=click.IntRange(1, 10000), default=_D.max_depth, show_default=True, help="Deepest MIME nesting.")
@click.option("--max-parts", type=click.IntRange(1, 1000000), default=_D.max_parts, show_default=True, help="Most MIME parts in a message.")
@click.option("--max-line", type=_Size(), default=_D.max_line, show_default=True, help="Longest line (bytes).")
@click.option("--timeout", type=click.FloatRange(0), default=_D.max_seconds, show_default=True, help="Seconds per message (0: no limit).")
@click.option("--quiet", "-q", is_flag=True, help="No summary and no progress bar on stderr.")
@click.option(
    "--from",
    "esp",
    type=click.Choice(["ses", "sendgrid", "mailgun", "postmark"]),
    default=None,
    help="Read the PATHs as this ESP's bounce/complaint event JSON (without it, a JSON file's provider is detected).",
)
@click.option("--progress/--no-progress", default=None, help="Progress bar on stderr (default: when stderr is a terminal and output is not).")
@click.option("--summary", "summary_only", is_flag=True,
              help="Print summary tables (by kind, reason, provider, recipient domain) instead of the records.")
def parse(
    paths: tuple[str, ...],
    fmt: str | None,
    jobs: int | None,
    include: str | None,
    max_size: int,
    max_depth: int,
    max_parts: int,
    max_line: int,
    timeout: float,
    quiet: bool,
    progress: bool | None,
    esp: str | None = None,
    summary_only: bool = False,
) -> None:
    """Analyse bounce messages: .eml files, directories, Maildirs, Unix mboxes, .gz
    files of these, or '-' for standard input.

    \b
    One record per bounced recipient (kind bounce or delayed); a message that is not a
    bounce gives one not-a-bounce record, one that cannot be read one error record.
    Success notices, auto-replies and complaint reports give delivered, vacation and
    feedback records; --include narrows which of these are output (all by default;
    --include none for failures only). A summary goes to stderr.

    \b
    Examples:
      bouncewise parse bounce.eml
      bouncewise parse ~/Maildir --format csv > bounces.csv
      zcat archive.mbox.gz | bouncewise parse - --include none
      bouncewise parse /var/mail/bounces --jobs 4 --format json
      bouncewise parse events.json            # ESP events: the provider is detected
      bouncewise parse ~/Maildir --summary    # the picture only, no records

    A file or standard input that holds JSON is read as ESP events (SES, SendGrid, Mailgun,
    Postmark), the provider told by the shape of the events; --from names it instead, and is
    refused when the events look like another provider's. Only regular files are read: a
    FIFO, socket or device gives an error record.

    Exit status: 0 all messages read, 1 some could not be read, 2 usage error.
    """
    from bouncewise.events import ProviderMismatch
    from bouncewise.pipeline import resolve_include
    from bouncewise.writers import Tally, make_writer, print_summary, render_with_facts

    try:
        inc = resolve_include(include)
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None
    sources: list[str] = list(paths)
    if not sources:
        if sys.stdin.isatty():
            raise click.UsageError("give a PATH (a file, directory, Maildir or mbox), or '-' for standard input")
        sources = ["-"]
    if sources.count("-") > 1:
        raise click.UsageError("'-' (standard input) can be given only once")
    out = sys.stdout
    out_tty = out.isatty()
    if fmt is None:
        fmt = "table" if out_tty else "ndjson"
    limits = Limits(max_bytes=max_size, max_depth=max_depth, max_parts=max_parts, max_line=max_line, max_seconds=timeout)
    width = shutil.get_terminal_size((100, 24)).columns  # COLUMNS, else the terminal, else 100
    sink = io.StringIO() if summary_only else out  # --summary: the records are counted, not written
    writer = make_writer(fmt if not summary_only else "ndjson", sink, color=out_tty and fmt == "table", width=width)
    # the provider and domain tables need more than kind and reason: carried with the text
    render = writer.render if quiet and not summary_only else partial(render_with_facts, writer.render)

    err_tty = sys.stderr.isatty()
    show_progress = (not quiet) and (progress if progress is not None else (err_tty and not out_tty))
    bar = _Progress() if show_progress else None

    tally = Tally()
    try:
        for records in _batches(sources, esp, render, limits, inc, jobs):
            tally.add_message(records)
            for rec in records:
                if rec.text is None:
                    tally.filtered[rec.kind] += 1
                    continue
                tally.add_record(rec.kind, rec.reason, getattr(rec.text, "provider", None),
                                 getattr(rec.text, "domain", None))
                if summary_only:
                    continue
                writer.write_rendered(rec.text)
            if bar is not None:
                bar.advance(tally.messages + tally.unreadable)
        writer.close()
    except BrokenPipeError:  # e.g. | head
        sys.stderr.close()
        sys.exit(0)
    except ProviderMismatch as exc:
        writer.close()
        raise click.UsageError(f"{exc.source}: {exc}") from None
    finally:
        if bar is not None:
            bar.stop()
    if summary_only:
        print_summary(tally, sys.stdout, full=True)
    elif not quiet:
        print_summary(tally, sys.stderr, written=writer.count)
    sys.exit(1 if tally.unreadable else 0)


def _looks_like_json(head: bytes) -> bool:
    head = head.lstrip(b"\xef\xbb\xbf").lstrip()
    return head[:1] in (b"{", b"[")


def _is_event_input(src: str) -> bool:
    """A named file (or standard input) that holds JSON: ESP events, not messages."""
    from bouncewise.messages import not_regular

    if src == "-":
        stream = sys.stdin.buffer
        peek = getattr(stream, "peek", None)
        return bool(peek) and _looks_like_json(peek(64)[:64])
    if os.path.isdir(src) or not_regular(src) or not os.path.isfile(src):
        return False
    try:
        with open(src, "rb") as fh:
            return _looks_like_json(fh.read(64))
    except OSError:
        return False


def _batches(sources: list[str], esp: str | None, render: Any, limits: Limits, inc: Any, jobs: int) -> Iterator[list[Any]]:
    """Per message (or per event file) its rendered records, in the order of ``sources``:
    runs of message inputs go through the pipeline together, event files one by one."""
    from bouncewise.pipeline import Rendered, render_all, wanted

    run: list[str] = []
    for src in sources:
        if esp is not None or _is_event_input(src):
            if run:
                yield from render_all(run, render, limits, include=inc, jobs=jobs)
                run = []
            for recs in _event_records([src], esp, limits):
                yield [Rendered(r.kind, r.reason, render(r) if wanted(r, inc) else None) for r in recs]
        else:
            run.append(src)
    if run:
        yield from render_all(run, render, limits, include=inc, jobs=jobs)


def _event_records(sources: list[str], esp: str | None, limits: Limits):
    """One list of Records per PATH read as ESP event JSON; see bouncewise.events. The
    provider is ``esp`` when given (refused when the events look like another's), else
    detected from each event's shape."""
    from bouncewise.errors import BouncewiseError
    from bouncewise.events import ProviderMismatch, records_from_json
    from bouncewise.messages import not_regular
    from bouncewise.record import ERROR, Record

    for src in sources:
        try:
            special = None if src == "-" else not_regular(src)
            if special:
                raise OSError(special)
            if src == "-":
                data = sys.stdin.buffer.read(limits.max_bytes + 1)
            else:
                with open(src, "rb") as fh:
                    data = fh.read(limits.max_bytes + 1)
            if len(data) > limits.max_bytes:
                raise ValueError(f"larger than --max-size ({limits.max_bytes} bytes)")
            yield records_from_json(data, origin=src, provider=esp)
        except ProviderMismatch as exc:
            exc.source = src
            raise
        except (OSError, ValueError, BouncewiseError) as exc:
            yield [Record(kind=ERROR, file=src, index=1, error=f"{type(exc).__name__}: {exc}")]


class _Progress:
    """A rich progress display on stderr, started only once a run has lasted a moment."""

    DELAY = 1.0

    def __init__(self) -> None:
        import time

        self._time = time.monotonic
        self._start = time.monotonic()
        self._last = 0.0
        self._progress = None
        self._task = None

    def advance(self, n: int) -> None:
        now = self._time()
        if now - self._last < 0.1:
            return
        self._last = now
        if self._progress is None:
            if now - self._start < self.DELAY:
                return
            from rich.console import Console
            from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

            self._progress = Progress(
                SpinnerColumn(),
                TextColumn("{task.completed} messages"),
                TimeElapsedColumn(),
                console=Console(stderr=True),
                transient=True,
            )
            self._progress.start()
            self._task = self._progress.add_task("parse", total=None)
        self._progress.update(self._task, completed=n)

    def stop(self) -> None:
        if self._progress is not None:
            self._progress.stop()
