"""Inputs for the web tests, written for this project (invented hosts and addresses).
Imported by tests/test_web_*.py and tests/e2e/."""

from __future__ import annotations

import json

REPLY_USER_UNKNOWN = (
    "550 5.1.1 <jo@example.org>: Recipient address rejected: User unknown in local recipient table"
)
REPLY_MAILBOX_FULL = "452 4.2.2 <sam@example.org>: Mailbox full, try again later"

# An RFC 3464 delivery status notification, as a Postfix-like MTA writes one.
DSN = (
    b"Return-Path: <>\r\n"
    b"Received: by mx1.example.net (Postfix) id 3F2A1C0040; Mon, 23 Nov 2026 10:15:02 +0000 (UTC)\r\n"
    b"Date: Mon, 23 Nov 2026 10:15:02 +0000 (UTC)\r\n"
    b"From: MAILER-DAEMON@mx1.example.net (Mail Delivery System)\r\n"
    b"Subject: Undelivered Mail Returned to Sender\r\n"
    b"To: newsletter@example.com\r\n"
    b"Auto-Submitted: auto-replied\r\n"
    b"MIME-Version: 1.0\r\n"
    b'Content-Type: multipart/report; report-type=delivery-status; boundary="BOUNDARY-7731"\r\n'
    b"Message-Id: <20261123101502.3F2A1C0040@mx1.example.net>\r\n"
    b"\r\n"
    b"This is a MIME-encapsulated message.\r\n"
    b"\r\n"
    b"--BOUNDARY-7731\r\n"
    b"Content-Description: Notification\r\n"
    b"Content-Type: text/plain; charset=us-ascii\r\n"
    b"\r\n"
    b"This is the mail system at host mx1.example.net.\r\n"
    b"\r\n"
    b"I'm sorry to have to inform you that your message could not\r\n"
    b"be delivered to one or more recipients.\r\n"
    b"\r\n"
    b"<nobody-here@example.org>: host mail.example.org[192.0.2.25] said: 550 5.1.1\r\n"
    b"    <nobody-here@example.org>: Recipient address rejected: User unknown in local\r\n"
    b"    recipient table (in reply to RCPT TO command)\r\n"
    b"\r\n"
    b"--BOUNDARY-7731\r\n"
    b"Content-Description: Delivery report\r\n"
    b"Content-Type: message/delivery-status\r\n"
    b"\r\n"
    b"Reporting-MTA: dns; mx1.example.net\r\n"
    b"X-Postfix-Queue-ID: 3F2A1C0040\r\n"
    b"Arrival-Date: Mon, 23 Nov 2026 10:15:01 +0000 (UTC)\r\n"
    b"\r\n"
    b"Final-Recipient: rfc822; nobody-here@example.org\r\n"
    b"Original-Recipient: rfc822;nobody-here@example.org\r\n"
    b"Action: failed\r\n"
    b"Status: 5.1.1\r\n"
    b"Remote-MTA: dns; mail.example.org\r\n"
    b"Diagnostic-Code: smtp; 550 5.1.1 <nobody-here@example.org>: Recipient address\r\n"
    b"    rejected: User unknown in local recipient table\r\n"
    b"\r\n"
    b"--BOUNDARY-7731\r\n"
    b"Content-Description: Undelivered Message Headers\r\n"
    b"Content-Type: text/rfc822-headers\r\n"
    b"\r\n"
    b"From: newsletter@example.com\r\n"
    b"To: nobody-here@example.org\r\n"
    b"Subject: November news\r\n"
    b"Message-Id: <news-2026-11@example.com>\r\n"
    b"\r\n"
    b"--BOUNDARY-7731--\r\n"
)

# An Amazon SES bounce notification (the shape SES documents; values invented).
SES_EVENT = json.dumps(
    {
        "notificationType": "Bounce",
        "bounce": {
            "bounceType": "Permanent",
            "bounceSubType": "General",
            "bouncedRecipients": [
                {
                    "emailAddress": "gone@example.org",
                    "action": "failed",
                    "status": "5.1.1",
                    "diagnosticCode": "smtp; 550 5.1.1 gone@example.org: user unknown",
                }
            ],
            "timestamp": "2026-11-23T10:20:00.000Z",
            "feedbackId": "0100017c-example",
            "reportingMTA": "dsn; a1-2.smtp-out.example.com",
        },
        "mail": {
            "timestamp": "2026-11-23T10:19:58.000Z",
            "source": "sender@example.com",
            "messageId": "0100017c-message-example",
            "destination": ["gone@example.org"],
        },
    }
).encode()


def test_samples_are_well_formed() -> None:
    """The DSN is a multipart/report with a delivery-status part; the event is JSON."""
    from email import message_from_bytes

    msg = message_from_bytes(DSN)
    assert msg.get_content_type() == "multipart/report"
    parts = [p.get_content_type() for p in msg.walk()]
    assert "message/delivery-status" in parts
    assert json.loads(SES_EVENT)["bounce"]["bouncedRecipients"][0]["status"] == "5.1.1"
