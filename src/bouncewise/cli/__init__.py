"""The ``bouncewise`` command. Subcommands live in their own modules and are imported
only when used, so ``bouncewise --help`` and ``bouncewise explain`` start fast."""

from __future__ import annotations

import gc

# Importing click and the command modules makes thousands of objects that live to the end
# of the process; the cyclic garbage collector would only walk them again and again
# meanwhile. It is paused while this module is imported (and see LazyGroup.get_command).
_GC_WAS_ON = gc.isenabled()
gc.disable()

import importlib  # noqa: E402
import sys  # noqa: E402

import click  # noqa: E402

from bouncewise import __version__  # noqa: E402

# name -> "module:attribute" of a click.Command
COMMANDS: dict[str, str] = {
    "explain": "bouncewise.cli.explain:explain",
    "codes": "bouncewise.cli.explain:codes",
    "diagnose": "bouncewise.cli.diagnose:diagnose",
    "scan-log": "bouncewise.cli.diagnose:scan_log",
    "parse": "bouncewise.cli.parse:parse",
    "serve": "bouncewise.cli.serve:serve",
    "report": "bouncewise.cli.report:report",
    "ingest": "bouncewise.cli.store:ingest",
    "suppressions": "bouncewise.cli.store:suppressions",
    "history": "bouncewise.cli.store:history",
    "unsuppress": "bouncewise.cli.store:unsuppress",
    "db": "bouncewise.cli.store:db_group",
    "spark": "bouncewise.cli.spark:spark",
}

SHORT_HELP = {
    "explain": "Explain an SMTP code: 550, 5.1.1, '550 5.1.1', 5.1.x.",
    "codes": "List or search the code knowledge base.",
    "diagnose": "Diagnose an SMTP reply or a mail-log line.",
    "scan-log": "Scan Postfix/Exim/Sendmail logs for failed deliveries.",
    "parse": "Analyse bounce messages (.eml, mbox, Maildir, stdin, ESP events).",
    "serve": "Run the HTTP API and web page (needs bouncewise[web]).",
    "report": "Make a self-contained HTML (or Markdown) report of bounces, logs or NDJSON.",
    "ingest": "Store bounces, log records and ESP events (needs bouncewise[store]).",
    "suppressions": "List suppressed addresses and why; --recompute after a policy change.",
    "history": "One address's timeline of records, suppressions and audit.",
    "unsuppress": "Lift an address's suppression, with a note for the audit trail.",
    "db": "The store's database: schema upgrade and counts.",
    "spark": "Analyse bounces on Apache Spark, batch or streaming (needs bouncewise[spark]).",
}


# Commands whose start-up (the imports inside the command, loading the decoders and tables
# for the first message) runs with the cyclic garbage collector paused: bouncewise.jobs
# resumes it after the first message (or when the command ends).
_PAUSED_UNTIL_FIRST_MESSAGE = frozenset({"parse"})


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = COMMANDS.get(cmd_name)
        if target is None:
            return None
        module, attr = target.split(":")
        paused = gc.isenabled()  # imports make thousands of objects that live to the end:
        if paused:  # the cyclic collector would only walk them again and again meanwhile
            gc.disable()
        try:
            return getattr(importlib.import_module(module), attr)
        except (ImportError, AttributeError):
            # Not built yet (or an optional extra is missing): show a clear stub.
            @click.command(name=cmd_name, help=SHORT_HELP.get(cmd_name))
            def missing() -> None:
                raise click.ClickException(f"'{cmd_name}' is not available in this installation")

            return missing
        finally:
            if paused:
                if cmd_name in _PAUSED_UNTIL_FIRST_MESSAGE:
                    import atexit

                    from bouncewise import jobs

                    jobs.resume_gc_later()
                    # and no full collection at exit, over everything loaded: the process
                    # ends, its memory goes back to the system all the same
                    atexit.register(gc.disable)
                else:
                    gc.enable()

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        finally:
            jobs = sys.modules.get("bouncewise.jobs")
            if jobs is not None:  # a command that ended before its first message
                jobs.resume_gc()

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, SHORT_HELP.get(name, "")) for name in COMMANDS]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="bouncewise")
def main() -> None:
    """bouncewise: why an email was not delivered, and what to do about it.

    \b
    Examples:
      bouncewise explain 5.1.1
      bouncewise explain '550 5.7.1' --vendor microsoft
      bouncewise diagnose '452 4.2.2 The email account that you tried to reach is over quota'
      bouncewise parse bounces/ --format csv > report.csv
      tail -f /var/log/mail.log | bouncewise scan-log -

    Exit status: 0 success, 1 some input could not be read, 2 usage error.
    """


if _GC_WAS_ON:
    gc.enable()
