"""ESP events: bounce, complaint and delivery events that e-mail service providers send as
JSON, turned into the same per-recipient Blocks (and Records) as bounce messages.

Supported shapes:

- Amazon SES notifications (``notificationType`` / ``eventType`` with a ``mail`` object),
  direct or inside an Amazon SNS envelope (``"Type": "Notification"`` whose ``Message`` is
  the notification as a JSON string);
- SendGrid Event Webhook posts: an array of events (``event``, ``email``, ``sg_event_id``);
- Mailgun events: a webhook post (``signature`` + ``event-data``), one event object, or an
  Events API page (``items``);
- Postmark webhooks (``RecordType`` Bounce / SpamComplaint / Delivery) and Bounces API pages.

Public API::

    detect_provider(obj) -> "ses" | "sendgrid" | "mailgun" | "postmark" | None
    parse_event(obj) -> list[Block]
    records_from_json(data: bytes, origin: str, provider: str | None) -> list[Record]

As with bounce formats, a Block holds facts; ``Block.reason`` is set only where the event
itself states the outcome (a complaint, a delivery, a suppression, an auto-reply) or names
its cause in a typed field while giving no SMTP reply to diagnose.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from bouncewise.errors import InputError
from bouncewise.formats._util import ADDR_RE
from bouncewise.record import DELIVERED, FEEDBACK, VACATION, Block, Record

PROVIDERS = ("ses", "sendgrid", "mailgun", "postmark")
MAX_JSON_BYTES = 20_000_000
MAX_EVENTS = 100_000
MAX_TEXT = 4_000

# Like formats._util.STATUS_RE but ASCII digits only ([0-9], where \d also takes other scripts' digits).
_STATUS_RE = re.compile(r"\b([245])\.([0-9]{1,3})\.([0-9]{1,3})\b")
_REPLY_RE = re.compile(r"^[ \t'\"(#<\[]{0,3}([245][0-5][0-9])(?:[ \t:-]|$)")
_TYPE_PREFIX_RE = re.compile(r"^[ \t]{0,5}[A-Za-z][A-Za-z0-9/_-]{0,20}[ \t]{0,3};[ \t]{0,10}")

_KIND_OF_REASON = {"delivered": DELIVERED, "feedback": FEEDBACK, "vacation": VACATION}


@dataclass(slots=True)
class _Event:
    """A Block plus what the event says about the original message."""

    block: Block
    provider: str
    addresser: str | None = None
    subject: str | None = None
    messageid: str | None = None
    timestamp: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


# ---------------------------------------------------------------------------------------
# small helpers


def _s(value: Any) -> str:
    """A JSON value as a trimmed string ('' for None, lists and objects)."""
    if value is None or isinstance(value, (dict, list)):
        return ""
    return str(value).strip()[:MAX_TEXT]


def _status(text: str) -> str | None:
    m = _STATUS_RE.search(text[:MAX_TEXT])
    return ".".join(m.groups()) if m else None


def _reply(text: str) -> str | None:
    m = _REPLY_RE.match(text[:MAX_TEXT])
    return m.group(1) if m else None


def _strip_type(text: str) -> str:
    return _TYPE_PREFIX_RE.sub("", text, count=1).strip()


def _address(value: Any) -> str | None:
    m = ADDR_RE.search(_s(value)[:1000])
    return m.group(0).strip(".") if m else None


def _sweep(text: str) -> str:
    return " ".join(text[: MAX_TEXT * 2].split())[:MAX_TEXT]


# ---------------------------------------------------------------------------------------
# detection


def detect_provider(obj: Any) -> str | None:
    """Which ESP wrote this JSON value (an object, or an array of events)."""
    if isinstance(obj, list):
        for item in obj[:20]:
            found = detect_provider(item)
            if found:
                return found
        return None
    if not isinstance(obj, dict):
        return None
    if obj.get("Type") in ("Notification", "SubscriptionConfirmation") and isinstance(obj.get("Message"), str):
        return "ses"
    if ("notificationType" in obj or "eventType" in obj) and isinstance(obj.get("mail"), dict):
        return "ses"
    if "RecordType" in obj or ("TypeCode" in obj and "Email" in obj) or isinstance(obj.get("Bounces"), list):
        return "postmark"
    if isinstance(obj.get("event-data"), dict):
        return "mailgun"
    if isinstance(obj.get("items"), list):
        return "mailgun" if detect_provider(obj["items"]) == "mailgun" else None
    if "event" in obj:
        if any(k in obj for k in ("sg_event_id", "sg_message_id", "smtp-id")):
            return "sendgrid"
        if "recipient" in obj and any(k in obj for k in ("delivery-status", "severity", "log-level", "envelope")):
            return "mailgun"
        if "email" in obj:
            return "sendgrid"
    return None


# ---------------------------------------------------------------------------------------
# Amazon SES

# bounceSubType values that state the cause by themselves.
_SES_SUBTYPES = {
    "NoEmail": "userunknown",
    "MailboxFull": "mailboxfull",
    "MessageTooLarge": "emailtoolarge",
    "ContentRejected": "contenterror",
    "AttachmentRejected": "securityerror",
}
_SES_SUPPRESSED = ("Suppressed", "OnAccountSuppressionList")


def _ses_unwrap(obj: dict[str, Any]) -> dict[str, Any] | None:
    if obj.get("Type") == "Notification" and isinstance(obj.get("Message"), str):
        try:
            inner = json.loads(obj["Message"][:MAX_JSON_BYTES])
        except ValueError:
            return None
        return inner if isinstance(inner, dict) else None
    return obj


def _ses(obj: dict[str, Any]) -> list[_Event]:
    note = _ses_unwrap(obj)
    if note is None:
        return []
    kind = _s(note.get("notificationType") or note.get("eventType"))
    mail = note.get("mail") if isinstance(note.get("mail"), dict) else {}
    common = mail.get("commonHeaders") if isinstance(mail.get("commonHeaders"), dict) else {}
    meta = {
        "addresser": _address(mail.get("source")),
        "subject": _s(common.get("subject")) or None,
        "messageid": _s(common.get("messageId") or mail.get("messageId")).strip("<>") or None,
    }
    out: list[_Event] = []

    def add(block: Block, when: Any) -> None:
        block.provider = "amazon"
        out.append(_Event(block=block, provider="ses", timestamp=_s(when) or None, **meta))

    if kind == "Bounce":
        bounce = note.get("bounce") if isinstance(note.get("bounce"), dict) else {}
        btype, subtype = _s(bounce.get("bounceType")), _s(bounce.get("bounceSubType"))
        lhost = _strip_type(_s(bounce.get("reportingMTA"))) or None
        for r in bounce.get("bouncedRecipients") or []:
            if not isinstance(r, dict) or not _address(r.get("emailAddress")):
                continue
            diag = _sweep(_strip_type(_s(r.get("diagnosticCode"))))
            b = Block(
                recipient=_address(r.get("emailAddress")),
                action=_s(r.get("action")).lower() or "failed",
                status=_status(_s(r.get("status"))) or _status(diag),
                replycode=_reply(diag),
                diagnosis=diag or _sweep(f"Amazon SES bounce: {btype} {subtype}"),
                lhost=lhost,
                rhost=_s(bounce.get("remoteMtaIp")) or None,
            )
            if subtype in _SES_SUPPRESSED:
                b.reason = "suppressed"  # SES did not even try: the address is on its list
            elif not diag and subtype in _SES_SUBTYPES:
                b.reason = _SES_SUBTYPES[subtype]
            add(b, bounce.get("timestamp"))
    elif kind == "Complaint":
        complaint = note.get("complaint") if isinstance(note.get("complaint"), dict) else {}
        ftype = _s(complaint.get("complaintFeedbackType")) or None
        for r in complaint.get("complainedRecipients") or []:
            addr = _address(r.get("emailAddress")) if isinstance(r, dict) else None
            if addr:
                b = Block(recipient=addr, reason="feedback", feedbacktype=ftype, diagnosis=_s(complaint.get("userAgent")))
                add(b, complaint.get("timestamp"))
    elif kind == "Delivery":
        delivery = note.get("delivery") if isinstance(note.get("delivery"), dict) else {}
        response = _sweep(_s(delivery.get("smtpResponse")))
        for addr in delivery.get("recipients") or []:
            if _address(addr):
                b = Block(
                    recipient=_address(addr),
                    action="delivered",
                    reason="delivered",
                    status=_status(response),
                    replycode=_reply(response),
                    diagnosis=response,
                    lhost=_s(delivery.get("reportingMTA")) or None,
                    rhost=_s(delivery.get("remoteMtaIp")) or None,
                )
                add(b, delivery.get("timestamp"))
    elif kind == "DeliveryDelay":
        delay = note.get("deliveryDelay") if isinstance(note.get("deliveryDelay"), dict) else {}
        for r in delay.get("delayedRecipients") or []:
            if not isinstance(r, dict) or not _address(r.get("emailAddress")):
                continue
            diag = _sweep(_strip_type(_s(r.get("diagnosticCode"))))
            b = Block(
                recipient=_address(r.get("emailAddress")),
                action="delayed",
                status=_status(_s(r.get("status"))) or _status(diag),
                replycode=_reply(diag),
                diagnosis=diag or _sweep(f"Amazon SES delivery delay: {_s(delay.get('delayType'))}"),
                rhost=_s(delay.get("reportingMTA")) or None,
                will_retry_until=_s(delay.get("expirationTime")) or None,
            )
            add(b, delay.get("timestamp"))
    elif kind == "Reject":
        reject = note.get("reject") if isinstance(note.get("reject"), dict) else {}
        for addr in mail.get("destination") or []:
            if _address(addr):
                # SES rejects an accepted message only when it found a virus in it.
                b = Block(recipient=_address(addr), action="failed", reason="virusdetected",
                          diagnosis=_sweep(f"Amazon SES rejected the message: {_s(reject.get('reason'))}"))
                add(b, mail.get("timestamp"))
    return out


# ---------------------------------------------------------------------------------------
# SendGrid

# "dropped" reasons meaning SendGrid suppressed the address without trying it.
_SG_SUPPRESSED = ("bounced address", "unsubscribed address", "spam reporting address", "invalid address")


def _sendgrid(obj: dict[str, Any]) -> list[_Event]:
    event = _s(obj.get("event")).lower()
    addr = _address(obj.get("email"))
    if not addr:
        return []
    text = _sweep(_s(obj.get("reason")) or _s(obj.get("response")))
    b = Block(recipient=addr, provider="sendgrid", diagnosis=text)
    b.status = _status(_s(obj.get("status"))) or _status(text)
    b.replycode = _reply(text)
    if event == "bounce":
        b.action = "failed"
    elif event == "dropped":
        b.action = "failed"
        if text.lower().startswith(_SG_SUPPRESSED):
            b.reason = "suppressed"
    elif event == "deferred":
        b.action = "delayed"
    elif event == "delivered":
        b.action, b.reason = "delivered", "delivered"
    elif event == "spamreport":
        b.reason, b.feedbacktype = "feedback", "abuse"
    else:
        return []  # processed, open, click, unsubscribe, group events: not delivery outcomes
    mid = _s(obj.get("smtp-id")).strip("<>") or None
    ts = obj.get("timestamp")
    return [_Event(block=b, provider="sendgrid", messageid=mid, timestamp=_iso(ts))]


def _iso(value: Any) -> str | None:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        from datetime import UTC, datetime

        try:
            return datetime.fromtimestamp(float(value), tz=UTC).isoformat()
        except (OverflowError, OSError, ValueError):
            return None
    return _s(value) or None


# ---------------------------------------------------------------------------------------
# Mailgun

_MG_SUPPRESSED = ("suppress-bounce", "suppress-unsubscribe", "suppress-complaint")


def _mailgun(obj: dict[str, Any]) -> list[_Event]:
    if isinstance(obj.get("event-data"), dict):
        obj = obj["event-data"]
    if isinstance(obj.get("items"), list):
        out: list[_Event] = []
        for item in obj["items"][:MAX_EVENTS]:
            if isinstance(item, dict):
                out.extend(_mailgun(item))
        return out
    event = _s(obj.get("event")).lower()
    addr = _address(obj.get("recipient"))
    if not addr:
        return []
    ds = obj.get("delivery-status") if isinstance(obj.get("delivery-status"), dict) else {}
    code = _s(ds.get("code"))
    message = _s(ds.get("message"))
    description = _s(ds.get("description"))
    text = _sweep(" ".join(t for t in (message, description) if t))
    if code and code.isdigit() and code not in text[:4]:
        text = _sweep(f"{code} {text}")
    b = Block(recipient=addr, provider="mailgun", diagnosis=text)
    b.replycode = code if re.fullmatch(r"[245][0-5][0-9]", code) else _reply(text)
    b.status = _status(_s(ds.get("enhanced-code"))) or _status(text)
    b.rhost = _s(ds.get("mx-host")) or None
    reason = _s(obj.get("reason")).lower()
    if event in ("failed", "bounced", "dropped"):
        b.action = "delayed" if _s(obj.get("severity")).lower() == "temporary" else "failed"
        if reason in _MG_SUPPRESSED:
            b.reason = "suppressed"
        elif reason == "old" and not b.status and not b.replycode:
            b.reason = "expired"  # Mailgun gave up retrying
    elif event == "delivered":
        b.action, b.reason = "delivered", "delivered"
    elif event == "complained":
        b.reason, b.feedbacktype = "feedback", "abuse"
    elif event == "rejected":
        b.action = "failed"
        rej = obj.get("reject") if isinstance(obj.get("reject"), dict) else {}
        b.diagnosis = b.diagnosis or _sweep(f"Mailgun rejected the message: {_s(rej.get('reason'))}")
    else:
        return []
    message_obj = obj.get("message") if isinstance(obj.get("message"), dict) else {}
    headers = message_obj.get("headers") if isinstance(message_obj.get("headers"), dict) else {}
    return [
        _Event(
            block=b,
            provider="mailgun",
            addresser=_address(headers.get("from")),
            subject=_s(headers.get("subject")) or None,
            messageid=_s(headers.get("message-id")).strip("<>") or None,
            timestamp=_iso(obj.get("timestamp")),
        )
    ]


# ---------------------------------------------------------------------------------------
# Postmark

# Bounce types that state the outcome whatever the details say ...
_PM_FIXED = {
    "SpamComplaint": "feedback",
    "AutoResponder": "vacation",
    "ManuallyDeactivated": "suppressed",
    "VirusNotification": "virusdetected",
}
# ... and those that name the cause when the details hold no SMTP reply to diagnose.
_PM_TYPED = {
    "HardBounce": None,
    "BadEmailAddress": "userunknown",
    "DnsError": "hostunknown",
    "Blocked": "blocked",
    "DMARCPolicy": "authfailure",
    "SpamNotification": "spamdetected",
    "AddressChange": "hasmoved",
}


def _postmark(obj: dict[str, Any]) -> list[_Event]:
    if isinstance(obj.get("Bounces"), list):
        out: list[_Event] = []
        for item in obj["Bounces"][:MAX_EVENTS]:
            if isinstance(item, dict):
                out.extend(_postmark(item))
        return out
    record = _s(obj.get("RecordType")) or "Bounce"
    addr = _address(obj.get("Email") or obj.get("Recipient"))
    if not addr:
        return []
    details = _sweep(_strip_type(_s(obj.get("Details"))))
    b = Block(recipient=addr, provider="postmark")
    if record == "Delivery":
        b.action, b.reason, b.diagnosis = "delivered", "delivered", details
        when = obj.get("DeliveredAt")
    elif record == "SpamComplaint":
        b.reason, b.feedbacktype, b.diagnosis = "feedback", "abuse", details
        when = obj.get("BouncedAt")
    elif record == "Bounce":
        btype = _s(obj.get("Type"))
        b.diagnosis = details or _sweep(_s(obj.get("Description")))
        b.status = _status(details)
        b.replycode = _reply(details)
        b.action = "delayed" if btype in ("Transient", "SoftBounce") and not b.status else "failed"
        if btype in _PM_FIXED:
            b.reason = _PM_FIXED[btype]
            if b.reason == "feedback":
                b.feedbacktype = "abuse"
        elif btype in _PM_TYPED and _PM_TYPED[btype] and not b.status and not b.replycode:
            b.reason = _PM_TYPED[btype]
        elif btype == "Unsubscribe":
            b.reason, b.feedbacktype = "feedback", "opt-out"
        when = obj.get("BouncedAt")
    else:
        return []
    return [
        _Event(
            block=b,
            provider="postmark",
            addresser=_address(obj.get("From")),
            subject=_s(obj.get("Subject")) or None,
            messageid=_s(obj.get("MessageID")) or None,
            timestamp=_s(when) or None,
        )
    ]


_PARSERS = {"ses": _ses, "sendgrid": _sendgrid, "mailgun": _mailgun, "postmark": _postmark}


def _events(obj: Any, provider: str | None = None) -> list[_Event]:
    if isinstance(obj, list):
        out: list[_Event] = []
        for item in obj[:MAX_EVENTS]:
            out.extend(_events(item, provider))
        return out
    if not isinstance(obj, dict):
        return []
    name = provider or detect_provider(obj)
    parser = _PARSERS.get(name or "")
    return parser(obj) if parser else []


def parse_event(obj: Any, provider: str | None = None) -> list[Block]:
    """Blocks (one per recipient) from one ESP event, an array of events or a page of them.

    ``provider`` forces the reading ("ses", "sendgrid", "mailgun", "postmark"); without it
    the shape of the JSON decides. Events that are not delivery outcomes (opens, clicks,
    "processed") give no block."""
    if provider is not None and provider not in PROVIDERS:
        raise ValueError(f"unknown ESP {provider!r}; expected one of {', '.join(PROVIDERS)}")
    return [e.block for e in _events(obj, provider)]


def blocks_from_text(text: str) -> list[Block]:
    """Blocks from an ESP event sent as the body of an e-mail (Amazon SNS delivers SES
    notifications to an e-mail subscriber as the JSON text, its long lines wrapped with "!"
    and a newline and a space): [] when the text holds no event."""
    start = text.find("{")
    if start < 0:
        return []
    body = text[start : start + 2_000_000].replace("!\n ", "")
    end = body.rfind("}")
    if end < 0:
        return []
    try:
        obj = json.loads(body[: end + 1])
    except ValueError:
        return []
    try:
        return parse_event(obj)
    except (ValueError, TypeError, AttributeError):
        return []


# ---------------------------------------------------------------------------------------
# Records


MAX_JSON_DEPTH = 64  # nesting of arrays and objects; real events use fewer than ten levels


def load_json(text: str | bytes) -> Any:
    """``json.loads`` for untrusted input: ValueError for what is not JSON, InputError for
    JSON nested deeper than MAX_JSON_DEPTH levels or holding a lone surrogate escape
    ("\\ud800", which no UTF-8 text can carry) in a string."""
    try:
        value = json.loads(text)
    except RecursionError:
        raise InputError(f"JSON nested deeper than {MAX_JSON_DEPTH} levels") from None
    _check_json(value)
    return value


def _check_json(value: Any) -> None:
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, str):
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                raise InputError("JSON text holds a lone surrogate escape (such as \\ud800): "
                                 "not valid Unicode") from None
        elif isinstance(item, dict | list):
            if depth > MAX_JSON_DEPTH:
                raise InputError(f"JSON nested deeper than {MAX_JSON_DEPTH} levels")
            if isinstance(item, dict):
                stack.extend((k, depth) for k in item)
                stack.extend((v, depth + 1) for v in item.values())
            else:
                stack.extend((v, depth + 1) for v in item)


def _load(data: bytes) -> list[Any]:
    """One JSON value, or NDJSON (one value per line)."""
    from bouncewise.errors import LimitExceeded

    if len(data) > MAX_JSON_BYTES:
        raise LimitExceeded(f"JSON input larger than {MAX_JSON_BYTES} bytes")
    text = data.decode("utf-8", errors="replace").lstrip("\ufeff")
    try:
        return [load_json(text)]
    except ValueError:
        pass
    values = []
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            values.append(load_json(line))
        except ValueError as exc:
            raise InputError(f"line {n}: not JSON: {exc}") from None
    if not values:
        raise InputError("no JSON value found")
    return values


def _record(ev: _Event, origin: str | None, index: int) -> Record:
    from bouncewise.pipeline import record_from_block

    return record_from_block(
        ev.block, file=origin, index=index, engine=f"event:{ev.provider}",
        addresser=ev.addresser, subject=ev.subject, messageid=ev.messageid, timestamp=ev.timestamp,
    )


class ProviderMismatch(InputError):
    """Events forced to be read as one provider's that look like another's."""

    def __init__(self, given: str, looks: str) -> None:
        self.given = given
        self.looks = looks
        super().__init__(f"these events look like {looks}'s, not {given}'s (read them as {looks}, "
                         "or let the provider be detected)")


def records_from_json(data: bytes, origin: str | None = None, provider: str | None = None) -> list[Record]:
    """Records (diagnosed) from ESP event JSON: one value or NDJSON; ``provider`` forces the
    reading. A JSON value that is no known event gives one "not-a-bounce" record."""
    from bouncewise.record import NOT_A_BOUNCE

    if provider is not None and provider not in PROVIDERS:
        raise ValueError(f"unknown ESP {provider!r}; expected one of {', '.join(PROVIDERS)}")
    out: list[Record] = []
    for value in _load(data):
        if provider is not None:
            looks = detect_provider(value)
            if looks is not None and looks != provider:
                raise ProviderMismatch(provider, looks)
        evs = _events(value, provider)
        if not evs:
            out.append(Record(kind=NOT_A_BOUNCE, file=origin, index=len(out) + 1,
                              error="no ESP bounce, complaint or delivery event recognised"))
            continue
        for ev in evs:
            out.append(_record(ev, origin, len(out) + 1))
    return out
