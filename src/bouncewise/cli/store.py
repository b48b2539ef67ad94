"""``bouncewise ingest``, ``suppressions``, ``history``, ``unsuppress`` and ``db``: the bounce
store (needs the ``store`` extra). SQLAlchemy is imported only when one of these runs."""

from __future__ import annotations

import csv
import io
import json
import sys
import time
from typing import Any

import click

DB_HELP = "Database URL (postgresql://user:pass@host/db, sqlite:///file.db or a file path). Default: env BOUNCEWISE_DB, else ~/.local/share/bouncewise/bouncewise.db."
POLICY_HELP = "Policy TOML file (default: env BOUNCEWISE_POLICY, else the packaged defaults; see docs/store.md)."


def _open(db: str | None, policy: str | None = None, **kw: Any) -> Any:
    try:
        from bouncewise.store import Store, StoreError
        from bouncewise.store.policy import load_policy
    except ImportError as exc:
        raise click.ClickException(f"the store needs the 'store' extra: pip install 'bouncewise[store]' ({exc.name} is missing)") from None
    try:
        return Store(db, policy=load_policy(policy), **kw)
    except (StoreError, ValueError) as exc:
        raise click.ClickException(str(exc)) from None


def _store_errors() -> tuple[type[BaseException], ...]:
    from bouncewise.store import ERRORS

    return ERRORS


# -- ingest -------------------------------------------------------------------------------


@click.command(name="ingest")
@click.argument("paths", nargs=-1, metavar="PATH...")
@click.option("--db", default=None, metavar="URL", help=DB_HELP)
@click.option("--from", "kind", type=click.Choice(["auto", "mail", "log", "events", "ses", "sendgrid", "mailgun", "postmark"]),
              default="auto", show_default=True,
              help="What the PATHs hold: bounce messages, an MTA log (scan-log), ESP event JSON (one ESP or any). auto: decided per file.")
@click.option("--policy", default=None, metavar="FILE", help=POLICY_HELP)
@click.option("--hash-addresses", is_flag=True, help="Store HMAC-SHA256 digests of addresses, never the addresses (key: env BOUNCEWISE_HMAC_KEY). Fixed for a store at its first ingest.")
@click.option("--keep-raw", is_flag=True, help="Also store each message's bytes (not stored by default).")
@click.option("--jobs", "-j", type=click.IntRange(1, 256), default=1, show_default=True, help="Processes analysing messages.")
@click.option("--batch-size", type=click.IntRange(1, 100_000), default=2000, show_default=True, help="Records per transaction.")
@click.option("--json", "as_json", is_flag=True, help="Print the run's counts as JSON on stdout.")
@click.option("--quiet", "-q", is_flag=True, help="No summary and no progress bar.")
@click.option("--progress/--no-progress", default=None, help="Progress bar on stderr (default: when stderr is a terminal).")
def ingest(paths: tuple[str, ...], db: str | None, kind: str, policy: str | None, hash_addresses: bool, keep_raw: bool,
           jobs: int, batch_size: int, as_json: bool, quiet: bool, progress: bool | None) -> None:
    """Store the records of bounce messages, MTA logs or ESP events, and update the
    suppression decisions of the addresses they name.

    \b
    Every input yields rows: bounces, delays, deliveries, auto-replies, complaints, and
    not-a-bounce and error records too, so counts reconcile with the input. Ingesting
    the same message or event again stores nothing new (see docs/store.md for the keys).

    \b
    Examples:
      bouncewise ingest ~/Maildir/.Bounces
      bouncewise ingest --db postgresql://bw@127.0.0.1/bw bounces.mbox.gz
      bouncewise ingest --from log /var/log/mail.log
      bouncewise ingest --from ses ses-events.json
      zcat old.mbox.gz | bouncewise ingest -

    Exit status: 0 all inputs read, 1 some could not be read (their error records are
    stored) or the store failed, 2 usage error.
    """
    from bouncewise.messages import Limits

    sources_: list[str] = list(paths)
    if not sources_:
        if sys.stdin.isatty():
            raise click.UsageError("give a PATH (file, directory, Maildir, mbox, log, event JSON) or '-' for standard input")
        sources_ = ["-"]
    if sources_.count("-") > 1:
        raise click.UsageError("'-' (standard input) can be given only once")
    if hash_addresses and keep_raw:
        raise click.UsageError("--keep-raw would keep the addresses that --hash-addresses keeps out; choose one")
    store = _open(db, policy, hash_addresses=hash_addresses)  # first: it explains a missing extra
    from bouncewise.store import sources

    limits = Limits()

    def units() -> Any:
        mail: list[str] = []
        for path in sources_:
            what = kind if kind != "auto" else sources.detect(path)
            if what == "mail":
                mail.append(path)
                continue
            if mail:
                yield from sources.mail_units(mail, limits, jobs=jobs, keep_raw=keep_raw)
                mail = []
            if what == "log":
                yield from sources.log_units(path)
            else:
                yield from sources.event_units(path, what, limits)
        if mail:
            yield from sources.mail_units(mail, limits, jobs=jobs, keep_raw=keep_raw)

    show = (not quiet) and (progress if progress is not None else sys.stderr.isatty())
    bar = _Bar(sources.input_size(sources_)) if show else None
    started = time.monotonic()
    try:
        stats = store.add_units(units(), batch_size=batch_size,
                                progress=bar.update if bar else None)
        counts = store.counts()
    except _store_errors() as exc:
        raise click.ClickException(f"store {store.shown_url}: {type(exc).__name__}: {str(exc).splitlines()[0][:300]}") from None
    finally:
        if bar:
            bar.stop()
        store.close()
    elapsed = time.monotonic() - started
    if as_json:
        click.echo(json.dumps({**stats.to_dict(), "store": counts, "db": store.shown_url, "seconds": round(elapsed, 3)}))
    if not quiet:
        err = sys.stderr
        rate = stats.records / elapsed if elapsed > 0 else 0.0
        err.write(f"bouncewise ingest: {stats.records} records from {stats.units} inputs in {elapsed:.1f}s ({rate:,.0f}/s): "
                  f"{stats.stored} stored, {stats.already} already stored\n")
        if stats.kinds:
            err.write("  by kind: " + ", ".join(f"{k} {n}" for k, n in stats.kinds.most_common()) + "\n")
        if stats.errors:
            err.write(f"  errors: {stats.errors} input(s) could not be read or analysed (stored as kind error)\n")
        sup = counts["suppressed"]
        err.write(f"  store {store.shown_url}: {counts['records']} records; suppressed: bounce {sup.get('bounce', 0)}, "
                  f"complaint {sup.get('complaint', 0)}\n")
    sys.exit(1 if stats.errors else 0)


