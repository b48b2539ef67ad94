"""The fast MIME parser (formats/_mime.py) and the other speed-ups of the parse path must
give exactly what the standard library gives: the same Message trees, parameters, dates,
addresses and record dicts. Each check compares against the standard implementation."""

from __future__ import annotations

import random
from dataclasses import asdict
from email import policy
from email.message import Message
from email.parser import BytesParser, HeaderParser
from email.utils import parseaddr, parsedate_to_datetime

import pytest

from bouncewise import pipeline
from bouncewise.formats._mime import MAX_DEPTH, parse_bytes, parse_headers_text
from bouncewise.pipeline import IndexedMessage
from bouncewise.record import Record


def tree(m: Message) -> dict:
    """Everything the parser sets on a message, recursively."""
    p = m._payload
    return {
        "headers": list(m._headers),
        "unixfrom": m._unixfrom,
        "preamble": m.preamble,
        "epilogue": m.epilogue,
        "defects": [(type(d).__name__, d.args) for d in m.defects],
        "default_type": m._default_type,
        "payload": [tree(x) for x in p] if isinstance(p, list) else p,
    }


def stdlib(data: bytes) -> Message:
    return BytesParser(_class=IndexedMessage, policy=policy.compat32).parsebytes(data)


def same(data: bytes) -> None:
    assert tree(parse_bytes(data, IndexedMessage)) == tree(stdlib(data))


DSN = b"""From: MAILER-DAEMON@mx.example.com
To: sender@example.com
Subject: Undelivered Mail Returned to Sender
Received: from mx.example.com (mx.example.com [192.0.2.1])
\tby relay.example.com; Mon, 2 Mar 2026 10:00:00 +0000
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status;
    boundary="b1"

This is a MIME-encapsulated message.

--b1
Content-Type: text/plain; charset=us-ascii

Your message to gone@example.org could not be delivered.

--b1
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.example.com

Final-Recipient: rfc822; gone@example.org
Action: failed
Status: 5.1.1
Diagnostic-Code: smtp; 550 5.1.1 user unknown


--b1
Content-Type: message/rfc822

From: sender@example.com
To: gone@example.org
Subject: Hello
Content-Type: multipart/alternative; boundary=inner

--inner
Content-Type: text/plain

hi
--inner
Content-Type: text/html

<p>hi</p>
--inner--
trailing inner epilogue

--b1--
epilogue text
"""

