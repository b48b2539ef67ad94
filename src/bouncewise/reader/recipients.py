"""Which addresses of a notice are its failed recipients, and the block of text that belongs to
each: an address alone at the start of a line, after a label, after "could not be delivered to",
in an announced list, or on a line quoting a reply; never the sender's, the mail system's or the
returned message's author's."""

from __future__ import annotations

from dataclasses import dataclass
from email.message import Message
from email.utils import getaddresses

from bouncewise.formats._util import ADDR_RE, header
from bouncewise.reader.patterns import BULLET_RE, CODED_LEAD_RE, SEPARATOR_RE
from bouncewise.reader.replies import command_of, has_reply, own_words, reply_in, rhost_of, status_of
from bouncewise.reader.vocab import MAX_LINE, MAX_RECIPIENTS, MAX_SEGMENT, Vocab
from bouncewise.record import Block


@dataclass(slots=True)
class Hit:
    line: int
    address: str
    strong: bool  # named in a recipient's place (else: only on a line quoting a reply)


def excluded(msg: Message, original: Message | None) -> tuple[set[str], set[str]]:
    """(addresses of the mail system and of the notice's sender: never recipients,
    addresses of the original sender's side: recipients only after RCPT TO / a DSN label)."""
    system: set[str] = set()
    for name in ("From", "Sender", "Reply-To", "Errors-To"):
        system.update(a.lower() for _, a in getaddresses([header(msg, name)]) if "@" in a)
    side: set[str] = set()
    for name in ("To", "Cc"):
        side.update(a.lower() for _, a in getaddresses([header(msg, name)]) if "@" in a)
    if original is not None:
        for name in ("From", "Sender", "Reply-To", "Return-Path"):
            side.update(a.lower() for _, a in getaddresses([header(original, name)]) if "@" in a)
    return system, side


def usable(addr: str, v: Vocab, *, listed: bool = False) -> bool:
    """Whether an address can be a failed recipient. A mail-system address (postmaster@,
    no-reply@ ...) only when the notice lists it as a recipient; MAILER-DAEMON never."""
    local, _, domain = addr.rpartition("@")
    if not local or "." not in domain:
        return False
    lp = local.lower()
    if "daemon" in lp:
        return False
    if (lp in v.system_locals or lp.startswith("postmaster")) and not listed:
        return False
    # message identifiers, not mailboxes
    return "$" not in lp and not (len(lp) > 40 and sum(c.isdigit() for c in lp) * 2 > len(lp))


def find_hits(lines: list[str], v: Vocab, system: set[str], side: set[str]) -> list[Hit]:
    hits: list[Hit] = []
    list_left = 0  # lines of an announced recipient list still to come
    listed = False  # an address of the announced list has been seen
    previous = ""  # the last non-empty line (a sentence may run on to an address's line)
    for i, raw in enumerate(lines):
        line = raw[:MAX_LINE]
        low = line.lower()
        stripped = low.strip()
        if not stripped:
            continue
        before_line, previous = previous, stripped
        if any(stripped.startswith(p) for p in v.not_labels) and not stripped.startswith(
            ("x-failed-recipients", "x-actual-recipient")
        ):
            list_left = max(0, list_left - 1)
            continue
        matches = list(ADDR_RE.finditer(line))
        announced = list_left > 0
        if not matches:
            if any(p in stripped for p in v.intro) and (stripped.endswith(":") or len(stripped) < 120):
                list_left, listed = 4, False
            elif list_left:
                list_left = 0 if listed else list_left - 1  # the list has ended
            continue
        reply_line = has_reply(line) or any(p in low for p in v.failure)
        for n, m in enumerate(matches):
            addr = m.group(0).strip(".")
            if addr.startswith("'"):
                addr = addr.lstrip("'")  # quoted in apostrophes: "Failed to deliver to 'user@...'"
            start = m.start()
            if start > 0 and line[start - 1] in "/=":
                continue  # inside a URL or a parameter
            before = low[max(0, start - 40) : start]
            lead = low[:start].rstrip(" \t<\"'([")
            rcpt_to = (
                "rcpt to" in before[-14:] or "final-recipient" in before or "original-recipient" in before
            )
            at_start = n == 0 and bool(BULLET_RE.match(lead))
            if at_start:  # what precedes it is the end of the previous line
                before = (before_line[-30:] + " " + before).lower()
            labelled = rcpt_to or any(lead.endswith(lbl.rstrip()) for lbl in v.labels)
            # "550 <user@...>... User unknown": a reply naming the address it is about
            coded = n == 0 and bool(CODED_LEAD_RE.match(lead))
            # "... could not be delivered to user@..." in any wording of the failure
            told = any(p in lead for p in v.intro) or (
                lead.endswith((" to", " to:")) and any(f in lead for f in v.failure)
            )
            strong = at_start or labelled or coded or told or announced
            if not strong and not reply_line:
                continue
            if not rcpt_to and any(w in before[-30:] for w in v.not_words):
                continue
            if not rcpt_to and lead.rstrip(" \t*").endswith(v.not_label_ends):
                continue  # "...: *  From: user@..." (a transcript's or a quoted header's sender)
            after = low[m.end() : m.end() + 12].lstrip(" >")
            if after.startswith(v.salutations):
                continue  # "user@example.org 様": the notice greets its reader
            key = addr.lower()
            # a mail-system address counts when the notice names it in a recipient's place
            if key in system or not usable(addr, v, listed=labelled or announced or told or coded):
                continue
            strict = rcpt_to or any(lead.endswith(lbl.rstrip()) for lbl in v.labels if lbl.rstrip().endswith(":"))
            if key in side and not (strict or announced or (at_start and reply_line)):
                continue  # the original sender, unless named in a recipient's place
            if announced:
                listed = True
            hits.append(Hit(i, addr, strong))
        if announced:
            list_left -= 1
    if any(h.strong for h in hits):
        strong = {h.address.lower() for h in hits if h.strong}
        hits = [h for h in hits if h.address.lower() in strong]
    return hits


