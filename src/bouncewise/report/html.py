"""The report as one self-contained HTML page: the CSS and the few lines of JavaScript are
inlined, the charts are inline SVG, nothing is fetched (a Content-Security-Policy says so to
the browser too). Every chart has its figures as a text table in a ``<details>`` beside it.
"""

from __future__ import annotations

import csv
import io
import os
from html import escape
from string import Template
from typing import Any

from bouncewise import __version__
from bouncewise.report import svg

HERE = os.path.dirname(os.path.abspath(__file__))
KIND_LABELS = {
    "bounce": "bounce (delivery failed)",
    "delayed": "delayed (still being retried)",
    "delivered": "delivered (success notice)",
    "vacation": "vacation (auto-reply)",
    "feedback": "feedback (complaint report)",
    "not-a-bounce": "not a bounce",
    "error": "error (could not be read)",
}


def _read(name: str) -> str:
    with open(os.path.join(HERE, name), encoding="utf-8") as fh:
        return fh.read()


def _n(n: int | float) -> str:
    return f"{n:,}" if isinstance(n, int) else f"{n:,.1f}"


def _td(n: int | float) -> str:
    return f'<td class="n" data-n="{n}">{_n(n)}</td>'


def _details(summary: str, table: str) -> str:
    return f"<details><summary>{escape(summary)}</summary>{table}</details>"


def _table(head: list[str], rows: list[str], cls: str = "") -> str:
    th = "".join(f'<th scope="col">{escape(h)}</th>' for h in head)
    return f'<div class="scroll"><table class="{cls}"><thead><tr>{th}</tr></thead><tbody>{"".join(rows)}</tbody></table></div>'


def _mix_text(mix: dict[str, int], limit: int = 4) -> str:
    items = sorted(mix.items(), key=lambda kv: -kv[1])
    text = ", ".join(f"{escape(r)} {_n(n)}" for r, n in items[:limit])
    if len(items) > limit:
        text += f", {len(items) - limit} more"
    return text


def remove_csv(rows: list[list[Any]]) -> str:
    """The addresses to remove as CSV text (what the page's download button saves)."""
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(["address", "reason", "last_seen", "bounces"])
    w.writerows(rows)
    return out.getvalue()


CSP = "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:"
ASSETS = ("report.css", "report.js")


def asset(name: str) -> str:
    """The text of report.css or report.js (what ``bouncewise serve`` serves beside its page)."""
    if name not in ASSETS:
        raise KeyError(name)
    return _read(name)


def render(rep: dict[str, Any], title: str = "Bounce report", *, assets_url: str | None = None) -> str:
    """The page. Self-contained (CSS and JS inlined, a Content-Security-Policy that forbids
    any fetch) unless ``assets_url`` is given: then the CSS and JS are linked from there
    (for ``bouncewise serve``, whose own policy forbids inline code)."""
    palette = svg.colours(rep["reason_order"])
    titles = {r["reason"]: r["title"] for r in rep["reasons"]}
    cards, totals = _glance(rep)
    body = "".join([
        _header(rep, title),
        cards,
        _actions(rep),
        totals,
        _reasons(rep, palette),
        _hard_who(rep),
        _groups(rep, "providers", "By receiving provider", palette, titles),
        _groups(rep, "domains", "By recipient domain", palette, titles),
        _timeline(rep, palette, titles),
        _replies(rep),
        _records(rep),
        _remove(rep),
        _footer(rep),
    ])
    page = Template(_read("template.html"))
    if assets_url is None:
        csp = f'<meta http-equiv="Content-Security-Policy" content="{CSP}">\n'
        css = f"<style>\n{_read('report.css')}</style>"
        js = f"<script>\n{_read('report.js')}</script>"
    else:
        base = escape(assets_url.rstrip("/"))
        csp = ""
        css = f'<link rel="stylesheet" href="{base}/report.css">'
        js = f'<script src="{base}/report.js"></script>'
    return page.substitute(title=escape(title), csp=csp, css=css, js=js, body=body)


