"""``bouncewise report``: the picture of a set of bounces - what fails, where, since when and
what to do first - as one self-contained HTML page or a Markdown summary.

    from bouncewise.report import build, render_html
    rep = build(["bounces/", "mail.log"])       # messages, logs or NDJSON, told apart by content
    open("report.html", "w").write(render_html(rep))

``build`` returns a JSON-ready dict (the figures); ``render_html`` / ``render_markdown`` draw it.
"""

from __future__ import annotations

from bouncewise.report.aggregate import Aggregator
from bouncewise.report.build import build, build_from_records
from bouncewise.report.html import render as render_html
from bouncewise.report.markdown import render as render_markdown

__all__ = ["Aggregator", "build", "build_from_records", "render_html", "render_markdown"]