def single_original_to(original: Message | None, system: set[str]) -> str | None:
    if original is None:
        return None
    found = [a for _, a in getaddresses([header(original, "To")]) if "@" in a]
    if len(found) != 1 or found[0].lower() in system:
        return None
    return found[0]


def blocks_of(body: list[str], hits: list[Hit], v: Vocab) -> list[Block]:
    """One block per recipient: the lines from each of its mentions to the next mention of
    another recipient."""
    order: list[str] = []
    segments: dict[str, list[str]] = {}
    for n, hit in enumerate(hits):
        key = hit.address.lower()
        if key not in segments:
            if len(order) >= MAX_RECIPIENTS:
                continue
            order.append(key)
            segments[key] = []
        end = len(body)
        for later in hits[n + 1 :]:
            if later.address.lower() != key and later.line > hit.line:
                end = later.line
                break
        if later_same := [h for h in hits[n + 1 :] if h.address.lower() == key and h.line < end]:
            end = min(end, later_same[0].line)  # the next mention continues the block
        seg = body[hit.line : min(end, hit.line + MAX_SEGMENT)]
        for j, line in enumerate(seg[1:], 1):  # a separator line closes the block
            if SEPARATOR_RE.match(line.strip()) and not line.strip(" -=*_#~+.\t"):
                seg = seg[:j]
                break
        segments[key].extend(seg)
    names = {h.address.lower(): h.address for h in hits}
    # a reply quoted above every recipient (the notice states the error, then the details
    # naming the recipient): it belongs to each recipient whose own lines quote none
    preamble_reply = reply_in(body[: hits[0].line], v) if hits else None
    blocks: list[Block] = []
    for key in order:
        seg = segments[key]
        seg_text = "\n".join(seg)
        reply = reply_in(seg, v) or preamble_reply
        diag = reply if reply else own_words(drop_addresses_only(seg, v), v)
        blocks.append(
            Block(
                recipient=names[key],
                diagnosis=diag,
                status=status_of(reply or "", seg_text),
                command=command_of(seg, v) or _rcpt_line_names(seg, names[key]),
                rhost=rhost_of(seg_text),
            )
        )
    # a recipient listed without words of its own: the words just above it (a reason
    # written before the address), else the next block's reply
    first_line = {}
    for h in hits:
        first_line.setdefault(h.address.lower(), h.line)
    taken = {h.line for h in hits}
    for i, b in enumerate(blocks):
        if not b.diagnosis or b.diagnosis.strip().lower() == (b.recipient or "").lower():
            b.diagnosis = words_above(body, first_line[(b.recipient or "").lower()], taken, v)
            if b.diagnosis:
                b.status = b.status or status_of(b.diagnosis, "")
                continue
            donor = next((d for d in blocks[i + 1 :] if d.diagnosis), None)
            if donor is not None:
                b.diagnosis, b.status = donor.diagnosis, b.status or donor.status
                b.command, b.rhost = b.command or donor.command, b.rhost or donor.rhost
    return blocks


def words_above(body: list[str], line: int, taken: set[int], v: Vocab) -> str:
    """The paragraph right above a recipient's line, when it is not an announcement of the
    list, a separator or another recipient's line."""
    kept: list[str] = []
    i = line - 1
    while i >= 0 and not body[i].strip():
        i -= 1
    while i >= 0 and len(kept) < 4:
        s = body[i].strip()
        low = s.lower()
        if not s or i in taken or SEPARATOR_RE.match(s) or any(p in low for p in v.intro):
            break
        if not any(b in low for b in v.boilerplate):
            kept.append(s)
        i -= 1
    return " ".join(reversed(kept))


def drop_addresses_only(seg: list[str], v: Vocab) -> list[str]:
    """A block's lines less those that hold nothing but an address, or a label and an
    address ("target address: user@..."): they name the recipient, not the failure."""
    out = []
    for line in seg:
        line = line[:MAX_LINE]
        rest = ADDR_RE.sub("", line).strip(" \t<>:;,.\"'()[]-")
        if not rest:
            continue
        low = rest.lower()
        m = ADDR_RE.search(line)
        after = line[m.end() :].strip(" \t<>:;,.\"'()[]-") if m else ""
        if (
            m is not None
            and len(rest) < 30
            and not after  # a label stands before the address; words after it say something
            and not has_reply(line)
            and not any(p in low for p in v.failure)
            and any(w in low for w in v.label_words)
        ):
            continue
        out.append(line)
    return out


def _rcpt_line_names(seg: list[str], address: str) -> str | None:
    """"RCPT" when the block holds the client's "RCPT TO:<address>" line for this recipient
    (a notice that shows the failed command in a section of its own)."""
    want = address.lower()
    for line in seg:
        low = line.strip().lower()
        if low.startswith("rcpt to:") and want in low:
            return "RCPT"
    return None
