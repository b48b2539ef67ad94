"""Reason phrases in other languages than English (phrases.toml, one list per language code).

Each reply below has only a generic reply code (550, 450, 552 without an enhanced status that
names the problem), so the words decide. The sentences are the project's own, written the way
servers in those languages word the same failure."""

from __future__ import annotations

import pytest

from bouncewise.diagnosis import diagnose

CASES = {
    "de": [
        ("550 Benutzer unbekannt", "userunknown"),
        ("550 Das Postfach ist voll", "mailboxfull"),
        ("550 Die Domain existiert nicht", "hostunknown"),
        ("550 Nachricht als Spam erkannt", "spamdetected"),
        ("550 Ihre IP-Adresse gesperrt: auf einer Blacklist", "blocked"),
    ],
    "fr": [
        ("550 Utilisateur inconnu", "userunknown"),
        ("552 Boîte aux lettres pleine", "mailboxfull"),
        ("550 Domaine inexistant", "hostunknown"),
        ("550 Message considéré comme spam", "spamdetected"),
        ("550 Message trop volumineux", "emailtoolarge"),
    ],
    "es": [
        ("550 Usuario desconocido", "userunknown"),
        ("552 El buzón está lleno", "mailboxfull"),
        ("550 Dominio no existe", "hostunknown"),
        ("550 Mensaje detectado como spam", "spamdetected"),
        ("550 Cuenta suspendida", "suspend"),
    ],
    "it": [
        ("550 Utente sconosciuto", "userunknown"),
        ("552 Casella di posta piena", "mailboxfull"),
        ("550 Dominio inesistente", "hostunknown"),
        ("550 Messaggio rilevato come spam", "spamdetected"),
        ("550 Messaggio troppo grande", "emailtoolarge"),
    ],
    "nl": [
        ("550 Onbekende gebruiker", "userunknown"),
        ("552 Mailbox vol", "mailboxfull"),
        ("550 Domein bestaat niet", "hostunknown"),
        ("550 Bericht als spam herkend", "spamdetected"),
        ("550 Bericht is te groot", "emailtoolarge"),
    ],
    "pt": [
        ("550 Usuário desconhecido", "userunknown"),
        ("552 Caixa postal cheia", "mailboxfull"),
        ("550 Domínio inexistente", "hostunknown"),
        ("550 Mensagem detectada como spam", "spamdetected"),
        ("550 Conta suspensa", "suspend"),
    ],
    "pl": [
        ("550 Użytkownik nie istnieje", "userunknown"),
        ("552 Skrzynka odbiorcy jest pełna", "mailboxfull"),
        ("550 Domena nie istnieje", "hostunknown"),
        ("550 Wiadomość uznana za spam", "spamdetected"),
        ("550 Wiadomość jest za duża", "emailtoolarge"),
        ("450 Zbyt wiele połączeń z Twojego adresu", "ratelimited"),
    ],
    "ru": [
        ("550 Пользователь не найден", "userunknown"),
        ("552 Почтовый ящик переполнен", "mailboxfull"),
        ("550 Домен не существует", "hostunknown"),
        ("550 Письмо похоже на спам", "spamdetected"),
        ("550 Ящик заблокирован", "suspend"),
        ("552 Сообщение слишком большое", "emailtoolarge"),
    ],
    "ja": [
        ("550 ユーザーが存在しません", "userunknown"),
        ("552 メールボックスがいっぱいです", "mailboxfull"),
        ("550 ドメインが存在しません", "hostunknown"),
        ("550 迷惑メールと判定されました", "spamdetected"),
        ("550 メッセージサイズが大きすぎます", "emailtoolarge"),
    ],
    "zh": [
        ("550 收件人不存在", "userunknown"),
        ("552 收件人邮箱已满", "mailboxfull"),
        ("550 域名不存在", "hostunknown"),
        ("550 邮件被判定为垃圾邮件", "spamdetected"),
        ("550 账号已被冻结", "suspend"),
        ("552 邮件大小超过限制", "emailtoolarge"),
    ],
}

PARAMS = [(lang, text, reason) for lang, cases in CASES.items() for text, reason in cases]


@pytest.mark.parametrize(("lang", "text", "reason"), PARAMS, ids=[f"{p[0]}:{p[2]}" for p in PARAMS])
def test_phrase_in_language(lang: str, text: str, reason: str) -> None:
    d = diagnose(text)
    assert d.reason == reason, (lang, text, d.reason, d.evidence)
    assert d.decided_by in ("text", "vendor"), d.decided_by
    assert any(f":{lang}@" in e["rule"] or e["rule"].endswith(f":{lang}") or f":{lang}" in e["rule"] for e in d.evidence), d.evidence


def test_ten_languages_have_phrases() -> None:
    import tomllib
    from importlib.resources import files

    data = tomllib.loads(files("bouncewise").joinpath("diagnosis/data/phrases.toml").read_text(encoding="utf-8"))
    for lang in CASES:
        with_lang = [r for r, groups in data["reasons"].items() if lang in groups]
        assert len(with_lang) >= 8, (lang, with_lang)
