"""``bouncewise diagnose`` and ``bouncewise scan-log``."""

from __future__ import annotations

import io
import json
import re
import sys
from typing import Any

import click

from bouncewise.diagnosis.words import evidence_words

MAX_INPUT_LINE = 1_000_000  # characters of one stdin line that are read; the rest is skipped


_STAGES = {
    "CONN": "connection (greeting)", "EHLO": "EHLO", "HELO": "HELO", "MAIL": "MAIL FROM",
    "RCPT": "RCPT TO", "DATA": "DATA", ".": "end of data (after the message was sent)",
}


def _json(obj: dict[str, Any]) -> str:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))


_RETRY_WORDS = {
    "no": "do not send it again",
    "later": "retry later",
    "after-fix": "retry after fixing the cause",
}
_WHO_WORDS = {
    "sender": "the sender",
    "sender's admin": "the sender's administrator (or provider)",
    "recipient": "the recipient",
    "recipient's admin": "the recipient's administrator (or provider)",
    "nobody": "nobody (the sending server retries on its own)",
}
_DECIDED_WORDS = {
    "text": "the words of the reply",
    "status": "the enhanced status code",
    "replycode": "the reply code",
    "vendor": "the provider's own codes",
    "special": "a special case in the reply",
    "none": "nothing conclusive",
}
def _show(d: Any) -> None:
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    # no automatic highlighting: it would colour the parts of 5.7.1 or [brackets] differently
    console = Console(highlight=False)
    colour = "red" if d.hardbounce else ("yellow" if d.reason not in ("delivered", "vacation") else "green")
    head = Text.assemble((str(d.reason), f"bold {colour}"),
                         f" — {'hard' if d.hardbounce else 'soft'} bounce, {_RETRY_WORDS.get(d.retry, d.retry)}")
    if d.retry_after:
        head.append(f" (after {d.retry_after} s)")
    console.print(head)
    table = Table(show_header=False, box=None, pad_edge=False)
    table.add_column(style="dim", no_wrap=True)
    table.add_column(overflow="fold")
    for label, value in (
        ("reply code", d.replycode), ("status", d.status),
        ("decided by", _DECIDED_WORDS.get(d.decided_by, d.decided_by)),
        ("confidence", f"{d.confidence:.2f}"), ("SMTP stage", _STAGES.get(d.command or "", d.command)),
        ("recipient", d.recipient), ("remote host", d.rhost), ("remote IP", d.rip), ("provider", d.provider),
        ("category", d.category), ("who acts", _WHO_WORDS.get(d.who_acts, d.who_acts)),
    ):
        if value:
            table.add_row(label, Text(str(value)))
    console.print(table)
    console.print(Text(d.explanation))
    _bullets(console, "  • ", [str(s) for s in d.advice], "")
    if d.evidence:
        console.print(Text("Why:", style="dim"))
        _bullets(console, "  - ", [evidence_words(ev) for ev in d.evidence], "dim")


def _bullets(console: Any, mark: str, items: list[str], style: str) -> None:
    """Items under a mark, each wrapped to the console's width with its later lines indented
    under its first word."""
    import textwrap

    from rich.text import Text

    width = max(20, console.width - len(mark))
    pad = " " * len(mark)
    for item in items:
        lines = textwrap.wrap(item, width, break_long_words=True, break_on_hyphens=False) or [""]
        for i, line in enumerate(lines):
            console.print(Text((mark if i == 0 else pad) + line, style=style), soft_wrap=True)


_STATUS_RE = re.compile(r"#?([245])\.([0-9]{1,3})\.([0-9]{1,3})")
_REPLY_RE = re.compile(r"[2-5][0-9][0-9]")
_COMMANDS = ("CONN", "HELO", "EHLO", "MAIL", "RCPT", "DATA", ".")


