"""Synthetic record streams for the report tests: NDJSON shaped like ``bouncewise parse``
output, made from a fixed seed so that a run is repeatable. The replies are written for the
tests; reasons, hard/soft and who acts come from the project's own data (reasons.toml)."""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bouncewise import reasons

# reason -> (weight, status, reply template, advice)
REPLIES: dict[str, tuple[int, str, str, str]] = {
    "userunknown": (30, "5.1.1", "550 5.1.1 <{rcpt}>: Recipient address rejected: User unknown", "Check the address for typos."),
    "mailboxfull": (12, "4.2.2", "452 4.2.2 <{rcpt}> Mailbox full, try again later", "Send again later."),
    "ratelimited": (14, "4.7.0", "421 4.7.0 [TSS04] Messages from 192.0.2.{n} temporarily deferred due to rate limits",
                    "Slow down: send fewer messages or connections per minute to this receiver."),
    "blocked": (10, "5.7.1", "554 5.7.1 Service unavailable; Client host [192.0.2.{n}] blocked using zen.spamhaus.org",
                "Look up the sending IP on the blocklist named in the reply and follow its delisting steps."),
    "authfailure": (8, "5.7.26", "550 5.7.26 This mail is unauthenticated, which poses a security risk to the sender",
                    "Publish SPF and DKIM for the sending domain and align them with DMARC."),
    "hostunknown": (6, "5.1.2", "550 5.1.2 Host or domain name not found for <{rcpt}>", "Check the domain part of the address."),
    "expired": (6, "4.4.7", "Delivery expired: connection timed out to the receiving host", "Check the receiver's MX."),
    "spamdetected": (5, "5.7.1", "550 5.7.1 Message rejected as spam by content filter", "Review the message content."),
    "suspend": (4, "5.2.1", "550 5.2.1 <{rcpt}> This mailbox is disabled", "Contact the recipient another way."),
    "filtered": (3, "5.2.0", "550 5.2.0 Message refused by the recipient's filter rules", "Contact the recipient another way."),
    "emailtoolarge": (2, "5.3.4", "552 5.3.4 Message size exceeds fixed limit", "Send a smaller message."),
}
PROVIDERS = [("gmail.com", "google", "gmail-smtp-in.l.google.com"), ("yahoo.com", "yahoo", "mta7.am0.yahoodns.net"),
             ("outlook.com", "microsoft", "outlook-com.olc.protection.outlook.com"),
             ("hotmail.com", "microsoft", "hotmail-com.olc.protection.outlook.com"),
             ("aol.com", "yahoo", "mx-aol.mail.gm0.yahoodns.net"), ("gmx.net", "gmx", "mx00.gmx.net"),
             ("web.de", "web.de", "mx-ha01.web.de"), ("orange.fr", "orange", "smtp-in.orange.fr"),
             ("mail.ru", "mailru", "mxs.mail.ru"), ("yandex.ru", "yandex", "mx.yandex.ru")]
SMALL_DOMAINS = [f"shop{i}.example" for i in range(60)] + [f"corp{i}.example.org" for i in range(40)]


def records(n: int, seed: int = 17, start: datetime | None = None, days: int = 14) -> Iterator[dict[str, Any]]:
    """``n`` record dicts: mostly bounces, some delayed, delivered, feedback, vacation and
    error records; a burst of Yahoo rate limiting on one day (a spike)."""
    rnd = random.Random(seed)
    start = start or datetime(2026, 11, 20, tzinfo=UTC)
    names = list(REPLIES)
    weights = [REPLIES[r][0] for r in names]
    spike_day = start + timedelta(days=days // 2)
    for i in range(1, n + 1):
        roll = rnd.random()
        when = start + timedelta(seconds=rnd.randrange(days * 86400))
        base = {"file": f"/var/mail/bounces/{i // 50:05d}.eml", "index": i % 50 + 1, "timestamp": when.isoformat()}
        if roll < 0.01:
            yield {**base, "kind": "error", "error": "limit: message size over the limit"}
            continue
        if roll < 0.03:
            yield {**base, "kind": rnd.choice(["delivered", "vacation", "feedback"]), "reason": None}
            continue
        if rnd.random() < 0.5:
            domain, provider, mx = rnd.choice(PROVIDERS)
        else:
            domain = rnd.choice(SMALL_DOMAINS)
            provider, mx = None, f"mx{rnd.randrange(3)}.{domain}"
        reason = rnd.choices(names, weights)[0]
        if rnd.random() < 0.06:  # the spike: Yahoo rate limits on one day
            domain, provider, mx, reason = "yahoo.com", "yahoo", "mta5.am0.yahoodns.net", "ratelimited"
            when = spike_day + timedelta(seconds=rnd.randrange(86400))
            base["timestamp"] = when.isoformat()
        rcpt = f"user{rnd.randrange(40_000)}@{domain}"
        _, status, template, advice = REPLIES[reason]
        kind = "delayed" if status.startswith("4") and rnd.random() < 0.5 else "bounce"
        info = reasons.get(reason)
        yield {
            **base, "kind": kind, "recipient": rcpt, "status": status, "replycode": template[:3], "reason": reason,
            "hardbounce": kind == "bounce" and reasons.is_hardbounce(reason, status),
            "diagnosticcode": template.format(rcpt=rcpt, n=rnd.randrange(1, 30)), "rhost": mx, "provider": provider,
            "who_acts": info.who_acts, "advice": [advice], "retry": info.retry,
        }


def write_ndjson(path: Path, n: int, **kw: Any) -> Path:
    with open(path, "w", encoding="utf-8") as fh:
        for r in records(n, **kw):
            fh.write(json.dumps(r) + "\n")
    return path
