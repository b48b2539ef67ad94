"""A fast MIME parser that builds the same Message tree as Python's email parser.

The standard library's parser (email.feedparser, compat32 policy) reads a message one
line at a time through a stack of generators and compiles one regular expression for
every multipart boundary it meets; on a typical bounce that is about half of the time
bouncewise spends on the message. ``parse_bytes`` here works on the whole text at once
(the pipeline always has the complete message) and gives a tree that is equal, object for
object, to what ``email.parser.BytesParser(policy=compat32)`` gives: the same headers,
unix-from line, payload strings, preamble and epilogue, defects and default types. So
the format decoders see exactly the same thing, only sooner.

The model it follows: the input is a sequence of lines; reading a line first asks every
enclosing context whether the line ends it (a boundary line of an enclosing multipart,
or an empty line inside a delivery-status part); such a line reads as end-of-input to
the inner part and is left for the outer one. Lines can be pushed back.

Input it does not handle the same way for certain - carriage returns (the pipeline has
already turned line endings into LF) or nesting deeper than ``MAX_DEPTH`` - goes to the
standard parser instead, so the result never differs.
"""

from __future__ import annotations

import re
from email import errors
from email._policybase import compat32
from email.message import Message
from typing import Any

MAX_DEPTH = 60  # deeper nesting: leave it to the standard parser (and its limits)

_NL = ""  # marker on the context stack: an empty line ends the part (delivery-status)


class _TooDeep(Exception):
    pass


# A field line ("Name:" with printable, non-colon name characters), a continuation line
# or an envelope "From " line: the same test as the standard parser's. Linear: one class.
_HEADER_LINE = re.compile(r"From |[\041-\071\073-\176]*:|[\t ]")
# A line of a header block (searched in "\n" + block) that the quick path leaves to the
# line-by-line one: not a field or continuation line, a line that may be a boundary, an
# envelope line, a field without a name. One bounded class after a literal: linear.
_ODD_HEADER_LINE = re.compile(r"\n(?:(?![\041-\071\073-\176]*:|[\t ])|--|From |:)")
_FIELD_SPLIT = re.compile(r"\n(?![ \t])")


def _boundary_tail(rest: str) -> tuple[bool, bool] | None:
    """After '--boundary' on a line: (closing, ended by a newline) when the rest of the
    line is an optional '--', blanks and the newline; None when it is not a boundary."""
    if rest[:2] == "--":
        t = rest[2:]
        body = t[:-1] if t[-1:] == "\n" else t
        if not body.strip(" \t"):
            return True, t[-1:] == "\n"
    body = rest[:-1] if rest[-1:] == "\n" else rest
    if not body.strip(" \t"):
        return False, rest[-1:] == "\n"
    return None


