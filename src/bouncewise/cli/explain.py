"""``bouncewise explain`` and ``bouncewise codes``: the knowledge base on the command line.

Output is plain text when piped and coloured (rich) on a terminal; rich is imported only
then, so a piped ``bouncewise explain`` starts fast. ``--json`` prints the documented
schema (docs/knowledge.md).
"""

from __future__ import annotations

import json
import sys
from typing import Any

import click

# A line is a list of (text, style) segments; style "" means plain.
Line = list[tuple[str, str]]

_WHO = {
    "sender": "the sender",
    "sender's admin": "the sender's administrator (or provider)",
    "recipient": "the recipient",
    "recipient's admin": "the recipient's administrator (or provider)",
    "nobody": "nobody: the sending server retries on its own",
}
_RETRY = {
    "no": "no: do not send it again as it is",
    "later": "yes, later: the problem may pass",
    "after-fix": "after fixing the cause",
}
_CLS = {
    "success": "success",
    "intermediate": "intermediate (waiting for more)",
    "transient": "temporary failure",
    "permanent": "permanent failure",
}
_CLS_STYLE = {"success": "green", "intermediate": "cyan", "transient": "yellow", "permanent": "red"}
_RELATION = {
    "standard": "standard",
    "generic": "generic",
    "vendor": "vendor",
    "reference": "reference pages",
    "dotted-reply": "dotted reply",
    "collapsed": "collapsed",
}


def _fail(message: str) -> None:
    click.echo(f"bouncewise: {message}", err=True)
    sys.exit(2)


def _use_rich(color: bool | None) -> bool:
    if color is not None:
        return color
    return sys.stdout.isatty()


def _emit(lines: list[Line], color: bool | None) -> None:
    if _use_rich(color):
        from rich.console import Console
        from rich.text import Text

        # no automatic highlighting: it would colour the parts of 5.7.1 or [brackets] apart
        console = Console(highlight=False, soft_wrap=False, force_terminal=bool(color) or None)
        for line in lines:
            if not line:
                console.print("")
                continue
            text = Text.assemble(*[(t, s or "") for t, s in line])
            hang = _hanging_indent(text.plain)
            if len(text.plain) <= console.width or hang == 0 or hang >= console.width - 10:
                console.print(text)
                continue
            # a wrapped bullet or numbered step keeps its later lines under its first word
            head, body = text[:hang], text[hang:]
            for i, part in enumerate(body.wrap(console, console.width - hang)):
                console.print(Text.assemble(head if i == 0 else " " * hang, part), soft_wrap=True)
    else:
        import os
        import textwrap

        try:
            columns = os.get_terminal_size(sys.stdout.fileno()).columns
        except (OSError, ValueError, AttributeError):
            columns = 100
        width = max(60, min(columns, 120))
        out = []
        for line in lines:
            text = "".join(t for t, _s in line)
            out.append(
                textwrap.fill(text, width=width, subsequent_indent=" " * _hanging_indent(text),
                              break_long_words=False, break_on_hyphens=False)
                if len(text) > width
                else text
            )
        click.echo("\n".join(out))


def _hanging_indent(text: str) -> int:
    """Where the later lines of a wrapped line start: under the first word after its indent
    and its bullet ("- ", "* ") or step number ("3. ")."""
    rest = text.lstrip(" ")
    indent = len(text) - len(rest)
    bullet = 2 if rest[:2] in ("- ", "* ") else 0
    if rest[:1].isdigit():
        bullet = rest.find(" ") + 1
    return indent + bullet


