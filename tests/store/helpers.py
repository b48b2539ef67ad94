"""Helpers of the store tests: where the test PostgreSQL server is, and bounce messages
written here (RFC 3464 reports, ARF complaints) with chosen recipients, codes and dates."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PG_URL_FILE = ROOT / "tests" / "store" / ".pg-url"


def pg_url() -> str | None:
    url = os.environ.get("BOUNCEWISE_TEST_PG", "").strip()
    if not url and PG_URL_FILE.exists():
        url = PG_URL_FILE.read_text().strip()
    return url or None


_PG_STATE: dict[str, str | None] = {}


def pg_unavailable(url: str | None) -> str | None:
    if url is None:
        return "no PostgreSQL server: run tests/store/install.sh (as root) or set BOUNCEWISE_TEST_PG"
    if url not in _PG_STATE:
        import psycopg

        try:
            with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://"), connect_timeout=5):
                _PG_STATE[url] = None
        except Exception as exc:  # psycopg.OperationalError and friends
            _PG_STATE[url] = f"PostgreSQL at {url} is not reachable ({type(exc).__name__}); run tests/store/install.sh"
    return _PG_STATE[url]


def reset_pg(url: str) -> None:
    import psycopg

    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://"), autocommit=True) as conn:
        conn.execute("DROP SCHEMA IF EXISTS public CASCADE")
        conn.execute("CREATE SCHEMA public")


T0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


def rfc5322(dt: datetime) -> str:
    return dt.strftime("%a, %d %b %Y %H:%M:%S +0000")


def dsn(rcpt: str, status: str, text: str, when: datetime, n: int, action: str | None = None) -> bytes:
    """An RFC 3464 report for one recipient (``n`` makes its Message-ID and body unique)."""
    action = action or ("delivered" if status.startswith("2") else "failed")
    code = {"2": "250", "4": "452", "5": "550"}[status[0]]
    return f"""From: Mail Delivery System <MAILER-DAEMON@mx.example.net>
To: news@example.com
Subject: Delivery Status Notification
Date: {rfc5322(when)}
Message-ID: <gen-{n}@mx.example.net>
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="b{n}"

--b{n}
Content-Type: text/plain

Report number {n} about your message to {rcpt}.

--b{n}
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.example.net
Arrival-Date: {rfc5322(when)}

Final-Recipient: rfc822; {rcpt}
Action: {action}
Status: {status}
Remote-MTA: dns; mx.example.org
Diagnostic-Code: smtp; {code} {status} {text}
Last-Attempt-Date: {rfc5322(when)}

--b{n}
Content-Type: text/rfc822-headers

From: news@example.com
To: {rcpt}
Subject: newsletter {n}
Message-ID: <orig-{n}@example.com>

--b{n}--
""".encode()


def arf(rcpt: str, when: datetime, n: int, feedback_type: str = "abuse") -> bytes:
    """An ARF (RFC 5965) complaint report about a message sent to ``rcpt``."""
    return f"""From: complaints@isp.example.org
To: fbl@example.com
Subject: FW: newsletter {n}
Date: {rfc5322(when)}
Message-ID: <arf-{n}@isp.example.org>
MIME-Version: 1.0
Content-Type: multipart/report; report-type=feedback-report; boundary="a{n}"

--a{n}
Content-Type: text/plain

This is an email abuse report for a message received from you.

--a{n}
Content-Type: message/feedback-report

Feedback-Type: {feedback_type}
User-Agent: ExampleFBL/1.0
Version: 1
Original-Mail-From: <news@example.com>
Original-Rcpt-To: <{rcpt}>
Arrival-Date: {rfc5322(when)}

--a{n}
Content-Type: message/rfc822

From: news@example.com
To: {rcpt}
Subject: newsletter {n}
Message-ID: <orig-arf-{n}@example.com>
Date: {rfc5322(when)}

Hello.
--a{n}--
""".encode()


USER_UNKNOWN = "<{rcpt}>: Recipient address rejected: User unknown in local recipient table"
MAILBOX_FULL = "Mailbox full, try again later"
BLOCKED = "Service unavailable; client host [192.0.2.9] blocked using zen.spamhaus.org"


def write_messages(directory: Path, messages: list[bytes]) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    for i, data in enumerate(messages):
        (directory / f"m{i:06d}.eml").write_bytes(data)
    return directory


def mbox(path: Path, messages: list[bytes]) -> Path:
    with open(path, "wb") as fh:
        for data in messages:
            fh.write(b"From MAILER-DAEMON Mon Mar  2 10:00:00 2026\n")
            fh.write(data.replace(b"\nFrom ", b"\n>From "))
            fh.write(b"\n")
    return path


def days(n: float) -> timedelta:
    return timedelta(days=n)
