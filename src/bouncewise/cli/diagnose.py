"""``bouncewise diagnose`` and ``bouncewise scan-log``."""

from __future__ import annotations

import json
import sys
from typing import Any

import click

MAX_INPUT_LINE = 1_000_000  # characters of one stdin line that are read; the rest is skipped


_STAGES = {
    "CONN": "connection (greeting)", "EHLO": "EHLO", "HELO": "HELO", "MAIL": "MAIL FROM",
    "RCPT": "RCPT TO", "DATA": "DATA", ".": "end of data (after the message was sent)",
}


def _json(obj: dict[str, Any]) -> str:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))


def _show(d: Any) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    colour = "red" if d.hardbounce else ("yellow" if d.reason not in ("delivered", "vacation") else "green")
    console.print(f"[bold {colour}]{d.reason}[/] — {'hard' if d.hardbounce else 'soft'} bounce, retry: {d.retry}"
                  + (f" (after {d.retry_after}s)" if d.retry_after else ""))
    table = Table(show_header=False, box=None, pad_edge=False)
    for label, value in (
        ("reply code", d.replycode), ("status", d.status), ("decided by", d.decided_by),
        ("confidence", f"{d.confidence:.2f}"), ("SMTP stage", _STAGES.get(d.command or "", d.command)), ("recipient", d.recipient),
        ("remote host", d.rhost), ("remote IP", d.rip), ("provider", d.provider),
        ("category", d.category), ("who acts", d.who_acts),
    ):
        if value:
            table.add_row(f"[dim]{label}[/]", str(value))
    console.print(table)
    console.print(d.explanation, markup=False)
    for step in d.advice:
        console.print(f"  • {step}", markup=False)
    for ev in d.evidence:
        console.print(f"[dim]evidence: {ev['rule']} matched {ev['matched']!r}[/]")


@click.command(name="diagnose")
@click.argument("text", required=False)
@click.option("--json", "as_json", is_flag=True, help="Print the diagnosis as JSON.")
@click.option("--vendor", help="The receiving provider or MTA, if known (gmail, microsoft, ...).")
@click.option("--status", help="Enhanced status code from the bounce (a fact, e.g. 5.1.1).")
@click.option("--replycode", help="SMTP reply code from the bounce (e.g. 550).")
@click.option("--command", help="SMTP stage: CONN, EHLO, MAIL, RCPT, DATA or '.'.")
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
        return
    d = run(text, **kw)
    if as_json:
        click.echo(json.dumps(d.to_dict(), ensure_ascii=False, indent=2))
    else:
        _show(d)


@click.command(name="scan-log")
@click.argument("files", nargs=-1, required=True)
@click.option("--all", "include_sent", is_flag=True, help="Also write records for delivered (sent) attempts.")
@click.option("--summary", "summary_path", type=click.Path(dir_okay=False, writable=True),
              help="Write the summary (JSON) to this file instead of standard error.")
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
    """
    from bouncewise.logscan import Summary, open_log, scan

    summary = Summary()
    failed = False
    out = sys.stdout
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
    if not no_summary:
        text = json.dumps(summary.to_dict(), ensure_ascii=False, indent=2)
        if summary_path:
            with open(summary_path, "w", encoding="utf-8") as fh:
                fh.write(text + "\n")
        else:
            click.echo(text, err=True)
    if failed:
        sys.exit(1)
