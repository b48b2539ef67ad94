"""Microsoft Exchange Server 2007 and later non-delivery reports (as sent by on-premises
servers; Office 365's own layout is a provider format).

A localised notice ("Delivery has failed to these recipients or groups:") and a section of
"Diagnostic information for administrators" where each recipient address stands alone on a
line, followed by the reply: ``#550 5.1.1 RESOLVER.ADR.RecipNotFound; not found ##`` or
``Remote Server returned '550 5.1.1 ...'``. An RFC 3464 part usually follows.
"""

from __future__ import annotations

import re
from email.message import Message

from bouncewise.formats import _mta
from bouncewise.record import Block

NAME = "Exchange2007"

# "Undeliverable:" and its translations used by Exchange's subject line.
_SUBJECTS = (
    "undeliverable:", "undeliverable message", "non recapitabile:", "unzustellbar:", "non remis :",
    "non remis:", "onbestelbaar:", "no se puede entregar:", "não é possível entregar:",
    "olevererbart:", "nedoručitelné:", "niedostarczalne:", "kézbesíthetetlen:", "teslim edilemiyor:",
    "non distribuibile:", "onafgeleverd:", "impossible de remettre:", "entrega con error:",
)
_BARE_ADDR = re.compile(r"^<?([^<>\s]{1,300}@[^<>\s]{1,300}?)>?$")
_HASH_REPLY = re.compile(r"^#([245]\d\d[ -].{0,2000}?)(?:##.{0,400})?$")
_REMOTE = re.compile(r"^Remote Server (?:at \S{1,300} )?returned '(.{1,2000})'$", re.I)
_GENERATING = re.compile(r"^[A-Za-z ]{0,40}(?:Generating server|Server di generazione|Generierender Server|Serveur de g|Servidor de generaci)", re.I)
_END = re.compile(r"^(?:Original message headers|Intestazioni originali del messaggio|Ursprüngliche Nachrichtenkopfzeilen|En-têtes du message d'origine|Encabezados de mensajes originales)\b", re.I)


def detect(msg: Message) -> bool:
    subject = _mta.header_lower(msg, "Subject")
    if subject.startswith(_SUBJECTS):
        return True
    if _mta.header_lower(msg, "X-MS-Exchange-Message-Is-Ndr") or msg.get("X-MS-Exchange-Message-Is-Ndr") is not None:
        return True
    return msg.get("Content-Language") is not None and "postmaster@" in _mta.header_lower(msg, "From")


def decode(msg: Message) -> list[Block] | None:
    text = _mta.report_text(msg)
    lines = [ln.strip() for ln in _mta.lines_of(text)]
    found: list[Block] = []
    in_diag = False
    pending: str | None = None
    for line in lines:
        if _END.match(line):
            break
        if _GENERATING.match(line):
            in_diag = True
            continue
        if not in_diag or not line:
            continue
        m = _BARE_ADDR.match(line)
        if m:
            pending = m.group(1)
            continue
        reply = _HASH_REPLY.match(line) or _REMOTE.match(line)
        if reply and pending:
            found.append(Block(recipient=pending, diagnosis=reply.group(1).strip(), action="failed"))
            pending = None
    dsn = _mta.dsn_blocks(msg)
    if not found and not dsn:
        return None
    if not found and "microsoft exchange" not in text.lower() and not in_diag:
        return None
    blocks = _mta.merge(dsn, found)
    return _mta.finish(blocks) or None