def _entry_lines(e: Any, full: bool = True) -> list[Line]:
    lines: list[Line] = []
    status = "registered" if e.registered else "NOT REGISTERED (generic reading)"
    kind = {"basic": "reply code", "enhanced": "enhanced status code", "non-standard": "non-standard code"}[e.kind]
    lines.append([(e.code, f"bold {_CLS_STYLE.get(e.cls, '')}"), ("  ", ""), (e.title, "bold")])
    failure = e.cls in ("transient", "permanent")
    # a success or an intermediate reply has no failure category, nobody to act, nothing to retry
    meta = f"  {kind} · {_CLS.get(e.cls, e.cls)}" + (f" · {e.category}" if failure else "") + f" · {status}"
    if e.vendor:
        meta += f" · vendor layer: {e.vendor}"
    lines.append([(meta, "dim" if e.registered else "yellow")])
    if e.since:
        lines.append([("  First used in: ", "dim"), (e.since, "")])
    lines.append([("  " + e.summary, "")])
    if not full:
        return lines
    lines.append([])
    if failure:
        lines.append([("  Who acts: ", "bold"), (_WHO.get(e.who_acts, e.who_acts), "")])
        lines.append([("  Retry:    ", "bold"), (_RETRY.get(e.retry, e.retry), "")])
        if e.reason:
            lines.append([("  Reason:   ", "bold"), (e.reason, "cyan"), (" (bounce reason name)", "dim")])
    elif e.cls == "success":
        lines.append([("  Nothing failed: ", "bold green"), ("nobody needs to act and nothing needs sending again.", "")])
    else:
        lines.append([("  Nothing failed: ", "bold"), ("the server waits for the rest of the command.", "")])
    if e.causes:
        lines.append([("  Typical causes:", "bold")])
        lines.extend([[("    - " + c, "")] for c in e.causes])
    if e.troubleshooting:
        lines.append([("  What to do:", "bold")])
        lines.extend([[(f"    {i}. {t}", "")] for i, t in enumerate(e.troubleshooting, 1)])
    if e.examples:
        lines.append([("  Examples:", "bold")])
        lines.extend([[("    " + x, "italic")] for x in e.examples[:4]])
    if e.vendor_notes:
        lines.append([("  Vendors:", "bold")])
        lines.extend([[(f"    - {k}: ", "cyan"), (v, "")] for k, v in sorted(e.vendor_notes.items())])
    if e.related:
        lines.append([("  Related: ", "bold"), (", ".join(e.related), "")])
    if e.references:
        lines.append([("  Sources: ", "bold"), ("; ".join(e.references[:4]), "dim")])
    for n in e.notes:
        lines.append([("  Note: ", "bold yellow"), (n, "")])
    return lines


def _together(ex: Any) -> Line:
    """What a pair means as one answer; says "agree" only when the class and the reason agree."""
    basic, enh = ex.codes
    reason = getattr(ex, "reason", None)
    means = [(" The pair means ", ""), (reason, "cyan"), (".", "")] if reason else []
    if not ex.agree:
        return [(f"the classes disagree ({basic} is class {basic[0]}, {enh} class {enh[0]}).", "bold red"),
                *means]
    if getattr(ex, "reasons_agree", None) is False:
        first, second = ex.entries[0].reason, ex.entries[1].reason
        return [(f"the two codes point to different reasons ({basic}: {first}, {enh}: {second}).", "bold yellow"),
                *means[:2], (": the enhanced status code is the more specific of the two.", "")]
    if reason:
        return [("the two codes agree: ", "green"), (reason, "cyan")]
    return [("the two codes agree on the class.", "green")]


def _explanation_lines(ex: Any) -> list[Line]:
    lines: list[Line] = []
    if ex.kind == "family":
        lines.append([(f"{ex.codes[0]}", "bold"), (f"  ({len(ex.entries)} codes)", "dim")])
        for e in ex.entries:
            lines.append([(f"  {e.code:<9}", _CLS_STYLE.get(e.cls, "")), (e.title, "")])
        return lines
    for i, e in enumerate(ex.entries):
        if i:
            lines.append([])
        lines.extend(_entry_lines(e))
    if ex.kind == "pair":
        lines.append([])
        lines.append([("Together: ", "bold"), *_together(ex)])
    if ex.ambiguous or len(ex.readings) > 1:
        lines.append([])
        head = "Readings (this code means different things to different sources):" if ex.ambiguous else "Readings:"
        lines.append([(head, "bold magenta" if ex.ambiguous else "bold")])
        for r in ex.readings:
            tag = _RELATION.get(r.relation, r.relation)
            lines.append([(f"  - [{tag}] ", "magenta"), (f"{r.code} ", "bold"), (r.title, ""), (f"  ({r.source})", "dim")])
    own = {n for e in ex.entries for n in e.notes}
    # the Together line already says when a pair's codes point to different reasons
    extra = [n for n in ex.notes if n not in own and not n.startswith("The two codes point to different reasons")]
    if extra:
        lines.append([])
        lines.extend([[("Note: ", "bold yellow"), (n, "")] for n in extra])
    return lines


