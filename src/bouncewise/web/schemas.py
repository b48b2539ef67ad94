"""OpenAPI descriptions of the API's bodies, written by hand as JSON Schema.

Responses are the engine's ``to_dict()`` output, passed through unchanged; the schemas name the
fields the engine's contract promises and allow more (``additionalProperties``), so the
published schema stays true while the engine grows.
"""

from __future__ import annotations

from typing import Any

API_DESCRIPTION = """\
Explain SMTP reply codes and enhanced status codes, diagnose replies and mail-log lines, and
analyse bounce messages and ESP webhook events.

Errors are RFC 9457 problem details (`application/problem+json`). Limits: request body size
(default 10 MB), time per request and requests in progress; over a limit gives 413 or 503 with
a problem body saying which. The server makes no outbound network calls.
"""

DIAGNOSE_DESCRIPTION = """\
Body forms:

- `application/json` `{"text": "550 5.1.1 ..."}` → one diagnosis object;
  optional hints `vendor`, `status`, `replycode`, `command`, `rhost`.
- `application/json` `{"texts": ["...", "..."]}` or a JSON list of strings → `{"count", "results"}`.
- `text/plain`: replies and log lines, one per line (the lines of a multi-line SMTP reply stay
  together) → `{"count", "results"}`.
"""

PARSE_DESCRIPTION = """\
The body is a raw bounce message (`message/rfc822`, or an mbox of several), or ESP webhook event
JSON (`application/json`, or `?provider=` ses, sendgrid, mailgun, postmark). Returns one record
per recipient; a message that cannot be analysed becomes a record of kind `error`.
"""

_OPEN: dict[str, Any] = {"type": "object", "additionalProperties": True}

EVIDENCE = {
    "type": "object",
    "properties": {
        "rule": {"type": "string"},
        "matched": {"type": "string", "description": "the phrase of the input that matched"},
        "source": {"type": "string"},
    },
    "additionalProperties": True,
}

DIAGNOSIS = {
    **_OPEN,
    "title": "Diagnosis",
    "properties": {
        "text": {"type": "string"},
        "replycode": {"type": ["string", "null"]},
        "status": {"type": ["string", "null"]},
        "decided_by": {"type": ["string", "null"], "enum": ["status", "replycode", "text", "vendor", None]},
        "recipient": {"type": ["string", "null"]},
        "rhost": {"type": ["string", "null"]},
        "provider": {"type": ["string", "null"]},
        "reason": {"type": ["string", "null"]},
        "hardbounce": {"type": "boolean"},
        "retry": {"type": ["string", "null"], "enum": ["no", "later", "after-fix", None]},
        "retry_after": {"type": ["integer", "null"]},
        "category": {"type": ["string", "null"]},
        "who_acts": {"type": ["string", "null"]},
        "explanation": {"type": ["string", "null"]},
        "advice": {"type": "array", "items": {"type": "string"}},
        "evidence": {"type": "array", "items": EVIDENCE},
        "confidence": {"type": ["number", "null"]},
    },
}

RECORD = {
    **_OPEN,
    "title": "Record",
    "properties": {
        "kind": {"type": "string"},
        "recipient": {"type": ["string", "null"]},
        "status": {"type": ["string", "null"]},
        "replycode": {"type": ["string", "null"]},
        "reason": {"type": ["string", "null"]},
        "hardbounce": {"type": "boolean"},
        "diagnosticcode": {"type": ["string", "null"]},
        "engine": {"type": ["string", "null"]},
        "evidence": {"type": "array", "items": EVIDENCE},
        "error": {"type": ["string", "null"]},
    },
}

EXPLANATION = {
    **_OPEN,
    "title": "Explanation",
    "description": "What a code means (the knowledge base's entry).",
}
ENTRY = {**_OPEN, "title": "Entry"}

CODE_LIST = {
    "type": "object",
    "properties": {
        "count": {"type": "integer"},
        "offset": {"type": "integer"},
        "results": {"type": "array", "items": ENTRY},
    },
}

DIAGNOSE_RESULT = {
    "oneOf": [
        DIAGNOSIS,
        {
            "type": "object",
            "properties": {"count": {"type": "integer"}, "results": {"type": "array", "items": DIAGNOSIS}},
        },
    ]
}

PARSE_RESULT = {
    "type": "object",
    "properties": {"count": {"type": "integer"}, "records": {"type": "array", "items": RECORD}},
}

HEALTH = {"type": "object", "properties": {"status": {"type": "string", "enum": ["ok"]}}}
VERSION = {
    "type": "object",
    "properties": {"name": {"type": "string"}, "version": {"type": "string"}, "python": {"type": "string"}},
}

PROBLEM = {
    "type": "object",
    "title": "Problem",
    "description": "RFC 9457 problem details",
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "instance": {"type": "string"},
    },
    "additionalProperties": True,
}

DIAGNOSE_BODY = {
    "required": True,
    "content": {
        "application/json": {
            "schema": {
                "oneOf": [
                    {
                        "type": "object",
                        "properties": {
                            "text": {"type": "string"},
                            "texts": {"type": "array", "items": {"type": "string"}},
                            "vendor": {"type": "string"},
                            "status": {"type": "string"},
                            "replycode": {"type": "string"},
                            "command": {"type": "string"},
                            "rhost": {"type": "string"},
                        },
                    },
                    {"type": "array", "items": {"type": "string"}},
                ]
            },
            "example": {"text": "550 5.1.1 <jo@example.org>: Recipient address rejected: User unknown"},
        },
        "text/plain": {"schema": {"type": "string"}},
    },
}

PARSE_BODY = {
    "required": True,
    "content": {
        "message/rfc822": {"schema": {"type": "string", "format": "binary"}},
        "application/octet-stream": {"schema": {"type": "string", "format": "binary"}},
        "application/json": {"schema": {}},
    },
}

_REASONS = {
    400: "The request could not be read (bad code, bad JSON, empty body).",
    404: "Nothing known for this code.",
    413: "Over the body-size or item limit.",
    503: "Busy, over the time limit, or a part of the engine is missing.",
}


def ok(schema: dict[str, Any]) -> dict[int | str, dict[str, Any]]:
    return {200: {"description": "OK", "content": {"application/json": {"schema": schema}}}}


def problems(*codes: int) -> dict[int | str, dict[str, Any]]:
    return {
        code: {
            "description": _REASONS.get(code, "Error"),
            "content": {"application/problem+json": {"schema": PROBLEM}},
        }
        for code in codes
    }
