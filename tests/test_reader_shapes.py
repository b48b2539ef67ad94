"""Notice shapes that no format decoder of their own reads, through the whole pipeline.

Each sample in tests/fixtures/shapes was written for the project after the layout its software
uses (older and smaller MTAs, hosting providers' templates, filtering gateways, mailing-list
managers, localised notices, delay and success notices, auto-replies), plus messages that must
stay what they are (a person's reply, a challenge-response request, a newsletter, a read
receipt) and notice bodies pasted without headers (pasted-*.txt).

Every row states what a careful human reader would write for the notice, independent of what
the code does today. Each row runs twice: with only the generic decoders
(BOUNCEWISE_FORMATS=arf,rfc3464,rfc3834,fallback) and with the full registry. A row gives a
second expectation for the full registry only where a specific decoder knows more.
Rows the generic reader does not read yet are strict xfails naming what it misses.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path
from typing import NamedTuple

import pytest
from click.testing import CliRunner

from bouncewise import pipeline
from bouncewise.cli import main

FIX = Path(__file__).parent / "fixtures" / "shapes"
GENERIC = "arf,rfc3464,rfc3834,fallback"
MODES = ("generic", "full")

# (kind, recipient, status, replycode, reason, hardbounce)
Rec = tuple[str, str | None, str | None, str | None, str | None, bool]

NOT_A_BOUNCE: list[Rec] = [("not-a-bounce", None, None, None, None, False)]


def bounce(rcpt: str, status: str | None, code: str | None, reason: str, hard: bool = False) -> Rec:
    return ("bounce", rcpt, status, code, reason, hard)


class Row(NamedTuple):
    expected: list[Rec]
    # why the generic reader gets it wrong today (strict xfail in both modes unless full_ok)
    xfail: str | None = None
    # the full registry reads it right although the generic path does not
    full_ok: bool = False
    # why the full registry gets it wrong today (strict xfail in the full mode)
    xfail_full: str | None = None


ROWS: dict[str, Row] = {
    # ---------------------------------------------------------------- older and smaller MTAs
    # MDaemon: "PERMANENT fatal delivery errors", reply in a session transcript. The transcript's
    # "*  From:" line names the sender, who is not a recipient.
    "shape-mdaemon-failure.eml": Row(
        [bounce("walter@example.net", "5.1.1", "550", "userunknown", True)],
    ),
    # MDaemon delay warning: a temporary reply in the transcript, the message is still retried.
    "shape-mdaemon-delay.eml": Row([("delayed", "xenia@example.jp", "4.2.2", "452", "mailboxfull", False)]),
    # CommuniGate Pro: "Failed to deliver to '<addr>'" + "SMTP module(domain ...) reports:" + DSN.
    # The DSN says 5.0.0, the quoted reply 5.1.1: the reply is the more precise.
    "shape-communigate.eml": Row([bounce("tomas@example.net", "5.1.1", "550", "userunknown", True)]),
    # CommuniGate Pro, local delivery: the address in single quotes without angle brackets.
    "shape-communigate-quota.eml": Row(
        [bounce("ulla@cgp.example.com", None, None, "mailboxfull")],
    ),
    # GroupWise GWIA: "undeliverable to the following:", each address with GroupWise's cause in
    # parentheses ("User not on post office": no such mailbox in its post office).
    "shape-groupwise.eml": Row(
        [
            bounce("oscar@example.net", None, None, "userunknown", True),
            bounce("petra@example.net", None, None, "mailboxfull"),
        ],
    ),
    # GroupWise "Message status - undeliverable" with "Transmission errors encountered:".
    "shape-groupwise-status.eml": Row([bounce("quentin@example.net", "5.7.1", "550", "spamdetected")]),
    # Domino Delivery Failure Report in its two-column form ("was not delivered to:", "because:").
    "shape-domino-dfr.eml": Row([bounce("stefan@example.net", "5.1.1", "550", "userunknown", True)]),
    # MailEnable: "Recipient: [SMTP:addr]" / "Reason:" pairs, two recipients.
    "shape-mailenable.eml": Row(
        [
            bounce("umberto@example.net", "5.1.1", "550", "userunknown", True),
            bounce("vera@nonexistent.example.net", None, None, "hostunknown", True),
        ],
    ),
    # hMailServer: per recipient "Remote server replied:", two recipients.
    "shape-hmailserver.eml": Row(
        [
            bounce("wilma@example.net", "5.7.1", "550", "blocked"),
            bounce("xaver@example.net", "5.1.1", "550", "userunknown", True),
        ]
    ),
    # Kerio Connect: a DSN with a text part quoting the remote host.
    "shape-kerio.eml": Row([bounce("zora@example.net", "5.2.2", "552", "mailboxfull")]),
    # Zimbra (its Postfix MTA; LMTP to the mailbox store says over quota). The postfix decoder
    # reads it too, with the same record.
    "shape-zimbra.eml": Row([bounce("bella@zimbra.example.com", "5.2.2", "552", "mailboxfull")]),
    # SmarterMail: "Failed Recipient:" / "Reason:" pairs. No MX for the domain: the domain
    # accepts no mail, read as hostunknown (SmarterMail words it as a failed connection).
    "shape-smartermail.eml": Row(
        [
            bounce("dora@example.net", "5.1.1", "550", "userunknown", True),
            bounce("emil@example.jp", None, None, "hostunknown", True),
        ],
    ),
    # Axigen: its notification template ("Recipient:", "Status:", "Details:").
    "shape-axigen.eml": Row([bounce("gerda@example.net", "5.3.4", "552", "emailtoolarge")]),
    # IceWarp: a DSN with its own text part.
    "shape-icewarp.eml": Row([bounce("igor@example.net", "5.7.1", "554", "spamdetected")]),
    # Merak (IceWarp's former name): plain text, failed after five days of retries.
    "shape-merak.eml": Row(
        [bounce("karin@example.net", None, None, "expired")],
    ),
    # Exchange 5.5: "did not reach the following recipient(s):" and MSEXCH:IMS line; no status.
    "shape-exchange55.eml": Row([bounce("maria@corp.example.com", None, None, "userunknown", True)]),
    # Exchange 2000 text notice (with a DSN): two recipients, codes only as "#5.1.1".
    "shape-exchange2000.eml": Row(
        [
            bounce("nils@corp.example.com", "5.1.1", None, "userunknown", True),
            bounce("olga@corp.example.com", "5.2.2", None, "mailboxfull"),
        ]
    ),
    # Microsoft SMTP service (IIS): "Unable to deliver message ... unable to connect", failed 4.4.7.
    "shape-iis-smtp.eml": Row([bounce("paula@example.net", "4.4.7", None, "expired")]),
    # ---------------------------------------------------------------- hosting providers, webmail
    "shape-cpanel-exim.eml": Row([bounce("kurt@example.net", "5.7.1", "550", "spamdetected")]),
    "shape-cpanel-local-quota.eml": Row([bounce("lena@shop.example.com", None, None, "mailboxfull")]),
    "shape-plesk-qmail.eml": Row([bounce("nora@example.net", "5.1.1", "550", "userunknown", True)]),
    "shape-webmail-plain.eml": Row([bounce("pia@example.net", "5.7.1", "554", "badreputation")]),
    # ---------------------------------------------------------------- filtering gateways
    # Proofpoint (sendmail-based): the receiving side refused the message for DMARC.
    "shape-proofpoint.eml": Row([bounce("rachel@example.com", "5.7.1", "550", "authfailure")]),
    # Sophos UTM-like gateway: blocked for a forbidden attachment type.
    "shape-sophos-utm.eml": Row(
        [bounce("theo@example.org", None, None, "policyviolation")],
    ),
    # Symantec Messaging Gateway (Postfix-like text without a DSN): blocklisted sending IP.
    "shape-symantec-smg.eml": Row([bounce("vivian@example.com", "5.7.1", "550", "blocked")]),
    # A spam firewall's own "blocked" notice (Barracuda-like wording).
    "shape-spamfilter-blocked.eml": Row(
        [bounce("xena@example.net", None, None, "spamdetected")],
    ),
    # amavis-style virus notice to the sender.
    "shape-virus-notice.eml": Row(
        [bounce("zeno@example.net", "5.7.0", "554", "virusdetected")],
        xfail_full="the amavis decoder finds zeno@example.net but not the quoted "
        "'554 5.7.0 Reject ... INFECTED' reply, so the reason is onhold",
    ),
    # ---------------------------------------------------------------- mailing-list managers
    # A list's refusal of a post: the failed recipient is the list address; the list refused the
    # post because of who sent it, read as "rejected" (the sender's address is not accepted).
    # Unsure: Sisimai's "rejected" is defined on the envelope sender at MAIL FROM; a list's
    # refusal of a non-member is the nearest of the 34 names, "securityerror" the other candidate.
    "shape-mailman-rejected.eml": Row(
        [bounce("members@lists.example.org", None, None, "rejected")],
    ),
    "shape-sympa-rejected.eml": Row(
        [bounce("research-l@lists.example.net", None, None, "rejected")],
    ),
    # recipient written in capitals by LISTSERV; records carry addresses in lower case.
    "shape-listserv-rejected.eml": Row(
        [bounce("STATS-L@LISTSERV.EXAMPLE.ORG", None, None, "rejected")],  # the case as written
    ),
    # ---------------------------------------------------------------- delay and success notices
    "shape-delay-iis.eml": Row([("delayed", "quirin@example.net", "4.4.7", None, "expired", False)]),
    "shape-success-postfix.eml": Row([("delivered", "suzuki@example.com", "2.0.0", "250", "delivered", False)]),
    "shape-success-delivered.eml": Row(
        [("delivered", "nils.berg@corp.example.com", "2.0.0", None, "delivered", False)]
    ),
    # ---------------------------------------------------------------- auto-replies
    "shape-vacation-en.eml": Row([("vacation", "diana@example.com", None, None, "vacation", False)]),
    "shape-vacation-de.eml": Row([("vacation", "gerhard@example.com", None, None, "vacation", False)]),
    "shape-vacation-ja.eml": Row([("vacation", "yamada@example.jp", None, None, "vacation", False)]),
    # ---------------------------------------------------------------- localised notices
    "shape-de-exchange.eml": Row(
        [bounce("jan.meyer@example.net", "5.1.1", "550", "userunknown", True)],
    ),
    "shape-fr-hosting.eml": Row([bounce("laure@example.net", "5.2.2", "552", "mailboxfull")]),
    "shape-es-exchange.eml": Row([bounce("marta@example.net", "5.2.2", "552", "mailboxfull")]),
    "shape-it-provider.eml": Row([bounce("nicola@example.net", "5.7.1", "554", "spamdetected")]),
    "shape-nl-exchange.eml": Row([bounce("pieter@example.net", "5.7.1", "550", "blocked")]),
    # a domain that does not exist; the reason line is Portuguese, then Postfix's own words
    "shape-pt-provider.eml": Row(
        [bounce("renata@nao-existe.example.net", None, None, "hostunknown", True)],
    ),
    "shape-pl-provider.eml": Row(
        [bounce("sylwia@example.net", "5.2.2", "552", "mailboxfull")],
    ),
    "shape-ru-hosting.eml": Row(
        [bounce("tatiana@example.net", "5.1.1", "550", "userunknown", True)],
    ),
    "shape-ja-isp.eml": Row([bounce("ueda@example.jp", "5.2.2", "552", "mailboxfull")]),
    # Coremail's 系统退信: 收件人 (recipient) / 退信原因 (reason) lines; reply without a status
    "shape-zh-coremail.eml": Row(
        [bounce("wang.fang@example.net", None, "550", "userunknown", True)],
        xfail="classifier phrase: the userunknown phrase in '550 User not found' is turned into "
        "filtered by the context rule userunknown-stage-unknown (no status, no SMTP command); "
        "'收件人邮箱地址不存在' (recipient mailbox does not exist) is not in the diagnosis",
    ),
    # ---------------------------------------------------------------- recipient forms
    # a long address hard-wrapped in the middle; the returned message's To: confirms it
    "shape-recipient-wrapped.eml": Row(
        [bounce("maximilian.vorderbrueggen-schulte@verwaltung.example.net", "5.1.1", "550", "userunknown", True)]
    ),
    # DSN fields in a text/plain notice; Final-Recipient is a local name without a domain
    "shape-original-recipient.eml": Row([bounce("vick@example.net", "5.1.1", "550", "userunknown", True)]),
    # three recipients, each with its own reply on the same line
    "shape-many-recipients.eml": Row(
        [
            bounce("ida@example.net", "5.1.1", "550", "userunknown", True),
            bounce("jakob@example.net", "5.2.2", "552", "mailboxfull"),
            bounce("kai@example.com", "5.7.1", "554", "norelaying"),
        ]
    ),
    # ---------------------------------------------------------------- not bounces
    "not-person-reply.eml": Row(NOT_A_BOUNCE),
    "not-challenge-response.eml": Row(
        NOT_A_BOUNCE,
    ),
    "not-newsletter.eml": Row(NOT_A_BOUNCE),
    "not-read-receipt.eml": Row(NOT_A_BOUNCE),
    # a list manager holding a post for its moderator: neither delivered nor failed yet
    "not-list-held.eml": Row(NOT_A_BOUNCE),
    # ---------------------------------------------------------------- pasted bodies
    # Exchange Online's NDR as Outlook shows it, copied without headers
    "pasted-outlook-ndr.txt": Row(
        [bounce("tilda@example.net", "5.1.10", "550", "userunknown", True)],
    ),
    # Thunderbird's copy: visible Subject/From/Date/To lines, then Exim's body. The exim decoder
    # reads it too, with the same record.
    "pasted-thunderbird-exim.txt": Row([bounce("wolfgang@example.net", "5.2.2", "552", "mailboxfull")]),
    # Outlook's forward block (From/Sent/To/Subject) above a Gmail-style notice
    "pasted-forwarded-helpdesk.txt": Row([bounce("zack@example.net", "5.1.1", "550", "userunknown", True)]),
}

PASTED = sorted(name for name in ROWS if name.startswith("pasted-"))


def _params() -> list:
    out = []
    for mode in MODES:
        for name, row in sorted(ROWS.items()):
            reason = row.xfail_full if mode == "full" else row.xfail
            if mode == "full" and reason is None and row.xfail and not row.full_ok:
                reason = row.xfail
            marks = [pytest.mark.xfail(reason=reason, strict=True)] if reason else []
            out.append(pytest.param(mode, name, id=f"{mode}-{name}", marks=marks))
    return out


@pytest.fixture
def formats(monkeypatch: pytest.MonkeyPatch):
    """Set the decoder registry for one test: 'generic' or 'full'; restored afterwards."""

    def use(mode: str) -> None:
        if mode == "generic":
            monkeypatch.setenv("BOUNCEWISE_FORMATS", GENERIC)
        else:
            monkeypatch.delenv("BOUNCEWISE_FORMATS", raising=False)
        pipeline.decoders.cache_clear()

    yield use
    monkeypatch.undo()
    pipeline.decoders.cache_clear()


def as_rows(records) -> list[Rec]:
    return [(r.kind, r.recipient, r.status, r.replycode, r.reason, r.hardbounce) for r in records]


def test_every_sample_has_a_row():
    files = sorted(p.name for p in FIX.iterdir() if p.is_file())
    assert files == sorted(ROWS)
    assert 45 <= len(files) <= 60


def test_generic_mode_really_restricts_the_decoders(formats):
    formats("generic")
    names = {m.__name__.rsplit(".", 1)[-1] for m in pipeline.decoders()}
    assert names == set(GENERIC.split(","))
    formats("full")
    assert len(pipeline.decoders()) > len(names)


@pytest.mark.parametrize(("mode", "name"), _params())
def test_shape(formats, mode: str, name: str):
    formats(mode)
    records = list(pipeline.parse(str(FIX / name), include="all"))
    assert as_rows(records) == ROWS[name].expected
    for r in records:
        if r.replycode:
            # a reply code was read, so the reply it belongs to is the diagnostic text
            assert r.replycode in (r.diagnosticcode or ""), name


# ---------------------------------------------------------------- pasted bodies: CLI and API


def _cli_rows(output: str) -> list[Rec]:
    rows = []
    for line in output.splitlines():
        d = json.loads(line)
        rows.append((d["kind"], d["recipient"], d["status"], d["replycode"], d["reason"], d["hardbounce"]))
    return rows


def _pasted_params() -> list:
    out = []
    for mode in MODES:
        for name in PASTED:
            row = ROWS[name]
            reason = row.xfail_full if mode == "full" else row.xfail
            if mode == "full" and reason is None and row.xfail and not row.full_ok:
                reason = row.xfail
            marks = [pytest.mark.xfail(reason=reason, strict=True)] if reason else []
            out.append(pytest.param(mode, name, id=f"{mode}-{name}", marks=marks))
    return out


@pytest.mark.parametrize(("mode", "name"), _pasted_params())
def test_pasted_body_with_cli_file(formats, mode: str, name: str):
    formats(mode)
    result = CliRunner().invoke(main, ["parse", "--quiet", "--format", "ndjson", str(FIX / name)])
    assert result.exit_code == 0, result.output
    assert _cli_rows(result.stdout) == ROWS[name].expected


@pytest.mark.parametrize(("mode", "name"), _pasted_params())
def test_pasted_body_on_stdin(formats, mode: str, name: str):
    formats(mode)
    data = (FIX / name).read_bytes()
    result = CliRunner().invoke(main, ["parse", "--quiet", "--format", "ndjson", "-"], input=data)
    assert result.exit_code == 0, result.output
    assert _cli_rows(result.stdout) == ROWS[name].expected


@pytest.mark.parametrize(("mode", "name"), _pasted_params())
def test_pasted_body_through_the_api(formats, mode: str, name: str):
    pytest.importorskip("fastapi", reason="the web extra (fastapi) is not installed")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from fastapi.testclient import TestClient

    from bouncewise.web import create_app

    formats(mode)
    client = TestClient(create_app(), raise_server_exceptions=False)
    r = client.post("/v1/parse", content=(FIX / name).read_bytes(), headers={"content-type": "text/plain"})
    assert r.status_code == 200, r.text
    body = r.json()
    rows = [(d["kind"], d["recipient"], d["status"], d["replycode"], d["reason"], d["hardbounce"]) for d in body["records"]]
    assert body["count"] == len(rows)
    assert rows == ROWS[name].expected
