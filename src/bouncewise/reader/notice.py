"""The flow of the generic reader: claim a notice by its signals, find its text, its returned
message and its recipients, and build one Block per failed recipient (merged with the report's
delivery-status fields when it has them). The reason is left to the classifier."""

from __future__ import annotations

import re
from email.message import Message
from email.utils import getaddresses

from bouncewise.formats import _mta
from bouncewise.formats._provider import stated_anywhere
from bouncewise.formats._util import header, part_text
from bouncewise.reader.boundary import inline_original, split_regions
from bouncewise.reader.patterns import LHOST_RE
from bouncewise.reader.recipients import Hit, blocks_of, excluded, find_hits, single_original_to
from bouncewise.reader.replies import (
    failure_lines,
    finish,
    has_reply,
    own_words,
    reply_in,
    rhost_of,
    status_of,
)
from bouncewise.reader.signals import (
    attached_messages,
    auto_generated,
    is_list_mail,
    is_other_report,
    sender_signal,
    strip_forward,
    subject_signal,
)
from bouncewise.reader.text import carries_event, is_pasted, notice_text, pasted_text
from bouncewise.reader.vocab import (
    FROM_ORIGINAL_NOTE,
    MAX_DIAG,
    MAX_LINE,
    MAX_LINES,
    MAX_RECIPIENTS,
    Vocab,
    vocab,
)
from bouncewise.record import Block

_SPACES_RE = re.compile(r"[ \t]{2,}")


def is_delay(subject: str, text: str, status: str | None, v: Vocab) -> bool:
    if status and status.startswith("5"):
        return False
    low = text.lower()
    if any(p in low for p in v.permanent):
        return False
    return any(w in subject for w in v.subject_delay) or any(p in low for p in v.delay)


def read(msg: Message) -> list[Block] | None:
    """One Block per failed (or delayed) recipient of a notice, or None when it is not one."""
    return _decode(msg, depth=0)


def _decode(msg: Message, depth: int) -> list[Block] | None:
    if is_other_report(msg):
        return None
    if carries_event(msg):  # an ESP's delivery event as the body (JSON): a report of its own kind
        from bouncewise.events import blocks_from_text

        return blocks_from_text(part_text(msg)) or None
    v = vocab()
    subject_raw = header(msg, "Subject")[:500]
    subject, forwarded = strip_forward(subject_raw.lower(), v)
    sender_sig = sender_signal(msg, v)
    subject_sig = subject_signal(subject, v)
    xfailed = [a for _, a in getaddresses([header(msg, "X-Failed-Recipients")]) if "@" in a][:MAX_RECIPIENTS]
    attached = attached_messages(msg)
    original = attached[0] if attached else None
    auto = auto_generated(msg)
    pasted = is_pasted(msg)
    if not (
        sender_sig
        or subject_sig
        or xfailed
        or original is not None
        or pasted
        or msg.get_content_type() == "multipart/report"
    ):
        return None
    if is_list_mail(msg) and not (sender_sig or xfailed):
        return None
    if subject.lstrip().startswith(v.reply_prefixes) and not (sender_sig or xfailed):
        return None  # a person's reply about a failure, not the notice itself

    text = _mta.unquote(pasted_text(msg) if pasted else notice_text(msg))
    lines = [ln[:MAX_LINE] for ln in text.split("\n")[:MAX_LINES]]
    regions = split_regions(lines, v)
    if original is None and len(regions) > 1:
        original = inline_original([ln for r in regions[1:4] for ln in r])
    system, side = excluded(msg, original)

    dsn = _mta.dsn_blocks(msg) + _mta.inline_dsn_blocks(text)
    hits: list[Hit] = []
    body = regions[0]
    if forwarded or depth:
        usable_regions = regions
    else:
        # the notice itself; and, when it quotes a few header lines of the message in its middle
        # (a content filter's "Return-Path: ... Subject: ..."), the text after them that still
        # says in the notice's own words that delivery failed
        usable_regions = regions[:1] + [r for r in regions[1:3] if prose_says_failure(r, v)]
    for region in usable_regions:
        found = find_hits(region, v, system, side)
        if found:
            hits, body = found, region
            break
    body_low = _words("\n".join(body))
    failure_sig = any(p in body_low for p in v.failure)
    reply_sig = any(has_reply(ln) for ln in body[:400])
    cut = len(regions) > 1

    says_failure = failure_sig or reply_sig or bool(xfailed or dsn)
    claimed = _claims(
        v, body, hits, original, sender=sender_sig, subject=subject_sig, listed=bool(xfailed or dsn),
        pasted=pasted, auto=auto, says_failure=says_failure, failure=failure_sig, reply=reply_sig, cut=cut,
    )
    if not claimed:
        return from_attached(msg, attached, depth)

    blocks = blocks_of(body, hits, v)
    for addr in xfailed:  # the MTA's own list of failed recipients
        if not any(_mta.same_address(addr, b.recipient) for b in blocks):
            blocks.append(Block(recipient=addr))
    if dsn:
        blocks = _mta.merge([b for b in dsn if b.recipient], blocks)
    if not blocks:
        inner = from_attached(msg, attached, depth)
        if inner:
            return inner
        one = single_original_to(original, system)
        if one is None or not (sender_sig or subject_sig) or not says_failure:
            return None
        # the reply it quotes, else its own account (the lines that say it failed, and those
        # around them that say why: a list's "the moderator gave the following reason: ...")
        diag = reply_in(body, v) or own_words(body[:40], v)
        blocks = [Block(recipient=one, diagnosis=(diag + " " + FROM_ORIGINAL_NOTE).strip())]

    preamble = body[: hits[0].line] if hits else body
    shared = reply_in(body, v) if len({b.recipient for b in blocks}) > 1 else None
    lhost_m = LHOST_RE.search("\n".join(preamble)[:5000])
    preamble_rhost = rhost_of("\n".join(preamble))
    for b in blocks:
        if not b.diagnosis:
            b.diagnosis = shared or own_words(failure_lines(preamble, v), v) or own_words(body[:12], v)
        if b.rhost is None:
            b.rhost = preamble_rhost
        if b.lhost is None and lhost_m:
            b.lhost = lhost_m.group(1).rstrip(".").lower()
        b.diagnosis = _mta.squeeze(b.diagnosis)[:MAX_DIAG]
        if b.status is None:
            b.status = status_of(b.diagnosis, "")
        if b.action is None:
            b.action = "delayed" if is_delay(subject, body_low, b.status, v) else "failed"
    blocks = finish(blocks)
    # a system's own fixed sentence that states the reason (formats/data/providers.toml): in a
    # recipient's lines, or above the recipients (then it is said of each of them)
    stated_above = stated_anywhere("\n".join(preamble)[:20_000])
    for b in blocks:
        b.reason = b.reason or stated_anywhere(b.diagnosis) or stated_above
        if b.action == "delayed" and not b.replycode and b.reason is None:
            # a delay notice in the mail system's own words, with no server reply: it says
            # only that delivery has not happened yet
            b.reason = "expired"
    return blocks or None