def _header(rep: dict[str, Any], title: str) -> str:
    inputs = ", ".join(
        f"{escape(i['name'])} ({escape(i['kind'])}{': ' + escape(i['error']) if i.get('error') else ''})" for i in rep["inputs"]
    )
    t = rep["totals"]
    lead = (
        f"{_n(t['failures'])} failed or delayed deliveries in {_n(t['records'])} records"
        f" from {_n(t['messages'])} messages"
    )
    return (
        f'<header><h1>{escape(title)}</h1><p class="lead">{lead}.</p>'
        f'<p class="meta">Made {escape(rep["generated"])} by bouncewise {escape(__version__)} from {inputs or "no input"}.</p>'
        '<nav aria-label="Sections"><a href="#first">What to do first</a> <a href="#reasons">Reasons</a> '
        '<a href="#providers">Providers</a> <a href="#domains">Domains</a> <a href="#time">Over time</a> '
        '<a href="#replies">Replies</a> <a href="#remove">Addresses to remove</a></nav></header>'
    )


def _glance(rep: dict[str, Any]) -> tuple[str, str]:
    """The cards at the top, and the totals section (records by kind, errors) shown after
    the actions."""
    t = rep["totals"]
    errors = sum(t["errors"].values())
    cards = [
        ("messages", "Messages", t["messages"]),
        ("records", "Records", t["records"]),
        ("failures", "Failures (bounce + delayed)", t["failures"]),
        ("hard", "Hard bounces", t["hard"]),
        ("addresses", "Addresses to remove", t["addresses"]),
        ("errors", "Errors", errors),
    ]
    dl = "".join(f'<div><dt>{escape(label)}</dt><dd data-total="{key}">{_n(n)}</dd></div>' for key, label, n in cards)
    rows = [f'<tr data-kind="{escape(k)}"><th scope="row">{escape(KIND_LABELS.get(k, k))}</th>{_td(n)}</tr>'
            for k, n in t["kinds"].items()]
    rows.append(f'<tr class="sum"><th scope="row">all records</th>{_td(t["records"])}</tr>')
    err_rows = [f'<tr data-error="{escape(k)}"><th scope="row">{escape(k)}</th>{_td(n)}</tr>' for k, n in t["errors"].items()]
    errs = _table(["error", "count"], err_rows, "errors") if err_rows else "<p>No errors: every input was read.</p>"
    totals = (
        '<section id="totals"><h2>Totals</h2><p>Every record of the input is counted once, by kind; '
        "failures are the bounce and delayed records.</p>"
        '<div class="two"><div><h3>Records by kind</h3>'
        + _table(["kind", "records"], rows, "kinds")
        + f"</div><div><h3>Errors</h3>{errs}</div></div></section>"
    )
    return f'<section id="glance"><h2>At a glance</h2><dl class="cards">{dl}</dl></section>', totals


def _actions(rep: dict[str, Any]) -> str:
    acts = rep["actions"]
    if not acts:
        return '<section id="first"><h2>What to do first</h2><p>No failures that someone has to act on.</p></section>'
    items = []
    for a in acts:
        where = f" at <strong>{escape(a['provider'])}</strong>" if a.get("provider") else ""
        hosts = ", ".join(escape(h) for h, _ in a["rhosts"][:3])
        hosts_p = f'<p class="hosts">Remote hosts: {hosts}{" and more" if a["more_rhosts"] or len(a["rhosts"]) > 3 else ""}</p>' if hosts else ""
        remove = " These addresses are in the list to remove below." if a["remove"] else ""
        items.append(
            f'<li id="{a["id"]}-summary" data-reason="{escape(a["reason"])}" data-count="{a["count"]}">'
            f'<p class="act"><span class="big">{_n(a["count"])}</span> failures ({a["share"]}%) are '
            f'<strong>{escape(a["title"].lower())}</strong> <code>{escape(a["reason"])}</code>{where}.</p>'
            f'<p class="advice">{escape(a["advice"])}{remove}</p>'
            f'<p class="who">Who acts: {escape(a["who_label"])}. <a href="#{a["id"]}">See the records behind it</a></p>'
            f"{hosts_p}</li>"
        )
    covered = sum(a["count"] for a in acts)
    share = round(100 * covered / rep["totals"]["failures"], 1) if rep["totals"]["failures"] else 0
    return (
        '<section id="first"><h2>What to do first</h2>'
        f"<p>These {len(acts)} actions cover {_n(covered)} of {_n(rep['totals']['failures'])} failures ({share}%), "
        "largest first. Failures the sender's side must fix are grouped by receiving provider.</p>"
        f'<ol class="actions">{"".join(items)}</ol></section>'
    )


