"""An unknown or broken charset on any part never turns a message into an error record when
the rest of it can be read."""

from __future__ import annotations

from pathlib import Path

import pytest

from bouncewise.pipeline import parse

DSN = (Path(__file__).parent / "fixtures" / "bounces" / "dsn-two-recipients.eml").read_text()
NOTE = """Content-Description: Notification
Content-Type: text/plain; charset=us-ascii
"""


def with_notification(charset: str, encoding: str, body: str) -> bytes:
    head = f"Content-Description: Notification\nContent-Type: text/plain; charset={charset}\n"
    if encoding:
        head += f"Content-Transfer-Encoding: {encoding}\n"
    start = DSN.index(NOTE)
    end = DSN.index("\n--", start)
    return (DSN[:start] + head + "\n" + body + "\n" + DSN[end:]).encode()


CASES = [
    ("idna", "base64", "not*valid*base64***=="),
    ("idna", "base64", "w6TDtsO8\n"),  # valid base64 of UTF-8 bytes idna cannot read
    ("idna", "", "caf\u00e9 550 5.1.1 user unknown"),
    ("punycode", "quoted-printable", "=FF=FE broken =ZZ"),
    ("rot13", "", "plain text"),
    ("base64", "", "plain text"),
    ("x-no-such-charset", "base64", "AAAA"),
    ('"utf-8\'\'%FF%FE"', "", "odd parameter"),
]


@pytest.mark.parametrize("charset,encoding,body", CASES)
def test_bad_charset_on_a_part_keeps_the_message(charset: str, encoding: str, body: str) -> None:
    recs = list(parse(with_notification(charset, encoding, body)))
    assert [r.kind for r in recs] == ["bounce", "bounce"], [r.error for r in recs]
    assert {r.recipient for r in recs} == {"nobody@example.org", "full@example.org"}


def test_bad_charset_in_an_encoded_word_header() -> None:
    raw = DSN.replace("Subject: Undelivered Mail Returned to Sender",
                      "Subject: =?idna?B?w6Tw?= Undelivered Mail Returned to Sender")
    recs = list(parse(raw.encode()))
    assert recs and all(r.kind == "bounce" for r in recs)