def _claims(
    v: Vocab, body: list[str], hits: list[Hit], original: Message | None, *, sender: bool, subject: bool,
    listed: bool, pasted: bool, auto: bool, says_failure: bool, failure: bool, reply: bool, cut: bool,
) -> bool:
    """Whether the message is a notice: the headers and the text must both say so.
    ``sender``/``subject``: the mail system speaks, the Subject names a failure or delay;
    ``listed``: X-Failed-Recipients or delivery-status fields name recipients; ``failure``,
    ``reply``: the text says delivery failed, quotes a reply; ``cut``: a returned message
    follows the text."""
    strong = any(h.strong for h in hits)
    if sender and subject:  # a recipient named in a recipient's place is enough
        return says_failure or strong
    if listed:
        return True
    if sender or subject:
        # failure words alone are not enough: a code, the message returned, or the notice's own
        # sentence saying delivery failed with a recipient named in a recipient's place
        return says_failure and (reply or original is not None or cut or (prose_says_failure(body, v) and strong))
    if pasted:
        # a notice's text without its headers: its own sentences (not only quoted replies, which
        # are diagnosed as replies) say delivery failed, and a recipient is named in its place
        return prose_says_failure(body, v) and strong
    if auto:  # an automatic message with a returned message attached
        return original is not None and failure and reply
    # a message attached, and the text says it could not be delivered to its addressee
    return original is not None and failure and addressed_to(original, hits)


def prose_says_failure(body: list[str], v: Vocab) -> bool:
    """The notice's own sentences (a line that quotes no reply) say delivery failed."""
    return any(not has_reply(ln) and any(p in _words(ln) for p in v.failure) for ln in body[:400])


def _words(text: str) -> str:
    """Lower-cased text with runs of spaces made one (justified text: "not  authorized  to")."""
    low = text.lower()
    return _SPACES_RE.sub(" ", low) if "  " in low or "\t" in low else low


def text_blocks(msg: Message) -> list[Block]:
    """The recipients the notice's text names, each with what its lines say (reply, codes,
    command, remote host), without deciding whether the message is a notice: for a decoder
    that has the recipients from structured fields and wants what the text adds."""
    v = vocab()
    text = _mta.unquote(notice_text(msg))
    lines = [ln[:MAX_LINE] for ln in text.split("\n")[:MAX_LINES]]
    regions = split_regions(lines, v)
    original = inline_original([ln for r in regions[1:4] for ln in r]) if len(regions) > 1 else None
    system, side = excluded(msg, original)
    hits = find_hits(regions[0], v, system, side)
    if hits:
        return finish(blocks_of(regions[0], hits, v))
    # no recipient named in a recipient's place: the reply the notice quotes, for nobody in
    # particular (a session transcript's last error)
    reply = reply_in(regions[0], v)
    return finish([Block(diagnosis=_mta.squeeze(reply)[:MAX_DIAG])]) if reply else []


def addressed_to(original: Message, hits: list[Hit]) -> bool:
    """Whether an address the notice names in a recipient's place is one the returned message
    was sent to (its To or Cc): the notice is about that message's delivery."""
    named = {h.address.lower() for h in hits if h.strong}
    if not named:
        return False
    sent_to = {a.lower() for name in ("To", "Cc") for _, a in getaddresses([header(original, name)]) if "@" in a}
    return bool(named & sent_to)


def from_attached(msg: Message, attached: list[Message], depth: int) -> list[Block] | None:
    """A notice forwarded as an attachment: read the attached notice itself."""
    if depth > 0:
        return None
    v = vocab()
    for inner in attached[:3]:
        if not inner.get_payload():
            continue
        subject, _ = strip_forward(header(inner, "Subject").lower()[:500], v)
        if sender_signal(inner, v) or subject_signal(subject, v):
            found = _decode(inner, depth + 1)
            if found:
                return found
    return None