def _reasons(rep: dict[str, Any], palette: dict[str, str]) -> str:
    rows = rep["reasons"]
    if not rows:
        return '<section id="reasons"><h2>Failures by reason</h2><p>No failures.</p></section>'
    chart = svg.hbars(
        [{"label": r["reason"], "value": r["count"], "colour": palette.get(r["reason"], svg.OTHER), "href": f"#reply-{r['reason']}",
          "note": r["title"]}
         for r in rows],
        "Failures by reason",
    )
    trs = [
        f'<tr data-reason="{escape(r["reason"])}"><th scope="row"><code>{escape(r["reason"])}</code></th>'
        f'<td>{escape(r["title"])}</td>{_td(r["count"])}{_td(r["hard"])}{_td(r["bounce"] - r["hard"])}{_td(r["delayed"])}'
        f'<td>{escape(r["who_acts"])}</td></tr>'
        for r in rows
    ]
    table = _table(["reason", "meaning", "failures", "hard", "soft", "delayed", "who acts"], trs, "reasons")
    return (
        '<section id="reasons"><h2>Failures by reason</h2>'
        f'<figure data-chart="reasons"><figcaption>Failures (bounce and delayed records) by Sisimai reason.</figcaption>{chart}'
        + _details("Table: failures by reason", table)
        + "</figure></section>"
    )


def _hard_who(rep: dict[str, Any]) -> str:
    hs = rep["hard_soft"]
    hs_chart = svg.hbars(
        [{"label": h["key"], "value": h["count"], "colour": svg.HARD if h["key"] == "hard" else svg.SOFT} for h in hs],
        "Hard and soft failures",
    )
    hs_rows = [f'<tr data-key="{h["key"]}"><th scope="row">{escape(h["label"])}</th>{_td(h["count"])}</tr>' for h in hs]
    who = rep["who_acts"]
    who_chart = svg.hbars(
        [{"label": w["who"], "value": w["count"], "colour": svg.PALETTE[0]} for w in who],
        "Failures by who has to act",
    )
    who_rows = [f'<tr data-key="{escape(w["who"])}"><th scope="row">{escape(w["label"])}</th>{_td(w["count"])}<td>{w["share"]}%</td></tr>'
                for w in who]
    return (
        '<section id="hardsoft"><h2>Hard or soft, and who has to act</h2><div class="two">'
        f'<figure data-chart="hardsoft"><figcaption>Hard bounces mean the address will never work.</figcaption>{hs_chart}'
        + _details("Table: hard and soft", _table(["", "failures"], hs_rows, "hardsoft"))
        + f'</figure><figure data-chart="who"><figcaption>Who has to act, from each reason.</figcaption>{who_chart}'
        + _details("Table: who acts", _table(["who acts", "failures", "share"], who_rows, "who"))
        + "</figure></div></section>"
    )