class _Bar:
    """rich progress on stderr: a bar with total, rate and ETA when the input's size is
    known, else a spinner with the count and rate."""

    def __init__(self, total: int | None) -> None:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            Progress,
            SpinnerColumn,
            TaskProgressColumn,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        cols: list[Any] = [SpinnerColumn()]
        if total:
            cols += [BarColumn(), TaskProgressColumn(), TimeRemainingColumn()]
        cols += [TextColumn("{task.fields[records]} records, {task.fields[rate]} records/s"), TimeElapsedColumn()]
        self._started = time.monotonic()
        self._last = 0.0
        self._progress = Progress(*cols, console=Console(stderr=True), transient=True)
        self._task = self._progress.add_task("ingest", total=total or None, records=0, rate="0")
        self._progress.start()

    def update(self, records: int, done: int) -> None:
        now = time.monotonic()
        if now - self._last < 0.1:
            return
        self._last = now
        rate = records / max(1e-6, now - self._started)
        self._progress.update(self._task, completed=done, records=records, rate=f"{rate:,.0f}")

    def stop(self) -> None:
        self._progress.stop()


# -- suppressions -------------------------------------------------------------------------

COLUMNS = ("address", "list", "rule", "reason", "count", "first_seen", "last_seen", "evidence")


def _cell(value: Any) -> str:
    if isinstance(value, list):
        return " ".join(str(v) for v in value)
    return "" if value is None else str(value)


def write_rows(rows: list[dict[str, Any]], fmt: str, out: Any, columns: tuple[str, ...] = COLUMNS) -> None:
    if fmt == "json":
        out.write(json.dumps(rows, ensure_ascii=False, indent=2) + "\n")
    elif fmt == "ndjson":
        for r in rows:
            out.write(json.dumps(r, ensure_ascii=False) + "\n")
    elif fmt == "csv":
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(columns)
        for r in rows:
            w.writerow([_cell(r.get(c)) for c in columns])
        out.write(buf.getvalue())
    else:
        widths = {c: max([len(c)] + [len(_cell(r.get(c))) for r in rows]) for c in columns}
        widths["evidence"] = min(widths.get("evidence", 8), 30)
        widths["address"] = min(widths.get("address", 7), 48)
        out.write("  ".join(c.upper().ljust(widths[c]) for c in columns).rstrip() + "\n")
        for r in rows:
            cells = []
            for c in columns:
                t = _cell(r.get(c))
                if c in ("first_seen", "last_seen"):
                    t = t[:19].replace("T", " ")
                t = t if len(t) <= widths[c] else t[: widths[c] - 1] + "…"
                cells.append(t.ljust(widths[c]))
            out.write("  ".join(cells).rstrip() + "\n")


@click.command(name="suppressions")
@click.option("--db", default=None, metavar="URL", help=DB_HELP)
@click.option("--policy", default=None, metavar="FILE", help=POLICY_HELP)
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json", "ndjson"]), default=None,
              help="Output format. Default: table on a terminal, csv otherwise.")
