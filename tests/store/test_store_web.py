"""The store in `bouncewise serve`: webhook authentication (shared token, SendGrid ECDSA,
Mailgun HMAC, Amazon SNS signatures with a certificate made here), storing, and the read API
and pages. A refused request stores nothing."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import time
from pathlib import Path

import pytest

pytest.importorskip("fastapi", reason="the web extra is not installed")
pytest.importorskip("cryptography", reason="the store extra (cryptography) is not installed")

from cryptography import x509  # noqa: E402
from cryptography.hazmat.primitives import hashes, serialization  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa  # noqa: E402
from cryptography.x509.oid import NameOID  # noqa: E402
from fastapi.testclient import TestClient  # noqa: E402

from bouncewise.store import Store, webhooks  # noqa: E402
from bouncewise.web.app import build_app  # noqa: E402

EVENTS = Path(__file__).resolve().parents[1] / "fixtures" / "events"
AUTH_ENV = ("BOUNCEWISE_WEBHOOK_TOKEN", "BOUNCEWISE_SENDGRID_PUBLIC_KEY", "BOUNCEWISE_MAILGUN_SIGNING_KEY",
            "BOUNCEWISE_SNS_VERIFY", "BOUNCEWISE_WEBHOOK_INSECURE", "BOUNCEWISE_HASH_ADDRESSES")


@pytest.fixture
def sqlite_url(tmp_path) -> str:
    return f"sqlite:///{tmp_path / 'web.db'}"


def client(url: str, monkeypatch, **env: str) -> TestClient:
    monkeypatch.setenv("BOUNCEWISE_DB", url)
    for name in AUTH_ENV:
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return TestClient(build_app())


def stored(url: str) -> int:
    with Store(url) as store:
        return store.counts()["records"]


def test_nothing_configured_refuses_and_stores_nothing(sqlite_url, monkeypatch):
    c = client(sqlite_url, monkeypatch)
    r = c.post("/v1/events/postmark", content=(EVENTS / "postmark-bounce.json").read_bytes())
    assert r.status_code == 403 and r.headers["content-type"].startswith("application/problem+json")
    assert stored(sqlite_url) == 0
    assert c.post("/v1/events/nosuchesp", content=b"{}").status_code == 404


def test_shared_token(db_url, monkeypatch):
    c = client(db_url, monkeypatch, BOUNCEWISE_WEBHOOK_TOKEN="s3cret-token")
    body = (EVENTS / "postmark-bounce.json").read_bytes()
    assert c.post("/v1/events/postmark", content=body).status_code == 401
    assert c.post("/v1/events/postmark?token=wrong", content=body).status_code == 403
    assert stored(db_url) == 0
    r = c.post("/v1/events/postmark?token=s3cret-token", content=body)
    assert r.status_code == 200 and r.json()["stored"] == 1
    again = c.post("/v1/events/postmark", content=body, auth=("postmark", "s3cret-token"))
    assert again.status_code == 200 and again.json() == {"records": 1, "stored": 0, "already_stored": 1}
    assert c.post("/v1/events/postmark?token=s3cret-token", content=b"{oops").status_code == 400
    assert stored(db_url) == 1


def test_sendgrid_signed_event_webhook(sqlite_url, monkeypatch):
    key = ec.generate_private_key(ec.SECP256R1())
    public = base64.b64encode(key.public_key().public_bytes(serialization.Encoding.DER,
                                                             serialization.PublicFormat.SubjectPublicKeyInfo)).decode()
    c = client(sqlite_url, monkeypatch, BOUNCEWISE_SENDGRID_PUBLIC_KEY=public)
    body = (EVENTS / "sendgrid-webhook.json").read_bytes()
    ts = str(int(time.time()))
    sig = base64.b64encode(key.sign(ts.encode() + body, ec.ECDSA(hashes.SHA256()))).decode()
    headers = {"X-Twilio-Email-Event-Webhook-Signature": sig, "X-Twilio-Email-Event-Webhook-Timestamp": ts}
    assert c.post("/v1/events/sendgrid", content=body).status_code == 401
    assert c.post("/v1/events/sendgrid", content=body.replace(b"@", b"@x", 1), headers=headers).status_code == 403
    old = str(int(time.time()) - 3600)
    old_sig = base64.b64encode(key.sign(old.encode() + body, ec.ECDSA(hashes.SHA256()))).decode()
    assert c.post("/v1/events/sendgrid", content=body, headers={"X-Twilio-Email-Event-Webhook-Signature": old_sig,
                                                               "X-Twilio-Email-Event-Webhook-Timestamp": old}).status_code == 403
    assert stored(sqlite_url) == 0
    r = c.post("/v1/events/sendgrid", content=body, headers=headers)
    assert r.status_code == 200 and r.json()["stored"] >= 1
    with Store(sqlite_url) as store:
        assert {d["engine"] for d in store.records()} == {"event:sendgrid"}
        assert {d["file"] for d in store.records()} == {"webhook:sendgrid"}


def test_mailgun_signature(sqlite_url, monkeypatch):
    c = client(sqlite_url, monkeypatch, BOUNCEWISE_MAILGUN_SIGNING_KEY="key-mailgun-test")
    payload = json.loads((EVENTS / "mailgun-webhook-failed.json").read_text())

    def signed(ts: int, key: str = "key-mailgun-test") -> bytes:
        token = f"tok{ts}"
        payload["signature"] = {"timestamp": str(ts), "token": token,
                                "signature": hmac.new(key.encode(), f"{ts}{token}".encode(), hashlib.sha256).hexdigest()}
        return json.dumps(payload).encode()

    now = int(time.time())
    assert c.post("/v1/events/mailgun", content=signed(now, key="another-key")).status_code == 403
    assert c.post("/v1/events/mailgun", content=signed(now - 7200)).status_code == 403
    assert stored(sqlite_url) == 0
    r = c.post("/v1/events/mailgun", content=signed(now))
    assert r.status_code == 200 and r.json()["stored"] == 1


def _sns_cert() -> tuple[rsa.RSAPrivateKey, bytes]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "sns.test.bouncewise")])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=1)).sign(key, hashes.SHA256()))
    return key, cert.public_bytes(serialization.Encoding.PEM)


def test_sns_signature_and_subscription(sqlite_url, monkeypatch):
    key, pem = _sns_cert()
    cert_url = "https://sns.eu-west-1.amazonaws.com/SimpleNotificationService-test.pem"
    fetched: list[str] = []

    def fetch(url: str) -> bytes:  # the network part: what SNS would serve at these URLs
        assert webhooks.sns_url_ok(url)
        fetched.append(url)
        return pem if url == cert_url else b"<ConfirmSubscriptionResponse/>"

    monkeypatch.setattr(webhooks, "fetch", fetch)
    webhooks._sns_certificate.cache_clear()
    c = client(sqlite_url, monkeypatch, BOUNCEWISE_SNS_VERIFY="1")

    def sign(msg: dict) -> bytes:
        msg.update(SignatureVersion="2", SigningCertURL=cert_url)
        msg["Signature"] = base64.b64encode(key.sign(webhooks.sns_string_to_sign(msg), padding.PKCS1v15(), hashes.SHA256())).decode()
        return json.dumps(msg).encode()

    note = json.loads((EVENTS / "ses-sns-complaint.json").read_text())
    good = sign(dict(note))
    tampered = json.loads(good)
    tampered["Message"] = tampered["Message"].replace("annoyed@", "someone@")
    assert c.post("/v1/events/ses", content=json.dumps(tampered).encode()).status_code == 403
    elsewhere = dict(json.loads(good), SigningCertURL="https://evil.example.com/cert.pem")
    assert c.post("/v1/events/ses", content=json.dumps(elsewhere).encode()).status_code == 403
    assert stored(sqlite_url) == 0
    r = c.post("/v1/events/ses", content=good)
    assert r.status_code == 200 and r.json()["stored"] == 1
    with Store(sqlite_url) as store:
        assert [(d["kind"], d["recipient"]) for d in store.records()] == [("feedback", "annoyed@example.org")]
        assert store.suppressions()[0]["list"] == "complaint"

    sub = sign({"Type": "SubscriptionConfirmation", "MessageId": "m-1", "Token": "t-1", "TopicArn": note["TopicArn"],
                "Message": "You have chosen to subscribe.", "Timestamp": "2026-12-06T00:00:00.000Z",
                "SubscribeURL": "https://sns.eu-west-1.amazonaws.com/?Action=ConfirmSubscription&Token=t-1"})
    r = c.post("/v1/events/ses", content=sub)
    assert r.status_code == 200 and r.json()["status"] == "subscription confirmed"
    assert fetched[-1].endswith("Token=t-1")
    assert stored(sqlite_url) == 1


def test_read_api_and_pages(db_url, monkeypatch):
    c = client(db_url, monkeypatch, BOUNCEWISE_WEBHOOK_INSECURE="1")
    assert c.post("/v1/events/postmark", content=(EVENTS / "postmark-bounce.json").read_bytes()).status_code == 200
    sup = c.get("/v1/suppressions").json()
    assert sup["count"] == 1
    addr = sup["results"][0]["address"]
    assert sup["results"][0]["rule"] == "hard" and c.get("/v1/suppressions?list=complaint").json()["count"] == 0
    h = c.get(f"/v1/addresses/{addr}").json()
    assert h["suppressed"] and h["timeline"][0]["id"] in sup["results"][0]["evidence"]
    assert c.get("/v1/addresses/nobody@example.org").status_code == 404
    page = c.get("/suppressions", headers={"accept": "text/html"})
    assert page.status_code == 200 and addr in page.text and "hard" in page.text
    page = c.get(f"/addresses/{addr}", headers={"accept": "text/html"})
    assert page.status_code == 200 and "Suppressed" in page.text
    assert c.get("/addresses/nobody@example.org", headers={"accept": "text/html"}).status_code == 404