def _groups(rep: dict[str, Any], key: str, title: str, palette: dict[str, str], titles: dict[str, str]) -> str:
    g = rep[key]
    rows = g["rows"]
    if not rows:
        return f'<section id="{key}"><h2>{escape(title)}</h2><p>No failures.</p></section>'
    shown = {r for row in rows for r in row["mix"]}
    pal = {r: c for r, c in palette.items() if r in shown}
    chart = svg.stacked_hbars(rows, pal, f"{title}: failures by reason, top {len(rows)}")
    trs = [
        f'<tr data-name="{escape(r["name"])}"><th scope="row">{escape(r["name"])}</th>{_td(r["count"])}<td>{_mix_text(r["mix"])}</td></tr>'
        for r in rows
    ]
    rest = f"<p>{_n(g['rest'])} more failures in {_n(g['distinct'] - len(rows))} other groups.</p>" if g["rest"] else ""
    return (
        f'<section id="{key}"><h2>{escape(title)}</h2><p>{_which(len(rows), g["distinct"])} by failures (the figure after each bar); '
        "each bar shows the shares of the reasons.</p>"
        f'<figure data-chart="{key}">{chart}{svg.legend(pal, titles, any(r not in pal for row in rows for r in row["mix"]))}'
        + _details(f"Table: {title.lower()}", _table(["name", "failures", "reasons"], trs, key))
        + "</figure>"
        + rest
        + "</section>"
    )


def _which(shown: int, distinct: int) -> str:
    return f"All {_n(distinct)}" if shown >= distinct else f"The top {shown} of {_n(distinct)}"


def _timeline(rep: dict[str, Any], palette: dict[str, str], titles: dict[str, str]) -> str:
    tl = rep["timeline"]
    if not tl["rows"]:
        return '<section id="time"><h2>Over time</h2><p>No failure carries a date.</p></section>'
    spikes = {s["bucket"] for s in tl["spikes"]}
    shown = {r for row in tl["rows"] for r in row["mix"]}
    pal = {r: c for r, c in palette.items() if r in shown}
    chart = svg.columns(tl["rows"], pal, f"Failures per {tl['unit']}, by reason", spikes)
    spike_text = ""
    if tl["spikes"]:
        items = "".join(
            f"<li><strong>{escape(s['bucket'])}</strong>: {_n(s['count'])} failures"
            + (f" ({s['times_median']}× the usual {tl['unit']})" if s["times_median"] else "") + "</li>"
            for s in tl["spikes"]
        )
        spike_text = f'<h3>Spikes</h3><ul class="spikes">{items}</ul>'
    trs = [
        f'<tr data-bucket="{escape(r["bucket"])}"><th scope="row">{escape(r["bucket"])}</th>{_td(r["count"])}<td>{_mix_text(r["mix"])}</td></tr>'
        for r in tl["rows"] if r["count"]
    ]
    undated = f"<p>{_n(tl['undated'])} failures carry no date and are not drawn.</p>" if tl["undated"] else ""
    if tl.get("outside"):
        undated += (f"<p>{_n(tl['outside'])} failures dated before {escape(tl['first'])} or after {escape(tl['last'])} "
                    "(a few outliers, often a wrong clock) are not drawn.</p>")
    return (
        f'<section id="time"><h2>Over time</h2><p>Failures per {tl["unit"]} (UTC), from the dates of the notices, stacked by reason; '
        "a triangle marks a spike (a count far above the usual one).</p>"
        f'<figure data-chart="time">{chart}{svg.legend(pal, titles, any(r not in pal for r in shown))}'
        + _details(f"Table: failures per {tl['unit']} (non-empty only)", _table([tl["unit"], "failures", "reasons"], trs, "time"))
        + "</figure>"
        + spike_text
        + undated
        + "</section>"
    )