def _queries(words: tuple[str, ...]) -> list[str]:
    """The codes asked about: the words as one query when they form one (a code, a pair such
    as '550 5.1.1', a family); otherwise each word on its own, a reply code followed by an
    enhanced status code kept together as a pair."""
    from bouncewise.knowledge.forms import looks_enhanced

    tokens = " ".join(words).split()
    if len(tokens) <= 1 or (len(tokens) == 2 and tokens[0].isdigit() and looks_enhanced(tokens[1])):
        return [" ".join(words)]
    out: list[str] = []
    i = 0
    while i < len(tokens):
        if i + 1 < len(tokens) and len(tokens[i]) == 3 and tokens[i].isdigit() and looks_enhanced(tokens[i + 1]):
            out.append(f"{tokens[i]} {tokens[i + 1]}")
            i += 2
        else:
            out.append(tokens[i])
            i += 1
    return out


@click.command(name="explain")
@click.argument("code", nargs=-1, required=True)
@click.option("--vendor", "-V", metavar="NAME", help="Apply a vendor's meaning (microsoft, gmail, ...).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON (schema in docs/knowledge.md).")
@click.option("--color/--no-color", default=None, help="Force colours on or off (default: on a terminal).")
def explain(code: tuple[str, ...], vendor: str | None, as_json: bool, color: bool | None) -> None:
    """Explain one or more SMTP codes: 550, 5.1.1, 511, '550 5.1.1' (a pair), 5.1.x or X.1.1
    (a family). Several codes are explained one after the other; a reply code followed by an
    enhanced status code is read as a pair.

    \b
    Examples:
      bouncewise explain 5.1.1
      bouncewise explain 550 5.7.1 --vendor microsoft
      bouncewise explain 5.1.1 5.2.2
      bouncewise explain 5.7.x --json

    With --json, one code (or pair, or family) gives one JSON object and several give an array.
    """
    from bouncewise.errors import InvalidCode
    from bouncewise.knowledge import explain as _explain

    queries = _queries(code)
    found = []
    problems = []
    for query in queries:
        try:
            found.append(_explain(query, vendor=vendor))
        except InvalidCode as err:
            problems.append(str(err))
        except ValueError as err:  # unknown vendor
            _fail(str(err))
            return
    if problems:
        _fail("\n".join(problems) if len(problems) == 1 else "\n  ".join(["not valid codes:", *problems]))
        return
    if as_json:
        data = found[0].to_dict() if len(found) == 1 else [ex.to_dict() for ex in found]
        click.echo(json.dumps(data, indent=2, ensure_ascii=False))
        return
    lines: list[Line] = []
    for i, ex in enumerate(found):
        if i:
            lines.extend([[], [("─" * 40, "dim")], []])
        lines.extend(_explanation_lines(ex))
    _emit(lines, color)


@click.command(name="codes")
@click.argument("query", nargs=-1)
@click.option("--class", "cls", metavar="CLASS", help="2, 3, 4, 5 or success/intermediate/transient/permanent.")
@click.option("--category", metavar="WORD", help="address, mailbox, mail system, network, protocol, content, security.")
@click.option("--vendor", "-V", metavar="NAME", help="List a vendor's own codes (microsoft, gmail, ...).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON: a list of entries.")
@click.option("--color/--no-color", default=None, help="Force colours on or off (default: on a terminal).")
def codes(query: tuple[str, ...], cls: str | None, category: str | None, vendor: str | None,
          as_json: bool, color: bool | None) -> None:
    """List or search the code knowledge base.

    \b
    Examples:
      bouncewise codes --class 5 --category security
      bouncewise codes mailbox full
      bouncewise codes --vendor gmail --json
    """
    from bouncewise.knowledge import codes as _codes
    from bouncewise.knowledge import vendors

    try:
        found = _codes(" ".join(query) or None, cls=cls, category=category, vendor=vendor)
    except ValueError as err:
        _fail(str(err))
        return
    if as_json:
        click.echo(json.dumps([e.to_dict() for e in found], indent=2, ensure_ascii=False))
        return
    lines: list[Line] = []
    for e in found:
        lines.append([
            (f"{e.code:<12}", f"bold {_CLS_STYLE.get(e.cls, '')}"),
            (f"{e.cls:<10} ", _CLS_STYLE.get(e.cls, "")),
            (f"{e.category:<20} ", "dim"),
            (e.title, ""),
        ])
    if not found:
        lines.append([("no codes match", "yellow")])
        if vendor is None:
            lines.append([(f"vendors: {', '.join(vendors())}", "dim")])
    _emit(lines, color)