@click.option("--list", "list_name", type=click.Choice(["bounce", "complaint"]), default=None, help="Only this list (default: both).")
@click.option("--recompute", is_flag=True, help="Re-decide the whole history with the policy first (after changing it).")
def suppressions(db: str | None, policy: str | None, fmt: str | None, list_name: str | None, recompute: bool) -> None:
    """List the suppressed addresses and why: the list (bounce or complaint), the rule
    (hard, soft, complaint), the reason, how many records, first and last seen, and the
    ids of the evidence records (see `bouncewise history ADDRESS`).

    \b
    Examples:
      bouncewise suppressions
      bouncewise suppressions --format csv > suppressed.csv
      bouncewise suppressions --policy strict.toml --recompute --list bounce

    Exit status: 0 success, 1 store error, 2 usage error.
    """
    store = _open(db, policy)
    try:
        if recompute:
            n = store.recompute()
            click.echo(f"bouncewise suppressions: re-decided the history with {store.policy.source}: {n} suppression(s)", err=True)
        elif store.stale_policy():
            click.echo("bouncewise suppressions: some decisions were made with another policy; run with --recompute to apply this one", err=True)
        rows = store.suppressions(list_name)
    except _store_errors() as exc:
        raise click.ClickException(str(exc).splitlines()[0][:300]) from None
    finally:
        store.close()
    if fmt is None:
        fmt = "table" if sys.stdout.isatty() else "csv"
    write_rows(rows, fmt, sys.stdout)


# -- history / unsuppress -----------------------------------------------------------------


@click.command(name="history")
@click.argument("address")
@click.option("--db", default=None, metavar="URL", help=DB_HELP)
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default=None, help="Default: table on a terminal, json otherwise.")
def history(address: str, db: str | None, fmt: str | None) -> None:
    """Show one address's timeline: every stored record naming it, its suppressions and
    the audit trail of unsuppressions.

    \b
    Examples:
      bouncewise history jo@example.org
      bouncewise history jo@example.org --format json

    Exit status: 0 the address is known, 1 nothing stored for it (or store error), 2 usage error.
    """
    store = _open(db)
    try:
        h = store.history(address)
    except _store_errors() as exc:
        raise click.ClickException(str(exc).splitlines()[0][:300]) from None
    finally:
        store.close()
    if fmt is None:
        fmt = "table" if sys.stdout.isatty() else "json"
    if fmt == "json":
        click.echo(json.dumps(h, ensure_ascii=False, indent=2, default=str))
    else:
        out = sys.stdout
        state = ", ".join(f"{d['list']} ({d['rule']}, {d['reason']})" for d in h["decisions"]) or "not suppressed"
        out.write(f"{h['address']}: {state}\n")
        for r in h["timeline"]:
            note = " ".join((r.get("diagnosticcode") or "").split())
            out.write(f"  {r['occurred_at'][:19].replace('T', ' ')}  #{r['id']:<6} {r['kind']:<12} {r['reason'] or '-':<15} "
                      f"{r['status'] or '-':<7} {'hard' if r['hardbounce'] else '    '}  {r['engine'] or '-'}\n")
            if note:
                out.write(f"      {note[:150]}\n")
        for a in h["audit"]:
            out.write(f"  {a['at'][:19].replace('T', ' ')}  {a['action']} by {a['actor'] or '?'}: {a['note'] or ''}\n")
    sys.exit(0 if h["timeline"] or h["audit"] else 1)


@click.command(name="unsuppress")
@click.argument("address")
@click.option("--note", required=True, help="Why (kept in the audit trail).")
@click.option("--db", default=None, metavar="URL", help=DB_HELP)
@click.option("--policy", default=None, metavar="FILE", help=POLICY_HELP)
@click.option("--actor", default=None, help="Who (default: the login name).")
def unsuppress(address: str, note: str, db: str | None, policy: str | None, actor: str | None) -> None:
    """Lift an address's suppressions, with a note for the audit trail. What was seen up
    to now is forgiven; new bounces or complaints count again.

    \b
    Example:
      bouncewise unsuppress jo@example.org --note "mailbox restored, ticket 4711"

    Exit status: 0 lifted, 1 the address was not suppressed (nothing written) or store error, 2 usage error.
    """
    store = _open(db, policy)
    try:
        lifted = store.unsuppress(address, note, actor)
    except _store_errors() as exc:
        raise click.ClickException(str(exc).splitlines()[0][:300]) from None
    finally:
        store.close()
    if not lifted:
        click.echo(f"bouncewise unsuppress: {address} is not suppressed; nothing written", err=True)
        sys.exit(1)
    for d in lifted:
        click.echo(f"unsuppressed {d['address']} ({d['list']}: {d['rule']}, {d['reason']}, {d['count']} record(s))")


# -- db -----------------------------------------------------------------------------------


@click.group(name="db")
def db_group() -> None:
    """The store's database: schema migrations and counts."""


@db_group.command(name="upgrade")
@click.option("--db", default=None, metavar="URL", help=DB_HELP)
def db_upgrade(db: str | None) -> None:
    """Bring the schema up to date (every store command also does this on open)."""
    store = _open(db)
    from bouncewise.store.engine import current_revision

    click.echo(f"{store.shown_url}: schema at revision {current_revision(store.engine)}")
    store.close()


@db_group.command(name="info")
@click.option("--db", default=None, metavar="URL", help=DB_HELP)
def db_info(db: str | None) -> None:
    """Counts of the store as JSON: records by kind, inputs, suppressions by list."""
    store = _open(db)
    try:
        click.echo(json.dumps({"db": store.shown_url, **store.counts()}, indent=2))
    finally:
        store.close()