CASES: dict[str, bytes] = {
    "dsn": DSN,
    "plain": b"From: a@example.org\nSubject: x\n\nbody line\nsecond\n",
    "no body": b"From: a@example.org\nSubject: x\n",
    "no newline at end": b"From: a@example.org\n\nbody",
    "empty": b"",
    "only blank lines": b"\n\n\n",
    "unix from": b"From someone@example.org Mon Mar  2 10:00:00 2026\nSubject: s\n\nb\n",
    "misplaced from": b"Subject: s\nFrom x@example.org Mon\nTo: t@example.org\n\nb\n",
    "from as last header": b"Subject: s\nFrom x@example.org Mon\n\nb\n",
    "first line continuation": b" folded\nSubject: s\n\nb\n",
    "missing header name": b":value\nSubject: s\n\nb\n",
    "no separator": b"Subject: s\nthis is body text\nmore\n",
    "folded values": b"Subject: one\n two\n\tthree\nX-Empty:\n  later\nX-Blank:   \n\nb\n",
    "8-bit header": "Subject: caf\u00e9\nFrom: \u00e9@example.org\n\nb\xe9\n".encode("latin-1"),
    "no boundary": b"Content-Type: multipart/mixed\n\n--x\nbody\n--x--\n",
    "boundary never seen": b'Content-Type: multipart/mixed; boundary="zz"\n\npreamble only\n',
    "no close boundary": b'Content-Type: multipart/mixed; boundary="zz"\n\n--zz\n\npart\n',
    "repeated boundaries": b'Content-Type: multipart/mixed; boundary="zz"\n\n--zz\n--zz\n\npart\n--zz--\n',
    "boundary with blanks": b'Content-Type: multipart/mixed; boundary="zz"\n\n--zz  \n\npart\n--zz-- \t\nepi\n',
    "close boundary at eof": b'Content-Type: multipart/mixed; boundary="zz"\n\n--zz\n\npart\n--zz--',
    "outer boundary inside inner": (
        b'Content-Type: multipart/mixed; boundary="out"\n\n--out\n'
        b'Content-Type: multipart/mixed; boundary="in"\n\n--in\n\nx\n--out\n\ny\n--out--\n'
    ),
    "same boundary nested": (
        b'Content-Type: multipart/mixed; boundary="b"\n\n--b\n'
        b'Content-Type: multipart/mixed; boundary="b"\n\n--b\n\nx\n--b--\n--b--\n'
    ),
    "digest": (
        b'Content-Type: multipart/digest; boundary="d"\n\n--d\n\nSubject: inner\n\nbody\n--d\n'
        b"Content-Type: text/plain\n\ntext\n--d--\n"
    ),
    "delivery-status odd blocks": (
        b"Content-Type: message/delivery-status\n\nReporting-MTA: dns; x\n\n\n\nAction: failed\n"
        b"not a field\nStatus: 5.0.0\n\n"
    ),
    "bad transfer encoding on multipart": (
        b'Content-Type: multipart/mixed; boundary="q"\nContent-Transfer-Encoding: base64\n\n--q\n\nx\n--q--\n'
    ),
    "rfc2231 boundary": b"Content-Type: multipart/mixed; boundary*=''zz\n\n--zz\n\nx\n--zz--\n",
    "form feed in body": b"Subject: s\n\nline\x0cwith form feed\nnext\x1cline\n",
    "vertical tab in header": b"Subject: a\x0bb\nX: y\n\nb\n",
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_same_tree_as_the_email_package(name: str) -> None:
    same(CASES[name])


def test_carriage_returns_go_to_the_standard_parser() -> None:
    data = DSN.replace(b"\n", b"\r\n")
    assert tree(parse_bytes(data, IndexedMessage)) == tree(stdlib(data))


def test_deep_nesting_goes_to_the_standard_parser() -> None:
    depth = MAX_DEPTH + 5
    body = b"Subject: deep\n"
    for i in range(depth):
        body += b'Content-Type: multipart/mixed; boundary="n%d"\n\n--n%d\n' % (i, i)
    body += b"Content-Type: text/plain\n\ndeep\n"
    same(body)


def test_random_damage_gives_the_same_tree() -> None:
    """Lines deleted, repeated, cut, indented; boundary lines moved; types changed."""
    rnd = random.Random(20261123)
    seeds = list(CASES.values())
    for _ in range(1500):
        lines = rnd.choice(seeds).split(b"\n")
        for _ in range(rnd.randint(1, 4)):
            if not lines:
                lines = [b""]
            i = rnd.randrange(len(lines))
            op = rnd.randrange(9)
            if op == 0:
                del lines[i]
            elif op == 1:
                lines.insert(i, lines[rnd.randrange(len(lines))])
            elif op == 2:
                lines.insert(i, b"")
            elif op == 3:
                lines[i] = lines[i][: rnd.randrange(len(lines[i]) + 1)]
            elif op == 4:
                lines[i] = b" " + lines[i]
            elif op == 5:
                marks = [x for x in lines if x.startswith(b"--")]
                if marks:
                    lines.insert(i, rnd.choice(marks) + rnd.choice([b"", b"--", b" "]))
            elif op == 6:
                lines.insert(
                    i,
                    b"Content-Type: "
                    + rnd.choice(
                        [
                            b"message/rfc822",
                            b"message/delivery-status",
                            b"multipart/mixed; boundary=b1",
                            b"text/plain",
                        ]
                    ),
                )
            elif op == 7:
                lines.insert(i, b"From x@example.org Mon Mar  2 10:00:00 2026")
            else:
                j = rnd.randrange(len(lines))
                lines[i], lines[j] = lines[j], lines[i]
        same(b"\n".join(lines))


@pytest.mark.parametrize(
    "text",
    [
        "From: a@example.org\nSubject: s\n\nbody\n",
        "Subject: s\nnot a header\nmore\n",
        "From x@example.org Mon\nSubject: s\n",
        " cont\nA: b\n",
        "A: b\nFrom y\n",
        "A: caf\u00e9\u2028b\nB: c\n",
        "A: b\r\nC: d\r\n\r\nbody",
        "",
    ],
)
def test_headers_only_parse_matches(text: str) -> None:
    assert tree(parse_headers_text(text)) == tree(HeaderParser().parsestr(text, headersonly=True))


def test_get_param_and_content_type_match_the_email_package() -> None:
    rnd = random.Random(7)
    values = [
        'multipart/report; boundary="abc"; report-type=delivery-status',
        'text/plain; charset="ISO-2022-JP"',
        "multipart/mixed; boundary=<abc>",
        'multipart/mixed; boundary=""',
        "boundary=x; a=b",
        'multipart/alternative; boundary="a;b"; charset=x',
        'text/plain; name="a\\"b"; charset=utf-8',
        "text/plain; charset*=utf-8''x",
        "noslash",
        "",
    ]
    values += [
        "".join(rnd.choice('ab/; ="<>\\*=\tC') for _ in range(rnd.randint(0, 20))) for _ in range(3000)
    ]
    for value in values:
        plain = Message(policy.compat32)
        indexed = IndexedMessage(policy.compat32)
        plain.set_raw("Content-Type", value)
        indexed.set_raw("Content-Type", value)
        for name in ("boundary", "charset", "a", "name"):
            assert indexed.get_param(name) == plain.get_param(name), value
        assert indexed.get_boundary() == plain.get_boundary(), value
        assert indexed.get_content_charset() == plain.get_content_charset(), value
        assert indexed.get_content_type() == plain.get_content_type(), value


def test_header_cache_is_dropped_on_change() -> None:
    from bouncewise.formats._util import header, header_lower

    msg = parse_bytes(b"Subject: Old\nContent-Type: text/plain; charset=us-ascii\n\nb\n", IndexedMessage)
    assert header(msg, "Subject") == "Old" and header_lower(msg, "Subject") == "old"
    assert msg.get_param("charset") == "us-ascii"
    msg.replace_header("Subject", "New")
    msg.set_param("charset", "utf-8")
    assert header(msg, "Subject") == "New" and header_lower(msg, "Subject") == "new"
    assert msg.get_param("charset") == "utf-8"


def test_dates_and_addresses_match_the_email_package() -> None:
    rnd = random.Random(11)
    for _ in range(5000):
        day = rnd.choice(["Mon, ", "", "mon, ", "Xyz, "])
        month = rnd.choice(["Jan", "Dec", "jan", "Foo"])
        year = rnd.choice(["2026", "1999", "0099", "99"])
        hh, mm, ss = rnd.randint(0, 25), rnd.randint(0, 61), rnd.randint(0, 61)
        zone = f"{rnd.choice('+-')}{rnd.randint(0, 2400):04d}"
        tail = rnd.choice(["", " (UTC)", "\t(PDT)", "  x"])
        value = f"{day}{rnd.randint(0, 35)} {month} {year} {hh:02d}:{mm:02d}:{ss:02d} {zone}{tail}"
        try:
            want = parsedate_to_datetime(value).isoformat()
        except (TypeError, ValueError, IndexError, OverflowError):
            want = None
        assert pipeline._iso_date(value) == want, value
    names = ["", "Jane Doe ", '"Doe, Jane" ', "J. Doe ", "a-b_c "]
    for local in ("user", "a.b", "a..b", ".a", "u+tag", "x" * 70):
        for domain in ("example.org", "mail.example.co.uk", "a..b", "x", "[192.0.2.1]"):
            address = f"{local}@{domain}"
            for value in (
                address,
                f"<{address}>",
                f" {address}",
                f"{address} (c)",
                *(f"{n}<{address}>" for n in names),
            ):
                assert pipeline._address(value) == (parseaddr(value)[1] or None), value


def test_record_to_dict_is_asdict() -> None:
    rec = Record(
        kind="bounce",
        recipient="a@example.org",
        advice=["x"],
        evidence=[{"rule": "r", "matched": "m", "source": "s"}],
        confidence=0.9,
    )
    assert rec.to_dict() == asdict(rec)
    assert list(rec.to_dict()) == list(asdict(rec))
    copy = rec.to_dict()
    copy["evidence"][0]["rule"] = "changed"
    assert rec.evidence[0]["rule"] == "r"

    class Odd:
        pass

    odd = Record(kind="bounce", evidence=[{"value": Odd()}])
    assert odd.to_dict()["evidence"][0]["value"] is not odd.evidence[0]["value"]  # deep-copied as asdict does


def test_mbox_split_does_not_depend_on_line_endings_or_chunk_size(monkeypatch) -> None:
    from bouncewise import messages

    sep = b"From MAILER-DAEMON Mon Mar  2 10:00:00 2026\n"
    one = b"From: a@example.org\nSubject: s\n\nbody\n>From quoted\n\n"
    data = sep + b"\n" + sep + one + sep + one * 3 + sep + b"--b--\n" + sep + one
    want = None
    for eol in (b"\n", b"\r\n"):
        for chunk in (1 << 16, 1300, 1202):
            monkeypatch.setattr(messages, "_MBOX_CHUNK", chunk)
            got = [(r.index, r.data) for r in messages.iter_messages(data.replace(b"\n", eol))]
            want = want or got
            assert got == want, (eol, chunk)
    assert len(want) == 5
