"""Authenticating ESP webhook requests before anything is stored.

Configuration (environment; every uvicorn worker reads the same):

- ``BOUNCEWISE_WEBHOOK_TOKEN``: a shared secret for every provider, given as the password of
  HTTP basic auth in the webhook URL (``https://any:SECRET@host/v1/events/postmark``) or as
  ``?token=SECRET``. Postmark signs nothing, so this is its only check.
- ``BOUNCEWISE_SENDGRID_PUBLIC_KEY``: the verification key of SendGrid's Signed Event Webhook
  (base64 DER, as SendGrid shows it, or PEM). The ECDSA (P-256, SHA-256) signature in
  ``X-Twilio-Email-Event-Webhook-Signature`` over timestamp + body must verify.
- ``BOUNCEWISE_MAILGUN_SIGNING_KEY``: Mailgun's webhook signing key. The body's
  ``signature.signature`` must be HMAC-SHA256(key, timestamp + token), the timestamp within
  MAX_AGE seconds.
- ``BOUNCEWISE_SNS_VERIFY=1``: Amazon SNS messages (SES notifications) must carry a valid SNS
  signature; the signing certificate is fetched from its https URL on sns.<region>.amazonaws.com.
- ``BOUNCEWISE_WEBHOOK_INSECURE=1``: accept a provider for which nothing above is set (tests,
  a receiver behind a trusted proxy). Without it such requests are refused.

When several checks apply to a provider, all must pass. A refused request is stored nowhere.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import re
import time
import urllib.request
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

MAX_AGE = 15 * 60  # seconds a signed timestamp stays acceptable
_SNS_HOST = re.compile(r"^sns\.[a-z0-9-]{1,30}\.amazonaws\.com(\.cn)?$")


class Rejected(Exception):
    """The request is not authenticated: status is 401 (no credentials) or 403 (wrong ones)."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status, self.detail = status, detail


def _env(name: str, env: Mapping[str, str]) -> str:
    return env.get(name, "").strip()


def check(provider: str, body: bytes, headers: Mapping[str, str], query: Mapping[str, str],
          env: Mapping[str, str] | None = None, now: float | None = None) -> None:
    """Raise Rejected unless the request passes every check configured for ``provider``.
    ``headers``: lower-case names."""
    env = os.environ if env is None else env
    now = time.time() if now is None else now
    checks = 0
    token = _env("BOUNCEWISE_WEBHOOK_TOKEN", env)
    if token:
        checks += 1
        _check_token(token, headers, query)
    if provider == "sendgrid" and _env("BOUNCEWISE_SENDGRID_PUBLIC_KEY", env):
        checks += 1
        check_sendgrid(_env("BOUNCEWISE_SENDGRID_PUBLIC_KEY", env), body, headers, now)
    if provider == "mailgun" and _env("BOUNCEWISE_MAILGUN_SIGNING_KEY", env):
        checks += 1
        check_mailgun(_env("BOUNCEWISE_MAILGUN_SIGNING_KEY", env), body, now)
    if provider == "ses" and _env("BOUNCEWISE_SNS_VERIFY", env) in ("1", "true", "yes"):
        checks += 1
        check_sns(body)
    if checks == 0 and _env("BOUNCEWISE_WEBHOOK_INSECURE", env) not in ("1", "true", "yes"):
        raise Rejected(403, f"no authentication is configured for {provider} webhooks (see docs/store.md); request refused")


def _check_token(token: str, headers: Mapping[str, str], query: Mapping[str, str]) -> None:
    given = query.get("token", "")
    auth = headers.get("authorization", "")
    if not given and auth[:6].lower() == "basic ":
        try:
            given = base64.b64decode(auth[6:].strip(), validate=True).decode("utf-8", "replace").partition(":")[2]
        except ValueError:
            given = ""
    if not given:
        raise Rejected(401, "credentials required: basic auth password or ?token=")
    if not hmac.compare_digest(given.encode(), token.encode()):
        raise Rejected(403, "wrong webhook token")


# -- SendGrid -----------------------------------------------------------------------------


def _public_key(key: str) -> Any:
    from cryptography.hazmat.primitives import serialization

    if "BEGIN PUBLIC KEY" in key:
        return serialization.load_pem_public_key(key.encode())
    return serialization.load_der_public_key(base64.b64decode(key))


