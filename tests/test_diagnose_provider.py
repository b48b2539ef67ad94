"""Who said it: a provider's own reading of a code applies only when that provider's server gave
the reply; providers are recognised from host names and from the reply's own markers; a notice
that quotes another server's reply names its reporter apart (``reported_by``)."""

from __future__ import annotations

import pytest

from bouncewise.diagnosis import diagnose

GMAIL_WRAPPER = (
    "Google tried to deliver your message, but it was rejected by the server for the recipient "
    "domain example.org by mx.example.org. [192.0.2.1]. The error that the other server returned was: "
)


def test_gmail_meaning_of_5_7_27_only_from_gmail() -> None:
    # IANA: X.7.27 "sender address has null MX"; Gmail: SPF did not pass
    own = diagnose("550 5.7.27", rhost="gmail-smtp-in.l.google.com")
    assert own.reason == "authfailure" and own.provider == "Google" and own.decided_by == "vendor"
    marked = diagnose("550 5.7.27 - gsmtp")
    assert marked.reason == "authfailure" and marked.provider == "Google"
    bare = diagnose("550 5.7.27")
    assert bare.reason == "rejected" and bare.provider is None


def test_gmail_relaying_a_third_server_gets_the_standard_meaning() -> None:
    d = diagnose(GMAIL_WRAPPER + "550 5.7.27 Refused")
    assert d.reason == "rejected"  # the standard meaning, not Gmail's
    assert d.provider is None and d.reported_by == "Google"
    assert any(e["rule"] == "relay:reported-by" for e in d.evidence)


def test_a_quote_with_the_providers_own_marker_is_that_providers_reply() -> None:
    d = diagnose(GMAIL_WRAPPER + "550 5.7.27 Refused - gsmtp")
    assert d.reason == "authfailure" and d.provider == "Google"


def test_office365_relaying_a_third_server() -> None:
    relayed = diagnose(
        "Generating server: BN8PR12MB1234.namprd12.prod.outlook.com Remote Server returned '550 5.7.510 Refused'"
    )
    assert relayed.provider is None and relayed.reported_by == "Microsoft"
    own = diagnose("550 5.7.510 Access denied, example.org does not accept email over IPv6 [BN8NAM12FT041.eop-nam12.prod.protection.outlook.com]")
    assert own.provider == "Microsoft" and own.reason == "blocked"


@pytest.mark.parametrize(
    ("text", "provider"),
    [
        ("550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP address lookup", "Microsoft"),
        ("550 5.4.1 Recipient address rejected: Access denied. AS(201806281) [DM6NAM12FT012.eop-nam12.prod.protection.outlook.com]", "Microsoft"),
        ("421 4.7.0 [TSS04] Messages from 192.0.2.25 temporarily deferred due to unexpected volume or user complaints", "Yahoo"),
        ("554 Message not allowed - [PH01] Email not accepted for policy reasons.", "Yahoo"),
        ("550 5.1.1 The email account that you tried to reach does not exist. - gsmtp", "Google"),
        ("550 5.1.1 Adresse d au moins un destinataire invalide. Invalid recipient. OFR_416 [416]", "Orange / La Poste"),
        ("554 IMTA11.emeryville.ca.mail.comcast.net was found on one or more DNSBLs, see http://help.comcast.net/content/faq/BL000010", "Comcast"),
        ("550 Envelope blocked - User Entry - https://community.mimecast.com/docs/DOC-1369#550", "Mimecast"),
        ("554 5.7.1 Blocked - see https://ipcheck.proofpoint.com/?ip=192.0.2.1", "Proofpoint"),
        ("554 5.7.1 cox.net 192.0.2.1 rejected. IP address has been blocked. AUP#CXBL", "Cox"),
        ("554 Connection refused. This IP address is listed on the Spamhaus Block List (SBL). IB104", "GoDaddy"),
    ],
)
def test_provider_from_the_reply_text_alone(text: str, provider: str) -> None:
    assert diagnose(text).provider == provider


def test_provider_from_the_host_name() -> None:
    d = diagnose("550 5.2.1 The email account that you tried to reach is inactive.", rhost="alt1.gmail-smtp-in.l.google.com")
    assert d.provider == "Google" and d.rhost == "alt1.gmail-smtp-in.l.google.com" and d.reason == "suspend"


def test_reported_by_is_in_the_dict() -> None:
    assert diagnose(GMAIL_WRAPPER + "550 5.1.1 User unknown").to_dict()["reported_by"] == "Google"
    assert diagnose("550 5.1.1 User unknown").to_dict()["reported_by"] is None
