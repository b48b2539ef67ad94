"""The code knowledge base: data schema, coverage of the registries and the seeds, lookups."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

import bouncewise
from bouncewise import knowledge as kb
from bouncewise.errors import InvalidCode
from bouncewise.knowledge import _store
from conftest import shared_dir

ROOT = Path(__file__).resolve().parents[1]
SHARED = shared_dir()
IANA_CSV = SHARED / "iana" / "smtp-enhanced-status-codes-3.csv"


def test_data_validates():
    assert kb.validate() == []


def test_cache_is_fresh():
    assert _store.cache_is_fresh(), "run: python -m bouncewise.knowledge._store"


def test_every_file_has_meta():
    for name, data in _store.files().items():
        assert data["meta"]["source"], name
        assert data["meta"]["date"] == "2026-11-23", name


def _load_build_iana():
    spec = importlib.util.spec_from_file_location("build_iana", ROOT / "tools" / "build_iana.py")
    mod = importlib.util.module_from_spec(spec)
    assert spec.loader is not None
    spec.loader.exec_module(mod)
    return mod


def test_iana_json_matches_csv():
    if not IANA_CSV.is_file():
        pytest.skip(f"shared IANA CSV not present at {IANA_CSV}")
    mod = _load_build_iana()
    expected = mod.render(mod.build(IANA_CSV))
    actual = (ROOT / "src" / "bouncewise" / "knowledge" / "data" / "iana.json").read_text(encoding="utf-8")
    assert actual == expected, "iana.json is stale: run python tools/build_iana.py"


def test_iana_has_81_codes_from_x00_to_x730():
    codes = _store.files()["iana.json"]["codes"]
    assert len(codes) == 81
    assert "X.0.0" in codes and "X.7.30" in codes


@pytest.mark.parametrize("tpl", sorted(_store.files()["iana.json"]["codes"]))
def test_every_iana_code_present_in_its_classes(tpl):
    reg = _store.files()["iana.json"]["codes"][tpl]
    assert reg["classes"], tpl
    assert reg["references"], tpl
    for c in reg["classes"]:
        e = kb.lookup(f"{c}.{tpl[2:]}")
        assert e is not None and e.registered and e.kind == "enhanced"
        assert e.summary and e.title
        assert any(r.startswith(("RFC", "draft")) for r in e.references)
        assert not any("class" in n and "only" in n for n in e.notes)


def test_iana_class_derivation_examples():
    codes = _store.files()["iana.json"]["codes"]
    assert codes["X.1.1"]["classes"] == [4, 5]
    assert codes["X.1.5"]["classes"] == [2]
    assert codes["X.2.2"]["classes"] == [4, 5]
    assert codes["X.7.12"]["classes"] == [4]
    assert codes["X.0.0"]["classes"] == [2, 4, 5]
    assert codes["X.6.10"]["deprecated"] and codes["X.6.10"]["duplicate_of"] == "X.6.8"


RFC5321 = ["211", "214", "220", "221", "250", "251", "252", "354", "421", "450", "451", "452",
           "455", "500", "501", "502", "503", "504", "550", "551", "552", "553", "554", "555"]
EXTENSIONS = ["235", "334", "432", "454", "521", "523", "524", "525", "530", "534", "535", "538",
              "556", "253", "458", "459", "453"]


@pytest.mark.parametrize("code", RFC5321 + EXTENSIONS)
def test_basic_codes_present(code):
    e = kb.lookup(code)
    assert e is not None and e.kind == "basic" and e.registered and e.source == "rfc"


# Every code the seed pages (shared/seeds) discuss.
SEED_CODES = (
    # 000: 4.x.x list
    "4.2.0 4.2.1 4.2.2 4.3.1 4.3.2 4.4.1 4.4.2 4.4.6 4.4.7 4.4.9 4.5.0 4.5.1 4.5.2 4.6.5 4.7.1 "
    # 001: 5.x.x list
    "5.0.0 5.0.1 5.0.2 5.0.3 5.0.4 5.1.0 5.1.1 5.1.2 5.1.3 5.1.4 5.1.5 5.1.6 5.1.7 5.2.1 5.2.2 5.2.3 "
    "5.2.4 5.3.0 5.3.1 5.3.2 5.3.3 5.3.4 5.3.5 5.4.0 5.4.1 5.4.2 5.4.3 5.4.4 5.4.6 5.4.7 5.4.8 5.5.0 "
    "5.5.1 5.5.2 5.5.3 5.5.4 5.5.5 5.6.3 5.7.1 5.7.2 5.7.3 5.7.4 5.7.5 5.7.6 5.7.7 "
    # 003: Exchange 2000/2003
    "5.1.6 5.1.7 5.4.6 5.4.8 "
    # 004: three-digit codes
    "101 111 211 214 220 221 250 251 252 354 420 421 422 431 432 441 442 446 447 449 450 451 452 "
    "465 471 500 501 502 503 504 510 511 512 513 523 550 551 552 553 554"
).split()
SEED_FAMILIES = ["5.1.x", "5.2.x", "X.1.x", "X.7.x"]


@pytest.mark.parametrize("code", sorted(set(SEED_CODES)))
def test_every_seed_code_present(code):
    ex = kb.explain(code)
    specific = [r for r in ex.readings if r.relation != "generic"]
    assert specific, f"{code}: only a generic reading"


@pytest.mark.parametrize("fam", SEED_FAMILIES)
def test_seed_families(fam):
    ex = kb.explain(fam)
    assert ex.kind == "family" and ex.entries


EXCHANGE_2003 = ["4.2.2", "4.3.1", "4.3.2", "4.4.1", "4.4.2", "4.4.6", "4.4.7", "4.4.9", "4.6.5",
                 "5.0.0", "5.1.0", "5.1.1", "5.1.3", "5.1.4", "5.1.6", "5.1.7", "5.2.1", "5.2.2",
                 "5.2.3", "5.3.0", "5.3.3", "5.3.5", "5.4.0", "5.4.4", "5.4.6", "5.4.8", "5.5.0",
                 "5.5.2", "5.5.3", "5.6.3", "5.7.1"]


@pytest.mark.parametrize("code", EXCHANGE_2003)
def test_exchange2003_layer(code):
    e = kb.lookup(code, vendor="exchange2003")
    assert e is not None and e.vendor == "exchange2003" and e.registered
    assert e.causes and e.troubleshooting


def test_exchange2003_versions():
    assert "Service Pack 1" in kb.lookup("4.3.2", vendor="exchange2003").since
    assert kb.lookup("4.4.9", vendor="exchange2003").since == "Exchange Server 2003"
    assert "Service Pack 3" in kb.lookup("5.2.2", vendor="exchange2003").since


def test_vendors():
    v = kb.vendors()
    for name in ("microsoft", "gmail", "yahoo", "exchange2003", "groupwise", "domino", "qmail",
                 "comcast", "barracuda"):
        assert name in v
    assert "refpages" not in v  # a reference layer, not a vendor


# --------------------------------------------------------------------------- lookups
@pytest.mark.parametrize(
    "code,vendor,expect",
    [
        ("550", None, {"kind": "basic", "cls": "permanent", "reason": "userunknown", "registered": True}),
        ("5.1.1", None, {"kind": "enhanced", "cls": "permanent", "category": "address",
                         "title": "Bad destination mailbox address", "who_acts": "sender", "retry": "no"}),
        ("4.7.1", None, {"cls": "transient", "category": "security and policy", "retry": "later"}),
        ("4.2.2", None, {"reason": "mailboxfull", "cls": "transient"}),
        ("2.1.5", None, {"cls": "success", "reason": "delivered", "who_acts": "nobody"}),
        ("5.7.26", None, {"reason": "authfailure"}),
        ("421", None, {"cls": "transient", "who_acts": "nobody", "retry": "later"}),
        ("354", None, {"cls": "intermediate"}),
        ("511", None, {"kind": "non-standard", "reason": "userunknown"}),
        ("101", None, {"kind": "non-standard", "reason": "networkerror"}),
        ("4.4.99", None, {"registered": False, "category": "network and routing", "cls": "transient"}),
        ("5.7.606", None, {"registered": False, "category": "security and policy"}),
        ("5.7.606", "microsoft", {"registered": True, "vendor": "microsoft", "reason": "blocked",
                                   "title": "Access denied, banned sending IP"}),
        ("5.7.649", "microsoft", {"title": "Access denied, banned sending IP"}),
        ("5.7.708", "microsoft", {"title": "Access denied, traffic not accepted from this IP"}),
        ("5.7.720", "microsoft", {"title": "Access denied, tenant has exceeded threshold"}),
        ("5.4.1", "microsoft", {"title": "Recipient address rejected: Access denied", "reason": "userunknown"}),
        ("5.1.10", "microsoft", {"title": "Recipient not found", "reason": "userunknown"}),
        ("5.7.509", "microsoft", {"reason": "authfailure"}),
        ("5.2.121", "microsoft", {"reason": "ratelimited"}),
        ("5.7.27", "gmail", {"title": "SPF did not pass", "reason": "authfailure"}),
        ("4.7.27", "gmail", {"title": "SPF did not pass", "cls": "transient"}),
        ("5.7.27", None, {"title": "Sender address has null MX"}),
        ("554", "yahoo", {"reason": "userunknown"}),
        ("554", "comcast", {"reason": "blocked"}),
        ("550", "qmail", {"reason": "suspend"}),
        ("420", "groupwise", {"reason": "networkerror"}),
        ("554", "domino", {"reason": "systemerror"}),
    ],
)
def test_lookup_table(code, vendor, expect):
    e = kb.lookup(code, vendor=vendor)
    assert e is not None
    d = e.to_dict()
    for k, v in expect.items():
        assert d[k] == v, (code, vendor, k, d[k])
    json.dumps(d)  # JSON-ready


def test_lookup_returns_none_for_garbage():
    for bad in ("999", "hello", "5..1", "", "3.1.1", "x" * 200, "1.0.1"):
        assert kb.lookup(bad) is None


def test_lookup_unknown_vendor_is_ignored_but_explain_refuses():
    e = kb.lookup("5.1.1", vendor="nosuch")
    assert e is not None and e.vendor is None
    with pytest.raises(ValueError):
        kb.explain("5.1.1", vendor="nosuch")


def test_vendor_aliases():
    assert kb.lookup("5.7.27", vendor="google").vendor == "gmail"
    assert kb.lookup("5.7.606", vendor="Outlook").vendor == "microsoft"


def test_class_outside_registry_is_noted():
    e = kb.lookup("4.1.2")
    assert e is not None and e.registered
    assert any("class 5 only" in n for n in e.notes)


def test_vendor_notes_collected_without_vendor():
    e = kb.lookup("5.7.27")
    assert "gmail" in e.vendor_notes


# --------------------------------------------------------------------------- explain
def test_explain_api_entry_point():
    ex = bouncewise.explain("5.1.1")
    assert isinstance(ex, kb.Explanation)
    d = ex.to_dict()
    assert d["schema"] == "bouncewise.explanation/1"
    assert d["entries"][0]["code"] == "5.1.1"
    assert set(d) == {"schema", "query", "kind", "codes", "vendor", "ambiguous", "agree", "notes",
                      "entries", "readings", "reason", "reasons_agree"}


def test_explain_collapsed_511():
    ex = kb.explain("511")
    assert ex.entries[0].code == "5.1.1"
    assert any("not a reply code any RFC defines" in n for n in ex.notes)
    assert any(r.relation == "collapsed" and r.code == "5.1.1" for r in ex.readings)


def test_explain_999_style_invalid_basic_note():
    ex = kb.explain("575")
    assert any("not a valid basic reply code" in n for n in ex.notes)
    assert ex.entries[0].code == "5.7.5"


def test_explain_pair_agrees():
    ex = kb.explain("550 5.1.1")
    assert ex.kind == "pair" and ex.agree is True
    assert [e.code for e in ex.entries] == ["550", "5.1.1"]
    assert any("IANA's registry lists 550" in n for n in ex.notes)


def test_explain_pair_disagrees():
    ex = kb.explain("550 4.2.2")
    assert ex.agree is False
    assert any("disagree" in n for n in ex.notes)


def test_explain_421_dotted_ambiguity():
    ex = kb.explain("4.2.1")
    assert ex.ambiguous
    rel = {r.relation for r in ex.readings}
    assert {"standard", "dotted-reply", "vendor"} <= rel
    assert any(r.code == "421" for r in ex.readings)


def test_explain_5727_ambiguity():
    ex = kb.explain("5.7.27")
    sources = {r.source for r in ex.readings}
    assert ex.ambiguous
    assert any("Gmail" in s for s in sources) and any("IANA" in s for s in sources)


def test_explain_vendor_reading_first():
    ex = kb.explain("5.7.27", vendor="gmail")
    assert ex.readings[0].vendor == "gmail"
    assert ex.entries[0].title == "SPF did not pass"


def test_explain_unregistered_labelled():
    ex = kb.explain("5.7.606")
    assert not ex.entries[0].registered
    assert ex.readings[0].relation == "generic"
    assert any(r.vendor == "microsoft" for r in ex.readings)


def test_explain_families():
    fam = kb.explain("5.1.x")
    assert [e.code for e in fam.entries][:3] == ["5.1.0", "5.1.1", "5.1.2"]
    assert "5.1.10" in [e.code for e in fam.entries]
    x11 = kb.explain("X.1.1")
    assert [e.code for e in x11.entries] == ["4.1.1", "5.1.1"]
    five = kb.explain("55x")
    assert [e.code for e in five.entries] == ["550", "551", "552", "553", "554", "555", "556"]


def test_explain_432_shows_both_meanings():
    ex = kb.explain("432")
    titles = " | ".join(r.title for r in ex.readings)
    assert "password transition" in titles
    assert "Queue stopped" in titles


@pytest.mark.parametrize("bad", ["999", "hello", "5..1", "3.1.1", "", "550 5.1.1 user unknown", "5.1", "x" * 100])
def test_explain_invalid(bad):
    with pytest.raises(InvalidCode) as err:
        kb.explain(bad)
    assert "expected" in str(err.value)


def test_codes_filters():
    perm_sec = kb.codes(cls="5", category="security")
    assert perm_sec and all(e.cls == "permanent" and e.category == "security and policy" for e in perm_sec)
    full = kb.codes("mailbox full")
    assert any(e.code == "5.2.2" for e in full)
    g = kb.codes(vendor="gmail")
    assert any(e.code == "X.7.27" for e in g) and all(e.vendor == "gmail" for e in g)
    with pytest.raises(ValueError):
        kb.codes(cls="9")


def test_codes_counts():
    everything = kb.codes()
    enhanced = [e for e in everything if e.kind == "enhanced"]
    n = sum(len(v["classes"]) for v in _store.files()["iana.json"]["codes"].values())
    assert len(enhanced) == n