def check_sendgrid(key: str, body: bytes, headers: Mapping[str, str], now: float) -> None:
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec

    sig = headers.get("x-twilio-email-event-webhook-signature", "")
    ts = headers.get("x-twilio-email-event-webhook-timestamp", "")
    if not sig or not ts:
        raise Rejected(401, "SendGrid signature headers missing")
    try:
        public = _public_key(key)
    except ValueError:
        raise Rejected(403, "BOUNCEWISE_SENDGRID_PUBLIC_KEY is not a public key") from None
    try:
        public.verify(base64.b64decode(sig), ts.encode() + body, ec.ECDSA(hashes.SHA256()))
    except (InvalidSignature, ValueError, TypeError):
        raise Rejected(403, "SendGrid signature does not verify") from None
    _fresh(ts, now)


def _fresh(ts: str, now: float) -> None:
    try:
        age = abs(now - float(ts))
    except ValueError:
        raise Rejected(403, "signature timestamp is not a number") from None
    if age > MAX_AGE:
        raise Rejected(403, "signature timestamp too old (replay?)")


# -- Mailgun ------------------------------------------------------------------------------


def check_mailgun(key: str, body: bytes, now: float) -> None:
    try:
        sig = json.loads(body).get("signature") or {}
        ts, token, given = str(sig["timestamp"]), str(sig["token"]), str(sig["signature"])
    except (ValueError, AttributeError, KeyError, TypeError):
        raise Rejected(401, "Mailgun signature missing from the body") from None
    expected = hmac.new(key.encode(), (ts + token).encode(), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, given.lower()):
        raise Rejected(403, "Mailgun signature does not verify")
    _fresh(ts, now)


# -- Amazon SNS ---------------------------------------------------------------------------

_SNS_FIELDS = {
    "Notification": ("Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"),
    "SubscriptionConfirmation": ("Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type"),
    "UnsubscribeConfirmation": ("Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type"),
}


def sns_string_to_sign(msg: Mapping[str, Any]) -> bytes:
    """The text SNS signs: name and value lines of its fields in order (Subject only when present)."""
    out = []
    for name in _SNS_FIELDS.get(str(msg.get("Type")), ()):
        if name == "Subject" and msg.get("Subject") is None:
            continue
        out.append(f"{name}\n{msg.get(name, '')}\n")
    return "".join(out).encode()


def sns_url_ok(url: str) -> bool:
    from urllib.parse import urlsplit

    try:
        u = urlsplit(url)
    except ValueError:
        return False
    return u.scheme == "https" and bool(_SNS_HOST.match(u.hostname or "")) and u.port in (None, 443)


def fetch(url: str) -> bytes:
    """GET an SNS URL (certificate, subscription confirmation); only https SNS hosts."""
    if not sns_url_ok(url):
        raise Rejected(403, "not an Amazon SNS URL")
    with urllib.request.urlopen(url, timeout=10) as resp:  # noqa: S310 - https SNS host checked above
        return resp.read(100_000)


@lru_cache(maxsize=16)
def _sns_certificate(url: str) -> Any:
    from cryptography import x509

    return x509.load_pem_x509_certificate(fetch(url))


def check_sns(body: bytes) -> dict[str, Any]:
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding

    try:
        msg = json.loads(body)
        if not isinstance(msg, dict) or msg.get("Type") not in _SNS_FIELDS:
            raise ValueError
    except ValueError:
        raise Rejected(401, "not an Amazon SNS message") from None
    url = str(msg.get("SigningCertURL", ""))
    if not sns_url_ok(url):
        raise Rejected(403, "SNS SigningCertURL is not an https URL on an SNS host")
    algo = {"1": hashes.SHA1(), "2": hashes.SHA256()}.get(str(msg.get("SignatureVersion")))
    if algo is None:
        raise Rejected(403, "unknown SNS SignatureVersion")
    try:
        cert = _sns_certificate(url)
        cert.public_key().verify(base64.b64decode(str(msg.get("Signature", ""))), sns_string_to_sign(msg), padding.PKCS1v15(), algo)
    except Rejected:
        raise
    except (InvalidSignature, ValueError, TypeError):
        raise Rejected(403, "SNS signature does not verify") from None
    except OSError as exc:
        raise Rejected(403, f"SNS signing certificate could not be fetched: {type(exc).__name__}") from None
    return msg
