"""Where the returned message starts inside a notice's text: a marker line ("----- Original
message -----", "The original message follows:") or a run of quoted header lines."""

from __future__ import annotations

from email.message import Message

from bouncewise.reader.patterns import HEADER_LINE_RE, SEPARATOR_RE
from bouncewise.reader.vocab import Vocab


def is_original_marker(low: str, v: Vocab) -> bool:
    """A line that begins the copy of the returned message."""
    if len(low) > 160 or not any(m in low for m in v.markers):
        return False
    s = low.strip()
    if SEPARATOR_RE.match(s):
        return True
    s = s.rstrip(" .:-=*")
    return s.endswith(
        ("follows", "below", "attached", "headers", "header", "original message")
    ) or low.strip().endswith(":")


def header_run(lines: list[str], i: int, v: Vocab) -> bool:
    """Lines from i on are quoted headers of a message (three header lines in a row, one of
    which only a whole message has)."""
    names = []
    for line in lines[i : i + 6]:
        m = HEADER_LINE_RE.match(line)
        if not m:
            if line[:1] in (" ", "\t") and names:
                continue
            break
        names.append(m.group(1).lower())
    return len(names) >= 3 and any(n in v.header_names for n in names)


def split_regions(lines: list[str], v: Vocab) -> list[list[str]]:
    """The notice's text split where a copy of a message begins."""
    regions: list[list[str]] = []
    current: list[str] = []
    for i, line in enumerate(lines):
        low = line.lower()
        if current and (
            is_original_marker(low, v) or (HEADER_LINE_RE.match(line) and header_run(lines, i, v))
        ):
            regions.append(current)
            current = []
        current.append(line)
    regions.append(current)
    return regions


def inline_original(region: list[str]) -> Message | None:
    """The headers of a returned message quoted inline after the notice."""
    from bouncewise.formats._mime import parse_headers_text

    lines = region[:200]
    start = 0
    while start < len(lines) and not HEADER_LINE_RE.match(lines[start]):
        start += 1
        if start > 5:
            return None
    text = "\n".join(lines[start:])
    parsed = parse_headers_text(text)
    return parsed if len(parsed.keys()) >= 2 else None
