"""Yandex bounces from mailer-daemon@yandex.* (X-Yandex-* headers): a Russian preamble,
then Postfix's English report ("This is the mail system at host yandex.ru.") and a
delivery-status part with X-Yandex-Queue-ID / X-Yandex-Sender fields."""

from __future__ import annotations

from email.message import Message

from bouncewise.formats import _provider as p
from bouncewise.record import Block

NAME = "Yandex"
PROVIDER = "yandex"


def detect(msg: Message) -> bool:
    sender = p.from_addr(msg)
    return "mailer-daemon@yandex." in sender or ("mailer-daemon@" in sender and p.has_header(msg, "X-Yandex-Front"))


def decode(msg: Message) -> list[Block] | None:
    blocks = p.dsn_blocks(msg, PROVIDER)
    for b in blocks:
        if not b.command and "(in reply to RCPT TO" in b.diagnosis:
            b.command = "RCPT"
    return blocks or None