class _Parser:
    __slots__ = ("lines", "pos", "n", "back", "stops", "factory", "stack", "cur", "last", "depth")

    def __init__(self, text: str, factory: Any) -> None:
        if (
            "\x0b" in text
            or "\x0c" in text
            or "\x1c" in text
            or "\x1d" in text
            or "\x1e" in text
            or (not text.isascii() and ("\x85" in text or "\u2028" in text or "\u2029" in text))
        ):
            # characters str.splitlines() would also break at (the email parser does not)
            lines = text.split("\n")
            last = lines.pop()
            lines = [s + "\n" for s in lines]
            if last:
                lines.append(last)
        else:  # no \r (the callers check) and no other line break splitlines() knows
            lines = text.splitlines(True)
        self.lines = lines
        self.pos = 0
        self.n = len(lines)
        self.back: list[str] = []  # pushed-back lines, last pushed first out
        self.stops: list[str] = []  # "--boundary" separators and _NL markers, outermost first
        self.factory = factory
        self.stack: list[Message] = []
        self.cur: Message | None = None
        self.last: Message | None = None
        self.depth = 0

    # -- the line source ------------------------------------------------------------

    def _stops_at(self, line: str) -> bool:
        for sep in self.stops:
            if sep == _NL:
                if line[:1] == "\n":
                    return True
            elif line.startswith(sep) and _boundary_tail(line[len(sep) :]) is not None:
                return True
        return False

    def readline(self) -> str:
        if self.back:
            line = self.back[-1]
            if line and self.stops and self._stops_at(line):
                return ""
            self.back.pop()
            return line
        if self.pos >= self.n:
            return ""
        line = self.lines[self.pos]
        if self.stops and self._stops_at(line):
            return ""
        self.pos += 1
        return line

    def unreadline(self, line: str) -> None:
        self.back.append(line)

    def read_rest(self) -> list[str]:
        """All lines up to the end of input or the first line an enclosing context stops at."""
        out: list[str] = []
        while self.back:
            line = self.readline()
            if line == "":
                return out
            out.append(line)
        stops = self.stops
        lines = self.lines
        start = self.pos
        end = self.n
        if stops:
            seps = [s for s in stops if s != _NL]
            nl = len(seps) != len(stops)
            end = self._find_stop(start, seps, nl)
        if start < end:
            out.extend(lines[start:end])
        self.pos = end
        return out

    def _find_stop(self, start: int, seps: list[str], nl: bool) -> int:
        """Index of the first line from ``start`` that a context stops at (or the end)."""
        lines = self.lines
        n = self.n
        i = start
        while i < n:
            line = lines[i]
            c = line[:1]
            if c == "-":
                if seps and line[1:2] == "-":
                    for sep in seps:
                        if line.startswith(sep) and _boundary_tail(line[len(sep) :]) is not None:
                            return i
            elif c == "\n" and nl:
                return i
            i += 1
        return n

    # -- messages ---------------------------------------------------------------------

    def new_message(self) -> None:
        msg = self.factory(policy=compat32)
        cur = self.cur
        if cur is not None and len(cur) and cur.get_content_type() == "multipart/digest":
            msg.set_default_type("message/rfc822")
        if self.stack:
            self.stack[-1].attach(msg)
        self.stack.append(msg)
        self.cur = msg
        self.last = msg

    def pop_message(self) -> Message:
        msg = self.stack.pop()
        self.cur = self.stack[-1] if self.stack else None
        return msg

    def parse_part(self) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise _TooDeep
        try:
            self._parse_part()
        finally:
            self.depth -= 1

    def _parse_part(self) -> None:
        self.new_message()
        cur = self.cur
        assert cur is not None
        headers: list[str] = []
        if self.back:
            headers = self._read_header_lines(cur)
        elif self._header_block(cur):
            return self._parse_body(cur)
        else:  # the same, straight from the line list
            lines = self.lines
            n = self.n
            i = self.pos
            stops = self.stops
            match = _HEADER_LINE.match
            while i < n:
                line = lines[i]
                c = line[:1]
                if c == "\n":
                    if stops and self._stops_at(line):
                        break
                    i += 1  # the separator: consumed
                    break
                if c == "-" and stops and self._stops_at(line):
                    break
                if match(line) is None:
                    cur.defects.append(errors.MissingHeaderBodySeparatorDefect())
                    break  # left unread: the body's first line
                headers.append(line)
                i += 1
            self.pos = i
        self.parse_headers(headers)
        self._parse_body(cur)

    def parse_headers_only(self) -> Message:
        """The headers of the text as fields, the rest of it as the payload (the email
        parser's headersonly mode)."""
        self.new_message()
        cur = self.cur
        assert cur is not None
        if not self._header_block(cur):
            self.parse_headers(self._read_header_lines(cur))
        cur._payload = "".join(self.read_rest())
        return self.pop_message()

    def _read_header_lines(self, cur: Message) -> list[str]:
        """Header lines read one by one up to the empty line (consumed) or the first line that
        is not a header (left unread, and noted as a defect), as the email parser does."""
        headers: list[str] = []
        while True:
            line = self.readline()
            if line == "":
                break
            if _HEADER_LINE.match(line) is None:
                if line[:1] != "\n":
                    cur.defects.append(errors.MissingHeaderBodySeparatorDefect())
                    self.unreadline(line)
                break
            headers.append(line)
        return headers

    def _header_block(self, cur: Message) -> bool:
        """The usual case at once: from the current line to the first empty line, every
        line is a field or continuation line (none could end a part, none needs the
        careful treatment). Stores the fields and returns True; False changes nothing."""
        lines = self.lines
        i = self.pos
        try:
            blank = lines.index("\n", i)
        except ValueError:
            blank = self.n
        if blank == i:
            return False
        text = "".join(lines[i:blank])
        if text[-1:] == "\n":
            text = text[:-1]
        if text[:1] in " \t" or _ODD_HEADER_LINE.search("\n" + text) is not None:
            return False
        store = cur._headers
        for field in _FIELD_SPLIT.split(text):
            name, _, value = field.partition(":")
            store.append((name, value.lstrip(" \t").rstrip("\r\n")))
        if blank < self.n and not (self.stops and _NL in self.stops):
            blank += 1  # the empty line ends the headers and is consumed
        self.pos = blank
        return True

    def _parse_body(self, cur: Message) -> None:
        ctype = cur.get_content_type()
        if ctype == "message/delivery-status":
            while True:
                self.stops.append(_NL)
                self.parse_part()
                self.pop_message()
                self.stops.pop()
                self.readline()  # the empty line (or the end)
                line = self.readline()
                if line == "":
                    break
                self.unreadline(line)
            return
        maintype = ctype.split("/")[0]
        if maintype == "message":
            self.parse_part()
            self.pop_message()
            return
        if maintype == "multipart":
            self.parse_multipart(cur)
            return
        cur._payload = "".join(self.read_rest())

    def parse_multipart(self, cur: Message) -> None:
        boundary = cur.get_boundary()
        if boundary is None:
            cur.defects.append(errors.NoBoundaryInMultipartDefect())
            cur._payload = "".join(self.read_rest())
            return
        if str(cur.get("content-transfer-encoding", "8bit")).lower() not in ("7bit", "8bit", "binary"):
            cur.defects.append(errors.InvalidMultipartContentTransferEncodingDefect())
        sep = "--" + boundary
        lsep = len(sep)
        in_preamble = True
        preamble: list[str] = []
        linesep = False
        closed = False
        while True:
            line = self.readline()
            if line == "":
                break
            mo = _boundary_tail(line[lsep:]) if line.startswith(sep) else None
            if mo is None:
                preamble.append(line)
                continue
            if mo[0]:
                closed = True
                linesep = mo[1]
                break
            if in_preamble:
                if preamble:
                    if preamble[-1][-1:] == "\n":
                        preamble[-1] = preamble[-1][:-1]
                    cur.preamble = "".join(preamble)
                in_preamble = False
                self.unreadline(line)
                continue
            # more boundary lines right after this one make no parts
            while True:
                line = self.readline()
                if not (line.startswith(sep) and _boundary_tail(line[lsep:]) is not None):
                    self.unreadline(line)
                    break
            self.stops.append(sep)
            self.parse_part()
            last = self.last
            assert last is not None
            if last.get_content_maintype() == "multipart":
                epilogue = last.epilogue
                if epilogue == "":
                    last.epilogue = None
                elif epilogue is not None and epilogue[-1:] == "\n":
                    last.epilogue = epilogue[:-1]
            else:
                payload = last._payload
                if isinstance(payload, str) and payload[-1:] == "\n":
                    last._payload = payload[:-1]
            self.stops.pop()
            self.pop_message()
            self.last = self.cur
        if in_preamble:
            cur.defects.append(errors.StartBoundaryNotFoundDefect())
            cur._payload = "".join(preamble)
            self.read_rest()
            cur.epilogue = ""
            return
        if not closed:
            cur.defects.append(errors.CloseBoundaryNotFoundDefect())
            return
        epilogue = self.read_rest()
        if linesep:
            epilogue.insert(0, "")
        elif epilogue and epilogue[0][:1] == "\n":
            epilogue[0] = epilogue[0][1:]
        cur.epilogue = "".join(epilogue)

    def parse_headers(self, lines: list[str]) -> None:
        cur = self.cur
        assert cur is not None
        store = cur._headers
        name = ""
        first = ""
        more: list[str] | None = None  # continuation lines of the current field
        count = len(lines)
        for lineno, line in enumerate(lines):
            c = line[0]
            if c == " " or c == "\t":
                if not name:
                    cur.defects.append(errors.FirstHeaderLineIsContinuationDefect(line))
                elif more is None:
                    more = [line]
                else:
                    more.append(line)
                continue
            if name:
                value = first[len(name) + 1 :].lstrip(" \t")
                if more is not None:
                    value += "".join(more)
                    more = None
                store.append((name, value.rstrip("\r\n")))
                name = ""
            if c == "F" and line.startswith("From "):
                if lineno == 0:
                    cur.set_unixfrom(line[:-1] if line[-1:] == "\n" else line)
                    continue
                if lineno == count - 1:
                    self.unreadline(line)
                    return
                cur.defects.append(errors.MisplacedEnvelopeHeaderDefect(line))
                continue
            i = line.find(":")
            if i == 0:
                cur.defects.append(errors.InvalidHeaderDefect("Missing header name."))
                continue
            name = line[:i]
            first = line
        if name:
            value = first[len(name) + 1 :].lstrip(" \t")
            if more is not None:
                value += "".join(more)
            store.append((name, value.rstrip("\r\n")))


def parse_bytes(data: bytes, factory: Any = Message) -> Message:
    """``data`` parsed as email.parser.BytesParser(_class=factory, policy=compat32) would."""
    text = data.decode("ascii", "surrogateescape")
    if "\r" not in text:
        parser = _Parser(text, factory)
        try:
            parser.parse_part()
        except _TooDeep:
            pass
        else:
            root = parser.pop_message()
            if root.get_content_maintype() == "multipart" and not root.is_multipart():
                root.defects.append(errors.MultipartInvariantViolationDefect())
            return root
    from email.parser import Parser

    return Parser(_class=factory, policy=compat32).parsestr(text)


def parse_headers_text(text: str, factory: Any = Message) -> Message:
    """``text`` parsed as email.parser.HeaderParser(_class=factory).parsestr(text) would:
    its header fields, and the rest as a string payload."""
    if "\r" not in text:
        return _Parser(text, factory).parse_headers_only()
    from email.parser import HeaderParser

    return HeaderParser(_class=factory, policy=compat32).parsestr(text)
