"""The report as Markdown: the figures that fit a terminal, a ticket or a chat message."""

from __future__ import annotations

from typing import Any


def _n(n: int) -> str:
    return f"{n:,}"


def _cell(text: Any) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def _mix(mix: dict[str, int], limit: int = 3) -> str:
    items = sorted(mix.items(), key=lambda kv: -kv[1])
    return ", ".join(f"{r} {_n(n)}" for r, n in items[:limit]) + (f", +{len(items) - limit}" if len(items) > limit else "")


def render(rep: dict[str, Any], title: str = "Bounce report", top: int = 10) -> str:
    t = rep["totals"]
    out = [f"# {title}", ""]
    out.append(f"Made {rep['generated']} from " + ", ".join(f"{i['name']} ({i['kind']})" for i in rep["inputs"]) + ".")
    out.append("")
    errors = sum(t["errors"].values())
    out.append(
        f"**{_n(t['failures'])} failures** (bounce + delayed) in {_n(t['records'])} records from {_n(t['messages'])} messages; "
        f"{_n(t['hard'])} hard, {_n(t['soft'])} soft; {_n(t['addresses'])} addresses to remove; {_n(errors)} errors."
    )
    out.append("")
    out.append("Records by kind: " + ", ".join(f"{k} {_n(n)}" for k, n in t["kinds"].items()) + ".")
    if t["errors"]:
        out.append("Errors: " + ", ".join(f"{k} {_n(n)}" for k, n in t["errors"].items()) + ".")
    out.append("")
    if rep["actions"]:
        out += ["## What to do first", ""]
        for i, a in enumerate(rep["actions"], 1):
            where = f" at {a['provider']}" if a.get("provider") else ""
            out.append(f"{i}. **{_n(a['count'])}** failures ({a['share']}%) are {a['title'].lower()} (`{a['reason']}`){where}: "
                       f"{a['advice']} _Who acts: {a['who_label']}._")
        out.append("")
    if rep["reasons"]:
        out += ["## Failures by reason", "", "| reason | meaning | failures | hard | delayed | who acts |", "|---|---|--:|--:|--:|---|"]
        for r in rep["reasons"][:top]:
            out.append(f"| `{r['reason']}` | {_cell(r['title'])} | {_n(r['count'])} | {_n(r['hard'])} | {_n(r['delayed'])} | {r['who_acts']} |")
        if len(rep["reasons"]) > top:
            rest = sum(r["count"] for r in rep["reasons"][top:])
            out.append(f"| … | {len(rep['reasons']) - top} more reasons | {_n(rest)} | | | |")
        out.append("")
    for key, title in (("providers", "Top providers"), ("domains", "Top recipient domains")):
        rows = rep[key]["rows"][:top]
        if rows:
            out += [f"## {title}", "", "| name | failures | main reasons |", "|---|--:|---|"]
            out += [f"| {_cell(r['name'])} | {_n(r['count'])} | {_cell(_mix(r['mix']))} |" for r in rows]
            out.append("")
    tl = rep["timeline"]
    if tl["spikes"]:
        out += [f"## Spikes (per {tl['unit']})", ""]
        out += [f"- {s['bucket']}: {_n(s['count'])} failures" + (f" ({s['times_median']}× the usual)" if s["times_median"] else "")
                for s in tl["spikes"]]
        out.append("")
    if rep["replies"]:
        out += ["## Most common replies", ""]
        for r in rep["replies"][:5]:
            first = r["top"][0]
            out.append(f"- `{r['reason']}` {_n(first['count'])}×: {_cell(first['text'][:160])}")
        out.append("")
    return "\n".join(out).rstrip() + "\n"