def _check_status(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    if value is None:
        return None
    m = _STATUS_RE.fullmatch(value.strip())
    if not m:
        raise click.BadParameter(f"{value!r} is not an enhanced status code (class 2, 4 or 5, e.g. 5.1.1 or 4.2.2)")
    return "{}.{}.{}".format(*(int(g) for g in m.groups()))


def _check_reply(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    if value is None:
        return None
    if not _REPLY_RE.fullmatch(value.strip()):
        raise click.BadParameter(f"{value!r} is not an SMTP reply code (three digits from 200 to 599, e.g. 550)")
    return value.strip()


def _check_command(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    if value is None:
        return None
    words = value.strip().upper().split()
    cmd = words[0] if words else ""
    if cmd == "END-OF-DATA":
        cmd = "."
    if cmd not in _COMMANDS:
        raise click.BadParameter(f"{value!r} is not an SMTP stage; use one of {', '.join(_COMMANDS)}")
    return cmd


@click.command(name="diagnose")
@click.argument("text", required=False)
@click.option("--json", "as_json", is_flag=True, help="Print the diagnosis as JSON.")
@click.option("--vendor", help="The receiving provider or MTA, if known (gmail, microsoft, ...).")
@click.option("--status", callback=_check_status, help="Enhanced status code from the bounce (a fact, e.g. 5.1.1).")
@click.option("--replycode", callback=_check_reply, help="SMTP reply code from the bounce (e.g. 550).")
@click.option("--command", callback=_check_command, help="SMTP stage: CONN, EHLO, HELO, MAIL, RCPT, DATA or '.'.")
@click.option("--rhost", help="The remote host that answered.")
def diagnose(
    text: str | None,
    as_json: bool,
    vendor: str | None,
    status: str | None,
    replycode: str | None,
    command: str | None,
    rhost: str | None,
) -> None:
    """Diagnose an SMTP reply or a mail-log line.

    \b
    TEXT is one reply (quote it), or '-' to read one reply or log line per input line and
    write NDJSON, one record per input line, in order.
    \b
    Examples:
      bouncewise diagnose '550 5.1.1 <jo@example.org>: Recipient address rejected: User unknown'
      bouncewise diagnose --json '452 4.2.2 The email account that you tried to reach is over quota'
      grep status=bounced /var/log/mail.log | bouncewise diagnose -
    """
    from bouncewise.diagnosis import diagnose as run

    kw = {"vendor": vendor, "status": status, "replycode": replycode, "command": command, "rhost": rhost}
    if text is None:
        raise click.UsageError("give a reply text, or '-' to read lines from standard input")
    if text != "-" and not text.strip():
        raise click.UsageError("nothing to diagnose: the reply text is empty")
    if text == "-":
        stream = sys.stdin.buffer
        out = sys.stdout
        n = 0
        while True:
            raw = stream.readline(MAX_INPUT_LINE)
            if not raw:
                break
            if not raw.endswith(b"\n"):  # an over-long line: skip its rest, keep one record
                while True:
                    more = stream.readline(MAX_INPUT_LINE)
                    if not more or more.endswith(b"\n"):
                        break
            n += 1
            line = raw.decode("utf-8", errors="replace").rstrip("\r\n")
            rec = run(line, **kw).to_dict()
            rec["line"] = n
            out.write(_json(rec) + "\n")
        out.flush()
        if n == 0:
            click.echo("bouncewise diagnose: nothing to diagnose: standard input was empty", err=True)
            sys.exit(2)
        return
    d = run(text, **kw)
    if as_json:
        click.echo(json.dumps(d.to_dict(), ensure_ascii=False, indent=2))
    else:
        _show(d)


def _not_a_summary(path: str) -> bool:
    """True when ``path`` is an existing file with content that is not JSON (a log, say)."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(256).lstrip()
    except OSError:
        return False
    return bool(head) and head[:1] != b"{"


@click.command(name="scan-log")
@click.argument("files", nargs=-1)
@click.option("--all", "include_sent", is_flag=True, help="Also write records for delivered (sent) attempts.")
@click.option("--summary", "summary_path", is_flag=False, flag_value="", default=None, metavar="[FILE]",
              help="Alone: print summary tables (by state, reason, provider, domain) instead of the "
              "records. With FILE: write the summary (JSON) to FILE instead of standard error.")
@click.option("--no-summary", is_flag=True, help="Do not print a summary.")
def scan_log(files: tuple[str, ...], include_sent: bool, summary_path: str | None, no_summary: bool) -> None:
    """Scan Postfix, Exim or Sendmail logs for failed deliveries.

    \b
    FILES are log files ('-' for standard input; .gz is read transparently). Writes NDJSON, one
    record per delivery attempt of a recipient (bounced, deferred, expired; --all adds sent),
    and a summary by state, reason, domain and provider on standard error.
    \b
    Examples:
      bouncewise scan-log /var/log/mail.log
      zcat /var/log/mail.log.*.gz | bouncewise scan-log - --summary summary.json
      bouncewise scan-log /var/log/mail.log --summary
    """
    from bouncewise.logscan import Summary, open_log, scan

    if summary_path and (summary_path in files or _not_a_summary(summary_path)):
        raise click.UsageError(f"--summary would overwrite {summary_path}, which is not a JSON summary "
                               "(give --summary after the FILES for tables, or --summary=OUT.json)")
    if not files:
        raise click.UsageError("give log FILES ('-' for standard input); a bare --summary goes after them")

    summary = Summary()
    failed = False
    tables_only = summary_path == ""
    out = io.StringIO() if tables_only else sys.stdout
    for name in files:
        try:
            fh = open_log(name)
        except OSError as exc:
            click.echo(f"bouncewise scan-log: {name}: {exc.strerror or exc}", err=True)
            failed = True
            continue
        try:
            for rec in scan(fh, include_sent=include_sent):
                d = rec.to_dict()
                d["file"] = name
                out.write(_json(d) + "\n")
                summary.add(rec)
        except (OSError, EOFError) as exc:  # a truncated .gz, a read error
            click.echo(f"bouncewise scan-log: {name}: {exc}", err=True)
            failed = True
        finally:
            if fh is not sys.stdin:
                fh.close()
    out.flush()
    if tables_only:
        from bouncewise.writers import print_tables

        n = summary.records
        print_tables(sys.stdout, f"bouncewise scan-log: {n} delivery attempt{'s' if n != 1 else ''}", [
            ("state", "records", summary.by_state, None), ("reason", "records", summary.by_reason, 10),
            ("provider", "records", summary.by_provider, 10), ("domain", "records", summary.by_domain, 10),
        ])
    elif not no_summary:
        text = json.dumps(summary.to_dict(), ensure_ascii=False, indent=2)
        if summary_path:
            with open(summary_path, "w", encoding="utf-8") as fh:
                fh.write(text + "\n")
        else:
            click.echo(text, err=True)
    if failed:
        sys.exit(1)