def _replies(rep: dict[str, Any]) -> str:
    blocks = []
    for r in rep["replies"]:
        items = "".join(
            f'<li data-count="{t["count"]}"><span class="count">{_n(t["count"])}×</span> <q>{escape(t["text"])}</q>'
            + (f'<br><small>from {", ".join(escape(h) for h in t["rhosts"])}'
               + (f" and {t['more_hosts']} more" if t["more_hosts"] else "") + "</small>" if t["rhosts"] else "")
            + "</li>"
            for t in r["top"]
        )
        blocks.append(
            f'<div class="replies" id="reply-{escape(r["reason"])}"><h3><code>{escape(r["reason"])}</code> '
            f'{escape(r["title"])} <small>{_n(r["count"])} failures, {_n(r["distinct"])} distinct replies</small></h3>'
            f"<ol>{items}</ol></div>"
        )
    if not blocks:
        return '<section id="replies"><h2>What the receivers said</h2><p>No reply texts.</p></section>'
    return (
        '<section id="replies"><h2>What the receivers said</h2><p>The five most common replies of each reason '
        "(addresses inside them masked), with the remote hosts that gave them.</p>" + "".join(blocks) + "</section>"
    )


def _records(rep: dict[str, Any]) -> str:
    parts = []
    for a in rep["actions"]:
        trs = [
            "<tr>"
            + f'<td class="addr">{escape(s.get("recipient") or "")}</td><td class="date">{escape(s.get("timestamp") or "")}</td>'
            + "".join(f"<td>{escape(str(s.get(k) or ''))}</td>" for k in ("status", "rhost"))
            + f'<td class="reply">{escape(s.get("reply") or "")}</td>'
            + _source(s)
            + "</tr>"
            for s in a["samples"]
        ]
        more = a["count"] - len(a["samples"])
        where = f" at {escape(a['provider'])}" if a.get("provider") else ""
        parts.append(
            f'<div class="records" id="{a["id"]}"><h3>{_n(a["count"])} × <code>{escape(a["reason"])}</code>{where}</h3>'
            + _table(["recipient", "date", "status", "remote host", "reply", "source"], trs, "samples")
            + (f"<p>and {_n(more)} more records like these.</p>" if more > 0 else "")
            + f'<p><a href="#{a["id"]}-summary">Back to the action</a></p></div>'
        )
    if not parts:
        return ""
    return '<section id="records"><h2>The records behind the actions</h2>' + "".join(parts) + "</section>"


def _source(s: dict[str, Any]) -> str:
    """Where a record came from: the file's name and the message's position (the whole path
    in the tooltip)."""
    path = str(s.get("file") or "")
    pos = f"#{s['index']}" if s.get("index") is not None else ""
    return f'<td class="src" title="{escape(path)}">{escape(os.path.basename(path) or path)}{pos}</td>'


def _remove(rep: dict[str, Any]) -> str:
    rm = rep["remove"]
    if not rm["count"]:
        return '<section id="remove"><h2>Addresses to remove</h2><p>No hard bounces: no address to remove.</p></section>'
    text = remove_csv(rm["rows"])
    cut = (
        f"<p>The page holds the first {_n(rm['shown'])} of {_n(rm['count'])} addresses (alphabetical); "
        "<code>bouncewise report --remove-csv FILE</code> writes them all.</p>"
        if rm["shown"] < rm["count"] else ""
    )
    return (
        f'<section id="remove"><h2>Addresses to remove</h2><p><span data-total="remove">{_n(rm["count"])}</span> addresses '
        "bounced hard (the address will not work): take them off your lists.</p>"
        '<p><button type="button" id="download-csv" hidden>Download as CSV</button></p>'
        + cut
        + f'<details><summary>The list (CSV)</summary><pre id="remove-csv">{escape(text)}</pre></details></section>'
    )


def _footer(rep: dict[str, Any]) -> str:
    return (
        "<footer><p>Reasons are Sisimai's names; hard bounces follow Sisimai's rule (only reasons meaning the address "
        "will never work). Colours: Okabe and Ito's colour-blind-safe palette; every chart has its table. "
        f"bouncewise {escape(__version__)}.</p></footer>"
    )
